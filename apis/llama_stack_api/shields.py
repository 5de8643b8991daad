"""Shields API: the registry of shields that safety requests and guardrails are routed by."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from ._routes import webmethod
from .apis import Api, ApiSpec
from .resources import Shield


class ListShieldsResponse(BaseModel):
    """``{"data": [...]}``: the shape llama-stack-client reads."""

    data: list[Shield]


@runtime_checkable
class Shields(Protocol):
    """Register, list, look up and remove shields."""

    @webmethod("GET", "/v1/shields", summary="List registered shields.")
    async def list_shields(self) -> ListShieldsResponse: ...

    @webmethod("GET", "/v1/shields/{identifier:path}", summary="Get a shield by id.")
    async def get_shield(self, identifier: str) -> Shield:
        """Raises ``NotFoundError`` (404) naming the registered ids when unknown."""
        ...

    @webmethod("POST", "/v1/shields", summary="Register a shield with a safety provider.")
    async def register_shield(
        self,
        shield_id: str,
        provider_shield_id: str | None = None,
        provider_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Shield:
        """Register a shield; the provider checks it first (e.g. its params, its guard model).

        Raises ``InvalidRequestError`` when ``provider_id`` is missing and ambiguous,
        unknown, or the provider refuses the shield; ``ConflictError`` when the id is
        registered with another provider.
        """
        ...

    @webmethod("DELETE", "/v1/shields/{identifier:path}", summary="Unregister a shield.")
    async def unregister_shield(self, identifier: str) -> None:
        """Raises ``NotFoundError`` when no such shield is registered, ``ConflictError``
        when a model's guardrails still use it."""
        ...


API_SPEC = ApiSpec(api=Api.shields, protocol=Shields, framework=True, description="Shield registry")
