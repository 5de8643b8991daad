"""Inspect API: health, version and the routes this stack serves."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from ._routes import webmethod
from .apis import Api, ApiSpec


class HealthInfo(BaseModel):
    status: Literal["OK", "Error", "Not Implemented"]


class VersionInfo(BaseModel):
    version: str


class RouteInfo(BaseModel):
    route: str
    method: str
    provider_types: list[str]


class ListRoutesResponse(BaseModel):
    data: list[RouteInfo]


@runtime_checkable
class Inspect(Protocol):
    """What the running stack is and whether it is healthy."""

    @webmethod("GET", "/v1/health", summary="Liveness: OK once the stack has started.")
    async def health(self) -> HealthInfo: ...

    @webmethod("GET", "/v1/version", summary="The llama-stack version serving this API.")
    async def version(self) -> VersionInfo: ...

    @webmethod("GET", "/v1/inspect/routes", summary="Every mounted route and the providers behind it.")
    async def list_routes(self) -> ListRoutesResponse: ...


API_SPEC = ApiSpec(api=Api.inspect, protocol=Inspect, framework=True, description="Introspection")
