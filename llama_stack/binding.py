"""Binding Protocol-method arguments to and from the wire (path, query, JSON body).

The server, the HTTP clients, the library client and the OpenAPI generator all
use these functions, so a method's wire shape is decided in one place.
"""

from __future__ import annotations

import functools
import inspect
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from llama_stack_api import InvalidRequestError, MethodSpec, RouteSpec

EXTRA_BODY = "extra_body"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class WireShape:
    """How one route carries a method's parameters."""

    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_params: tuple[str, ...]
    collects_extra: bool


def wire_shape(spec: MethodSpec, route: RouteSpec) -> WireShape:
    path = tuple(route.path_params)
    rest = [p.name for p in spec.parameters if p.name not in path and p.name != EXTRA_BODY]
    if route.method in BODY_METHODS:
        return WireShape(path, (), tuple(rest), EXTRA_BODY in spec.signature.parameters)
    return WireShape(path, tuple(rest), (), False)


@functools.cache
def arguments_model(spec: MethodSpec) -> type[BaseModel]:
    """A pydantic model of the method's parameters (``extra_body`` collects unknown fields)."""
    fields: dict[str, Any] = {}
    for param in spec.parameters:
        if param.name == EXTRA_BODY:
            continue
        annotation = spec.hints.get(param.name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    extra: Literal["allow", "forbid"] = "allow" if EXTRA_BODY in spec.signature.parameters else "forbid"
    model: type[BaseModel] = create_model(
        f"{spec.function.__qualname__.replace('.', '_')}_Arguments",
        __config__=ConfigDict(extra=extra, arbitrary_types_allowed=True),
        **fields,
    )
    return model


def validate_arguments(spec: MethodSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate raw (JSON-decoded) arguments into typed keyword arguments.

    Raises ``InvalidRequestError`` naming the first bad field; never lets a
    client mistake become a 500.
    """
    model = arguments_model(spec)
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_request_from(exc) from None
    # keep the Python objects pydantic built (not dumps) so methods get typed values
    arguments = {name: getattr(parsed, name) for name in type(parsed).model_fields}
    if EXTRA_BODY in spec.signature.parameters:
        extra = dict(parsed.model_extra or {})
        explicit = raw.get(EXTRA_BODY)
        if isinstance(explicit, dict):
            extra.pop(EXTRA_BODY, None)
            extra.update(explicit)
        arguments[EXTRA_BODY] = extra or None
    return arguments


def invalid_request_from(exc: ValidationError) -> InvalidRequestError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    param = ".".join(str(part) for part in first["loc"]) or None
    if first["type"] == "missing":
        message = f"missing required field {param!r}"
    elif first["type"] == "extra_forbidden":
        message = f"unrecognized field {param!r}"
    else:
        message = f"invalid value for {param!r}: {first['msg']}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return InvalidRequestError(message, param=param, code="invalid_value")


def dump_arguments(
    spec: MethodSpec, route: RouteSpec, kwargs: dict[str, Any]
) -> tuple[str, dict[str, Any], Any]:
    """Client side: (path with parameters filled in, query params, JSON body or None)."""
    shape = wire_shape(spec, route)
    bound = spec.signature.bind_partial(None, **kwargs).arguments
    bound.pop("self", None)
    path = route.path
    for name in shape.path_params:
        if name not in bound:
            raise TypeError(f"{spec.name}() missing required argument {name!r}")
        value = urllib.parse.quote(str(bound[name]), safe="/" if f"{{{name}:path}}" in path else "")
        path = path.replace(f"{{{name}:path}}", value).replace(f"{{{name}}}", value)
    query = {n: _jsonable(bound[n]) for n in shape.query_params if n in bound and bound[n] is not None}
    if route.method not in BODY_METHODS:
        return path, query, None
    body = {n: _jsonable(bound[n]) for n in shape.body_params if bound.get(n) is not None}
    extra = bound.get(EXTRA_BODY)
    if shape.collects_extra and extra:
        body.update(_jsonable(extra))
    return path, query, body


def _jsonable(value: Any) -> Any:
    return _ANY.dump_python(value, mode="json", exclude_none=True)


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


@functools.cache
def response_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
