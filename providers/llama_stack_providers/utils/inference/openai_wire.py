"""Our OpenAI-shaped arguments as an engine's JSON request body, and its JSON answer as our types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from .http_errors import invalid_response

M = TypeVar("M", bound=BaseModel)

_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def request_body(arguments: Mapping[str, Any], extra_body: Mapping[str, Any] | None = None) -> bytes:
    """The JSON body for ``arguments`` (Protocol parameter -> value), OpenAI-style.

    ``None`` means "not given" and is left out, at the top level and inside our
    models (an engine may refuse ``"name": null``); plain dicts such as JSON
    Schemas keep their nulls. ``extra_body`` fields are merged at the top level
    and win over named ones, as the openai SDK does.
    """
    body = {name: value for name, value in arguments.items() if value is not None}
    if extra_body:
        body.update(extra_body)
    return _ANY.dump_json(body, exclude_none=True, by_alias=True)


def parse_response(model: type[M], raw: bytes, *, label: str, url: str, secrets: Iterable[str] = ()) -> M:
    """``raw`` validated as ``model`` straight from JSON bytes; anything else is a 502."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        if first["type"] == "json_invalid":
            problem = f"not JSON: {raw[:200].decode('utf-8', errors='replace')!r}"
        else:
            where = ".".join(str(p) for p in first["loc"])
            problem = f"not a {model.__name__}: {where}: {first['msg']}"
        raise invalid_response(label, url, problem, secrets) from None


def parse_json(raw: bytes, *, label: str, url: str, secrets: Iterable[str] = ()) -> Any:
    """Any JSON value; a body that is not JSON is a 502."""
    try:
        return _ANY.validate_json(raw)
    except ValidationError:
        problem = f"not JSON: {raw[:200].decode('utf-8', errors='replace')!r}"
        raise invalid_response(label, url, problem, secrets) from None


def json_bytes(data: Any) -> bytes:
    """Plain data (dicts, lists, models) as JSON bytes."""
    return _ANY.dump_json(data, exclude_none=True, by_alias=True)
