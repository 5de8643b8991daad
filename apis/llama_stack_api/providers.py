"""Providers API: which provider instances the stack runs, their config and health."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ._routes import webmethod
from .apis import Api, ApiSpec


class ProviderInfo(BaseModel):
    api: str
    provider_id: str
    provider_type: str
    config: dict[str, Any] = Field(description="The provider's config with secrets redacted.")
    health: dict[str, Any]


class ListProvidersResponse(BaseModel):
    data: list[ProviderInfo]


@runtime_checkable
class Providers(Protocol):
    """The provider instances this stack runs."""

    @webmethod("GET", "/v1/providers", summary="List provider instances.")
    async def list_providers(self) -> ListProvidersResponse: ...

    @webmethod("GET", "/v1/providers/{provider_id}", summary="One provider instance, with its health.")
    async def inspect_provider(self, provider_id: str) -> ProviderInfo:
        """Raises ``NotFoundError`` naming the known provider ids."""
        ...


API_SPEC = ApiSpec(
    api=Api.providers, protocol=Providers, framework=True, description="Provider introspection"
)
