"""The generic router: one mechanism that dispatches any routed API by its resource id.

A router implements an API's Protocol. For each method it reads the routing-key
argument (``model`` / ``model_id`` / ``shield_id`` ...), finds the resource in the
registry, swaps the public id for the provider's own id, and calls the same
method on the provider that serves it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from pydantic import BaseModel

from llama_stack_api import (
    Api,
    InvalidRequestError,
    MethodSpec,
    NotSupportedError,
    ResourceType,
    RouteSpec,
    protocol_methods,
)

from ._registry import ResourceRegistry


class Router:
    """Base of the generated router classes; holds what every routed method needs."""

    api: Api
    resource_type: ResourceType

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any], register_hint: str) -> None:
        self.registry = registry
        self.providers = providers
        self.register_hint = register_hint

    def provider_for(self, resource_id: str, route: RouteSpec) -> tuple[Any, str]:
        resource = self.registry.get(self.resource_type, resource_id, hint=self.register_hint)
        for attribute, wanted in route.resource_requires:
            actual = getattr(resource, attribute, None)
            if str(actual) != wanted:
                raise InvalidRequestError(
                    f"{self.resource_type.value} {resource_id!r} has {attribute} {str(actual)!r}, but "
                    f"{route.method} {route.path} needs one whose {attribute} is {wanted!r}",
                    param=route.routing_key,
                    code=f"wrong_{attribute}",
                )
        provider = self.providers.get(resource.provider_id)
        if provider is None:
            # the resource outlived its provider (removed from the distribution)
            raise NotSupportedError(
                f"{self.resource_type.value} {resource_id!r} is served by provider {resource.provider_id!r}, "
                f"which is not running in this stack; running: {', '.join(sorted(self.providers)) or 'none'}"
            )
        return provider, resource.provider_key

    def sole_provider(self, method: str) -> Any:
        if len(self.providers) == 1:
            return next(iter(self.providers.values()))
        raise NotSupportedError(
            f"{self.api.value}.{method} has no routing key and {len(self.providers)} providers serve "
            f"{self.api.value}; it cannot choose one"
        )


def build_router_class(api: Api, protocol: type, resource_type: ResourceType) -> type[Router]:
    """A ``Router`` subclass implementing every routed method of ``protocol``."""
    methods: dict[str, Any] = {"api": api, "resource_type": resource_type}
    for spec in protocol_methods(protocol):
        methods[spec.name] = _routed_method(spec)
    return type(f"{protocol.__name__}Router", (Router,), methods)


def _routed_method(spec: MethodSpec) -> Callable[..., Coroutine[Any, Any, Any]]:
    route = spec.route
    key = route.routing_key
    signature = spec.signature

    async def method(self: Router, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        arguments.pop("self")
        if key is None:
            return await getattr(self.sole_provider(spec.name), spec.name)(**arguments)
        public_id = arguments[key]
        provider, provider_id = self.provider_for(public_id, route)
        arguments[key] = provider_id
        result = await getattr(provider, spec.name)(**arguments)
        if isinstance(result, AsyncIterator) or inspect.isasyncgen(result):
            return _restore_ids(result, key, provider_id, public_id)
        _restore_id(result, key, provider_id, public_id)
        return result

    method.__name__ = spec.name
    method.__qualname__ = f"Router.{spec.name}"
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__doc__ = spec.function.__doc__
    return method


def _restore_id(result: Any, key: str, provider_id: str, public_id: str) -> None:
    """Responses that echo the routing key (OpenAI's ``model``) show the id the client sent."""
    if isinstance(result, BaseModel) and getattr(result, key, None) == provider_id:
        setattr(result, key, public_id)


async def _restore_ids(
    stream: AsyncIterator[Any], key: str, provider_id: str, public_id: str
) -> AsyncIterator[Any]:
    try:
        async for chunk in stream:
            _restore_id(chunk, key, provider_id, public_id)
            yield chunk
    finally:
        closer = getattr(stream, "aclose", None)
        if closer is not None:
            await closer()
