"""Route declarations: how a Protocol method says where it lives on the wire.

One declaration drives the server's routes, the typed clients, the library
client and the OpenAPI spec, so everything about a route lives here.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

_ROUTES_ATTR = "__llama_stack_routes__"
_PATH_PARAM = re.compile(r"\{(\w+)(?::path)?\}")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RouteSpec:
    """One HTTP route of one Protocol method.

    ``stream`` is ``"never"``, ``"always"``, or the name of the boolean
    parameter that turns streaming on (``"stream"`` for chat completions).
    ``openai`` routes close streams with ``data: [DONE]`` and are mounted a
    second time under ``/v1/openai/v1`` for older clients.
    ``routing_key`` names the parameter that carries the id of the resource
    (model, shield, ...) that picks the provider; ``resource_requires`` lists
    ``(attribute, value)`` pairs that resource must have (chat needs a model
    whose ``model_type`` is ``llm``), so a mismatch is a clear 400 instead of
    an engine error.
    """

    method: HttpMethod
    path: str
    stream: str = "never"
    openai: bool = False
    routing_key: str | None = None
    resource_requires: tuple[tuple[str, str], ...] = ()
    summary: str | None = None
    deprecated: bool = False
    status_code: int = 200

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


def webmethod(
    method: HttpMethod,
    path: str,
    *,
    stream: str = "never",
    openai: bool = False,
    routing_key: str | None = None,
    resource_requires: dict[str, str] | None = None,
    summary: str | None = None,
    deprecated: bool = False,
    status_code: int = 200,
) -> Callable[[F], F]:
    """Declare an HTTP route for a Protocol method; stackable for aliases."""
    if not path.startswith("/v1"):
        raise ValueError(f"route path must start with /v1…: {path!r}")
    spec = RouteSpec(
        method=method,
        path=path,
        stream=stream,
        openai=openai,
        routing_key=routing_key,
        resource_requires=tuple(sorted((resource_requires or {}).items())),
        summary=summary,
        deprecated=deprecated,
        status_code=status_code,
    )

    def decorate(fn: F) -> F:
        params = inspect.signature(fn).parameters
        for name in spec.path_params:
            if name not in params:
                raise TypeError(f"{fn.__qualname__}: path parameter {{{name}}} is not a parameter")
        if stream not in ("never", "always") and stream not in params:
            raise TypeError(f"{fn.__qualname__}: stream switch {stream!r} is not a parameter")
        if routing_key is not None and routing_key not in params:
            raise TypeError(f"{fn.__qualname__}: routing key {routing_key!r} is not a parameter")
        if resource_requires and routing_key is None:
            raise TypeError(f"{fn.__qualname__}: resource_requires needs a routing_key")
        existing: list[RouteSpec] = list(getattr(fn, _ROUTES_ATTR, []))
        # Decorators apply bottom-up; insert first so the topmost one is primary.
        existing.insert(0, spec)
        setattr(fn, _ROUTES_ATTR, existing)
        return fn

    return decorate


@dataclass(frozen=True, eq=False)
class MethodSpec:
    """A Protocol method with its routes and resolved type hints."""

    name: str
    function: Callable[..., Any]
    routes: tuple[RouteSpec, ...]
    signature: inspect.Signature
    hints: dict[str, Any] = field(repr=False)

    @property
    def route(self) -> RouteSpec:
        """The primary route (the first declared)."""
        return self.routes[0]

    @property
    def parameters(self) -> list[inspect.Parameter]:
        return [p for p in self.signature.parameters.values() if p.name != "self"]

    @property
    def return_type(self) -> Any:
        return self.hints.get("return", Any)

    def response_types(self) -> tuple[Any, Any]:
        """(non-streaming type, stream chunk type); either may be None."""
        return split_stream_type(self.return_type)

    def is_streaming(self, arguments: dict[str, Any]) -> bool:
        switch = self.route.stream
        if switch == "never":
            return False
        if switch == "always":
            return True
        return bool(arguments.get(switch))


def split_stream_type(annotation: Any) -> tuple[Any, Any]:
    """Split ``X | AsyncIterator[Chunk]`` into ``(X, Chunk)``."""
    members = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    plain: list[Any] = []
    chunk: Any = None
    for member in members:
        origin = typing.get_origin(member)
        if origin in (AsyncIterator, Iterator) or member in (AsyncIterator, Iterator):
            args = typing.get_args(member)
            chunk = args[0] if args else Any
        else:
            plain.append(member)
    if not plain:
        return None, chunk
    if len(plain) == 1:
        return plain[0], chunk
    return typing.Union[tuple(plain)], chunk  # noqa: UP007 - built from a runtime tuple


def _is_union(annotation: Any) -> bool:
    import types

    origin = typing.get_origin(annotation)
    return origin is typing.Union or origin is types.UnionType


def protocol_methods(protocol: type) -> list[MethodSpec]:
    """Every routed method of ``protocol``, in definition order."""
    return list(_protocol_methods(protocol))


@functools.cache
def _protocol_methods(protocol: type) -> tuple[MethodSpec, ...]:
    specs: list[MethodSpec] = []
    for name, fn in protocol.__dict__.items():
        routes = getattr(fn, _ROUTES_ATTR, None)
        if not routes:
            continue
        hints = typing.get_type_hints(fn, include_extras=True)
        specs.append(
            MethodSpec(
                name=name,
                function=fn,
                routes=tuple(routes),
                signature=inspect.signature(fn),
                hints=hints,
            )
        )
    return tuple(specs)
