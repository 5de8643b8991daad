"""Binding Protocol-method arguments to and from the wire (path, query, JSON or multipart body).

The server, the HTTP clients, the library client and the OpenAPI generator all
use these functions, so a method's wire shape is decided in one place.
"""

from __future__ import annotations

import functools
import inspect
import typing
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from llama_stack_api import InvalidRequestError, MethodSpec, RouteSpec
from llama_stack_api.uploads import BinaryContent, UploadFile

EXTRA_BODY = "extra_body"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class WireShape:
    """How one route carries a method's parameters."""

    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_params: tuple[str, ...]
    collects_extra: bool
    # parameters typed ``UploadFile``: their route takes multipart/form-data instead of JSON
    file_params: tuple[str, ...] = ()

    @property
    def multipart(self) -> bool:
        return bool(self.file_params)


def wire_shape(spec: MethodSpec, route: RouteSpec) -> WireShape:
    path = tuple(route.path_params)
    rest = [p.name for p in spec.parameters if p.name not in path and p.name != EXTRA_BODY]
    if route.method in BODY_METHODS:
        files = tuple(n for n in rest if _is_upload(spec.hints.get(n)))
        return WireShape(path, (), tuple(rest), EXTRA_BODY in spec.signature.parameters, files)
    return WireShape(path, tuple(rest), (), False)


def returns_binary(spec: MethodSpec) -> bool:
    """Whether the method answers with raw bytes (``BinaryContent``) rather than JSON."""
    plain, _ = spec.response_types()
    return plain is BinaryContent


def _is_upload(annotation: Any) -> bool:
    if annotation is UploadFile:
        return True
    return any(arg is UploadFile for arg in typing.get_args(annotation))


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
    query: dict[str, Any] = {}
    for name in shape.query_params:
        if bound.get(name) is None:
            continue
        value = _jsonable(bound[name])
        if isinstance(value, dict):  # objects travel as name[key]=value, as OpenAPI's deepObject style
            flat: dict[str, str] = {}
            _flatten(name, value, flat)
            query.update(flat)
        else:
            query[name] = value
    if route.method not in BODY_METHODS:
        return path, query, None
    if shape.multipart:
        return path, query, _multipart_body(shape, bound)
    body = {n: _jsonable(bound[n]) for n in shape.body_params if bound.get(n) is not None}
    extra = bound.get(EXTRA_BODY)
    if shape.collects_extra and extra:
        body.update(_jsonable(extra))
    return path, query, body


@dataclass(frozen=True)
class MultipartBody:
    """Form fields (nested values flattened to ``a[b]`` names, as OpenAI's API reads them) and files."""

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]  # name -> (filename, content, content type)


def _multipart_body(shape: WireShape, bound: dict[str, Any]) -> MultipartBody:
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for name in shape.body_params:
        value = bound.get(name)
        if value is None:
            continue
        if name in shape.file_params:
            if not isinstance(value, UploadFile):
                raise TypeError(f"{name!r} must be an UploadFile (UploadFile.from_bytes(...) or a path)")
            files[name] = (
                value.filename,
                value.read_bytes(),
                value.content_type or "application/octet-stream",
            )
        else:
            _flatten(name, _jsonable(value), fields)
    return MultipartBody(fields, files)


def _flatten(name: str, value: Any, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{name}[{key}]", item, into)
    elif isinstance(value, bool):
        into[name] = "true" if value else "false"
    else:
        into[name] = str(value)


def nest_form_fields(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """Server side: ``expires_after[seconds]=3600`` → ``{"expires_after": {"seconds": "3600"}}``."""
    nested: dict[str, Any] = {}
    for name, value in fields:
        parts = name.replace("]", "").split("[")
        target = nested
        for part in parts[:-1]:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise InvalidRequestError(f"form field {name!r} conflicts with {part!r}", param=name)
            target = child
        target[parts[-1]] = value
    return nested


def _jsonable(value: Any) -> Any:
    return _ANY.dump_python(value, mode="json", exclude_none=True)


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


@functools.cache
def response_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
