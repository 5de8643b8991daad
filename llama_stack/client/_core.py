"""What the sync and async clients share: building requests, parsing answers, the API proxies."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from llama_stack_api import Api, LlamaStackError, MethodSpec, api_spec, available_apis, protocol_methods
from llama_stack_api.uploads import BinaryContent

from .. import __version__
from .._sse_errors import error_from_envelope
from ..binding import MultipartBody, dump_arguments, response_adapter, returns_binary

DEFAULT_BASE_URL = "http://127.0.0.1:8321"
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


class APIConnectionError(LlamaStackError):
    """The server could not be reached (refused, reset, DNS, timeout)."""

    status_code = 0
    error_type = "connection_error"


@dataclass(frozen=True)
class PreparedCall:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    stream: bool
    spec: MethodSpec


def prepare_call(spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> PreparedCall:
    arguments = spec.signature.bind(None, *args, **kwargs).arguments
    arguments.pop("self", None)
    route = spec.route
    path, query, body = dump_arguments(spec, route, arguments)
    return PreparedCall(route.method, path, query, body, spec.is_streaming(arguments), spec)


def request_content(call: PreparedCall) -> dict[str, Any]:
    """httpx ``build_request`` keyword arguments for the body: JSON, or a multipart form with files."""
    if isinstance(call.body, MultipartBody):
        return {"data": call.body.fields, "files": call.body.files}
    return {"json": call.body}


def result_from(spec: MethodSpec, response: httpx.Response) -> Any:
    """The typed result of a whole (non-streamed) answer."""
    if returns_binary(spec):
        return BinaryContent(
            data=response.content,
            media_type=response.headers.get("content-type", "application/octet-stream"),
        )
    return parse_result(spec, response.json() if response.content else None)


def parse_result(spec: MethodSpec, data: Any) -> Any:
    plain, _ = spec.response_types()
    if plain is None or plain is type(None):
        return None
    return response_adapter(plain).validate_python(data)


def chunk_parser(spec: MethodSpec) -> Callable[[Any], Any]:
    _, chunk = spec.response_types()
    adapter = response_adapter(chunk)
    return adapter.validate_python


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text
    raise error_from_envelope(response.status_code, body)


def default_headers(api_key: str | None, provider_data: dict[str, Any] | None) -> dict[str, str]:
    headers = {"User-Agent": f"llama-stack-open/{__version__}"}
    key = api_key if api_key is not None else os.environ.get("LLAMA_STACK_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if provider_data:
        headers["X-LlamaStack-Provider-Data"] = json.dumps(provider_data)
    return headers


# (api, method, positional args, keyword args) -> result (a coroutine for async clients)
Invoke = Callable[[Api, MethodSpec, tuple[Any, ...], dict[str, Any]], Any]


class ApiProxy:
    """An object with one method per routed method of a Protocol, each handed to ``invoke``."""

    def __init__(self, api: Api, invoke: Invoke) -> None:
        self._api = api
        for spec in protocol_methods(api_spec(api).protocol):
            setattr(self, spec.name, _bind(api, spec, invoke))

    def __repr__(self) -> str:
        return f"<{self._api.value} API>"


def _bind(api: Api, spec: MethodSpec, invoke: Invoke) -> Any:
    def method(*args: Any, **kwargs: Any) -> Any:
        return invoke(api, spec, args, kwargs)

    method.__name__ = spec.name
    method.__doc__ = spec.function.__doc__
    return method


def attach_apis(client: object, invoke: Invoke) -> None:
    for api in available_apis():
        setattr(client, api.value, ApiProxy(api, invoke))
