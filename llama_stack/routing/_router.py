"""The generic router: one mechanism that dispatches any routed API by its resource id.

A router implements an API's Protocol. For each method it reads the routing-key
argument (``model`` / ``model_id`` / ``shield_id`` ...), finds the resource in the
registry, and calls the same method on a provider that serves it, with the
public id swapped for that provider's own id. When a resource has several
backends, the gateway policy picks the order and the router retries
retriable failures on the next one — never after a stream has produced its
first chunk, since from then on the client is receiving it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from pydantic import BaseModel

from llama_stack_api import (
    Api,
    InvalidRequestError,
    LlamaStackError,
    MethodSpec,
    NotSupportedError,
    Resource,
    ResourceType,
    RouteSpec,
    protocol_methods,
)
from llama_stack_api.context import reset_current_resource, set_current_resource

from ._gateway import Backend, Gateway
from ._registry import ResourceRegistry
from ._served import current_served


class Router:
    """Base of the generated router classes; holds what every routed method needs."""

    api: Api
    resource_type: ResourceType

    def __init__(
        self, registry: ResourceRegistry, providers: dict[str, Any], register_hint: str, gateway: Gateway
    ) -> None:
        self.registry = registry
        self.providers = providers
        self.register_hint = register_hint
        self.gateway = gateway

    def resource_for(self, resource_id: str, route: RouteSpec) -> Resource:
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
        return resource

    def provider(self, backend: Backend, resource_id: str) -> Any:
        provider = self.providers.get(backend.provider_id)
        if provider is None:
            # the resource outlived its provider (removed from the distribution)
            raise NotSupportedError(
                f"{self.resource_type.value} {resource_id!r} is served by provider {backend.provider_id!r}, "
                f"which is not running in this stack; running: {', '.join(sorted(self.providers)) or 'none'}"
            )
        return provider

    def sole_provider(self, method: str) -> Any:
        if len(self.providers) == 1:
            return next(iter(self.providers.values()))
        raise NotSupportedError(
            f"{self.api.value}.{method} has no routing key and {len(self.providers)} providers serve "
            f"{self.api.value}; it cannot choose one"
        )

    def only_resource(self, key: str) -> Resource:
        """The resource an optional routing key defaults to: the one registered, if only one is."""
        registered = self.registry.list_of(self.resource_type)
        if len(registered) == 1:
            return registered[0]
        raise InvalidRequestError(
            f"`{key}` is required: {len(registered)} {self.resource_type.value}s are registered "
            f"({', '.join(r.identifier for r in registered) or 'none'}); name one",
            param=key,
        )

    async def dispatch(self, spec: MethodSpec, key: str, arguments: dict[str, Any]) -> Any:
        public_id = arguments.get(key)
        if public_id is None:
            public_id = self.only_resource(key).identifier
        resource = self.resource_for(public_id, spec.route)
        served = current_served()
        last_error: LlamaStackError | None = None
        for attempt, backend in enumerate(self.gateway.plan(resource)):
            if attempt:
                await self.gateway.backoff(attempt)
            provider = self.provider(backend, public_id)
            call_arguments = {**arguments, key: backend.provider_key}
            started = time.perf_counter()
            self.gateway.started(backend)
            token = set_current_resource(resource)
            try:
                result = await getattr(provider, spec.name)(**call_arguments)
                if _is_stream(result):
                    result = await _started_stream(result)
            except LlamaStackError as error:
                self.gateway.finished(backend)
                if not self.gateway.is_retriable(error):
                    raise
                self.gateway.failed(backend)
                last_error = error
                continue
            except BaseException:
                self.gateway.finished(backend)
                raise
            finally:
                reset_current_resource(token)
            self.gateway.succeeded(backend)
            if served is not None:
                served.provider_id = backend.provider_id
                served.provider_seconds += time.perf_counter() - started
                served.attempts = attempt + 1
            if isinstance(result, _StartedStream):
                release = functools.partial(self.gateway.finished, backend)
                return _RoutedStream(result, key, backend.provider_key, public_id, release)
            self.gateway.finished(backend)
            _restore_id(result, key, backend.provider_key, public_id)
            return result
        assert last_error is not None  # plan() is never empty
        raise last_error


def build_router_class(
    api: Api, protocol: type, resource_type: ResourceType, base: type[Router] = Router
) -> type[Router]:
    """A ``Router`` subclass implementing every routed method of ``protocol``.

    Methods that ``base`` defines itself (those no single resource routes, such
    as creating a vector store) are kept; every other method is generated.
    """
    methods: dict[str, Any] = {"api": api, "resource_type": resource_type}
    for spec in protocol_methods(protocol):
        if spec.name not in vars(base):
            methods[spec.name] = _routed_method(spec)
    return type(f"{protocol.__name__}Router", (base,), methods)


def _routed_method(spec: MethodSpec) -> Callable[..., Coroutine[Any, Any, Any]]:
    key = spec.route.routing_key
    signature = spec.signature

    async def method(self: Router, *args: Any, **kwargs: Any) -> Any:
        if args:
            arguments = signature.bind(self, *args, **kwargs).arguments
            arguments.pop("self")
        else:
            arguments = kwargs  # the server and the clients call by keyword: skip the costly bind
        if key is None:
            return await getattr(self.sole_provider(spec.name), spec.name)(**arguments)
        return await self.dispatch(spec, key, arguments)

    method.__name__ = spec.name
    method.__qualname__ = f"Router.{spec.name}"
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__doc__ = spec.function.__doc__
    return method


def _is_stream(result: Any) -> bool:
    return isinstance(result, AsyncIterator)


class _StartedStream:
    """A provider stream whose first chunk has arrived (or that turned out empty)."""

    def __init__(self, stream: AsyncIterator[Any], first: Any, empty: bool) -> None:
        self.stream = stream
        self.first = first
        self.empty = empty


async def _started_stream(stream: AsyncIterator[Any]) -> _StartedStream:
    """Wait for the first chunk, so a backend that fails before producing anything can be retried."""
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        return _StartedStream(stream, None, empty=True)
    except BaseException:
        await _close(stream)
        raise
    return _StartedStream(stream, first, empty=False)


class _RoutedStream:
    """The client-facing stream: the peeked first chunk, then the rest, with public ids restored.

    A class rather than an async generator so that ``aclose()`` releases the
    backend and closes the provider's stream even if iteration never began
    (a client that disconnects before the first event).
    """

    def __init__(
        self, started: _StartedStream, key: str, provider_id: str, public_id: str, done: Callable[[], None]
    ) -> None:
        self._started = started
        self._pending_first = not started.empty
        self._key = key
        self._provider_id = provider_id
        self._public_id = public_id
        self._done: Callable[[], None] | None = done

    def __aiter__(self) -> _RoutedStream:
        return self

    async def __anext__(self) -> Any:
        if self._done is None:
            raise StopAsyncIteration
        if self._pending_first:
            self._pending_first = False
            chunk = self._started.first
        else:
            try:
                chunk = await self._started.stream.__anext__()
            except BaseException:
                await self.aclose()
                raise
        _restore_id(chunk, self._key, self._provider_id, self._public_id)
        return chunk

    async def aclose(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()
            await _close(self._started.stream)


async def _close(stream: AsyncIterator[Any]) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()


def _restore_id(result: Any, key: str, provider_id: str, public_id: str) -> None:
    """Responses that echo the routing key (OpenAI's ``model``) show the id the client sent."""
    if isinstance(result, BaseModel) and getattr(result, key, None) == provider_id:
        setattr(result, key, public_id)
