"""The Inspect and Providers APIs: what this stack runs and whether it is healthy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from llama_stack_api import NotFoundError
from llama_stack_api.inspect import HealthInfo, ListRoutesResponse, RouteInfo, VersionInfo
from llama_stack_api.providers import ListProvidersResponse, ProviderInfo

from . import __version__
from .resolver import ProviderInstance

HEALTH_TIMEOUT_S = 5.0


class StackInspector:
    """Implements ``Inspect``: health, version, the route table."""

    def __init__(self, routes: Callable[[], list[RouteInfo]]) -> None:
        self._routes = routes

    async def health(self) -> HealthInfo:
        return HealthInfo(status="OK")

    async def version(self) -> VersionInfo:
        return VersionInfo(version=__version__)

    async def list_routes(self) -> ListRoutesResponse:
        return ListRoutesResponse(data=self._routes())


class ProviderDirectory:
    """Implements ``Providers``: the running provider instances, their redacted config and health."""

    def __init__(self, instances: list[ProviderInstance], redact: Callable[[Any], dict[str, Any]]) -> None:
        self._instances = instances
        self._redact = redact

    async def list_providers(self) -> ListProvidersResponse:
        infos = await asyncio.gather(*(self._info(i) for i in self._instances))
        return ListProvidersResponse(data=list(infos))

    async def inspect_provider(self, provider_id: str) -> ProviderInfo:
        for instance in self._instances:
            if instance.request.provider_id == provider_id:
                return await self._info(instance)
        known = ", ".join(sorted({i.request.provider_id for i in self._instances})) or "none"
        raise NotFoundError(
            f"provider {provider_id!r} is not running; running providers: {known}", param="provider_id"
        )

    async def _info(self, instance: ProviderInstance) -> ProviderInfo:
        request = instance.request
        return ProviderInfo(
            api=request.api.value,
            provider_id=request.provider_id,
            provider_type=request.spec.provider_type,
            config=self._redact(request.config),
            health=await provider_health(instance.impl),
        )


async def provider_health(impl: Any) -> dict[str, Any]:
    """Ask a provider's ``health()``; a provider without one is 'Not Implemented'."""
    check = getattr(impl, "health", None)
    if check is None:
        return {"status": "Not Implemented"}
    try:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives as
        # the check finishes, which left the stack's health watcher running through shutdown
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            result = await check()
    except TimeoutError:
        return {"status": "Error", "message": f"health check took over {HEALTH_TIMEOUT_S:g}s"}
    except Exception as exc:  # a failing health check is reported, not raised
        return {"status": "Error", "message": f"{type(exc).__name__}: {exc}"}
    return dict(result)
