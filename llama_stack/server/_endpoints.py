"""Thin HTTP endpoints generated from Protocol methods: validate, call, serialize."""

from __future__ import annotations

import asyncio
import json
import time
import types
import typing
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from llama_stack_api import InvalidRequestError, MethodSpec, ProviderTimeoutError, RouteSpec
from llama_stack_api.uploads import BinaryContent, UploadFile

from ..binding import BODY_METHODS, nest_form_fields, validate_arguments, wire_shape
from ..routing import (
    ATTEMPTS_HEADER,
    OVERHEAD_HEADER,
    PROVIDER_HEADER,
    SHIELDS_HEADER,
    ServedInfo,
    start_served,
)
from ._errors import error_response, json_problem
from ._multipart import read_multipart
from ._sse import SSEResponse

_ANY: TypeAdapter[Any] = TypeAdapter(Any)
# Deeper bodies are refused up front: pydantic cannot serialize past 255 levels, so a deeply nested
# value that validates (say in `metadata`) would fail later as a 500. Real requests nest a few levels.
MAX_JSON_DEPTH = 128

Endpoint = Callable[[Request], Awaitable[Response]]


class ClientDisconnected(Exception):
    """The client closed the connection before the answer was ready."""


def make_endpoint(impl: Any, spec: MethodSpec, route: RouteSpec, timeout_s: float | None = None) -> Endpoint:
    """The endpoint for one route; ``timeout_s`` bounds a non-streaming call (and a stream's start)."""
    shape = wire_shape(spec, route)
    list_params = {name for name in shape.query_params if _is_list(spec.hints.get(name))}
    method = getattr(impl, spec.name)

    async def endpoint(request: Request) -> Response:
        received = time.perf_counter()
        served = start_served()
        uploads: list[UploadFile] = []
        try:
            raw: dict[str, Any] = dict(request.path_params)
            for name in shape.query_params:
                values = request.query_params.getlist(name)
                if not values and name in list_params:
                    # the openai SDK sends lists as include[]=a&include[]=b
                    values = request.query_params.getlist(f"{name}[]")
                if values:
                    raw[name] = values if name in list_params else values[-1]
                elif "%5B" in request.url.query or "[" in request.url.query:
                    # an object in the query string, as llama-stack-client sends it: mcp_endpoint[uri]=...
                    nested = [
                        (k, v) for k, v in request.query_params.multi_items() if k.startswith(f"{name}[")
                    ]
                    if nested:
                        raw[name] = nest_form_fields(nested).get(name)
            if shape.multipart:
                form, uploads = await read_multipart(request)
                raw.update(form)
            elif route.method in BODY_METHODS:
                raw.update(await _json_body(request))
            arguments = validate_arguments(spec, raw)
            if spec.is_streaming(arguments):
                stream = await _within(timeout_s, method(**arguments))
                return SSEResponse(
                    stream, done_marker=route.openai, headers=_served_headers(served, received)
                )
            result = await _unless_disconnected(request, _within(timeout_s, method(**arguments)))
        except ClientDisconnected:
            return Response(status_code=499)  # nobody is listening; the status only shows in logs
        except Exception as exc:  # every failure becomes an error envelope, in one place
            return error_response(exc)
        finally:
            for upload in uploads:  # the method has stored what it keeps
                upload.discard()
        headers = _served_headers(served, received)
        if result is None:
            return Response(status_code=route.status_code, headers=headers)
        if isinstance(result, BinaryContent):
            return _binary_response(result, headers)
        body = _ANY.dump_json(result)
        return Response(body, status_code=route.status_code, media_type="application/json", headers=headers)

    endpoint.__name__ = spec.name
    return endpoint


def _binary_response(content: BinaryContent, headers: dict[str, str] | None) -> Response:
    extra = dict(headers or {})
    if content.filename:
        quoted = urllib.parse.quote(content.filename)
        extra["Content-Disposition"] = f"attachment; filename*=UTF-8''{quoted}"
    return Response(content.data, media_type=content.media_type, headers=extra)


def _served_headers(served: ServedInfo, received: float) -> dict[str, str] | None:
    """Which provider answered, after how many attempts, and the time the stack itself added.

    The overhead is the wall time so far minus the time spent awaiting the
    provider (for a stream: until its first chunk), so it covers parsing,
    validation, routing and retries' back-off. Guardrail shields report their own
    time in ``x-llama-stack-shields`` and are not counted as overhead (concurrent
    shields are summed, so the overhead may read low then, never high).
    """
    headers: dict[str, str] = {}
    if served.shields:
        # e.g. "input/prompt-guard=12.021, output/code-scanner=0.304": each guardrail shield's own time in ms
        headers[SHIELDS_HEADER] = ", ".join(
            f"{stage}/{shield}={ms:.3f}" for stage, shield, ms in served.shields
        )
    if served.provider_id is None:
        return headers or None
    shield_seconds = sum(ms for _, _, ms in served.shields) / 1000
    overhead_s = time.perf_counter() - received - served.provider_seconds - shield_seconds
    headers[PROVIDER_HEADER] = served.provider_id
    headers[ATTEMPTS_HEADER] = str(served.attempts)
    headers[OVERHEAD_HEADER] = f"{max(0.0, overhead_s) * 1000:.3f}"
    return headers


async def _within(timeout_s: float | None, call: Coroutine[Any, Any, Any]) -> Any:
    if timeout_s is None:
        return await call
    try:
        with anyio.fail_after(timeout_s):
            return await call
    except TimeoutError:
        raise ProviderTimeoutError(
            f"the request took longer than the server's limit of {timeout_s:g}s "
            "(server.limits.request_timeout_s); the work was cancelled",
            code="request_timeout",
        ) from None


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(
            f"request body is not valid JSON: {json_problem(exc)}", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequestError("request body must be a JSON object", code="invalid_json")
    if _depth_exceeds(data, MAX_JSON_DEPTH):
        raise InvalidRequestError(
            f"request body is nested more than {MAX_JSON_DEPTH} levels deep", code="invalid_json"
        )
    return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


async def _unless_disconnected(request: Request, call: Coroutine[Any, Any, Any]) -> Any:
    """Await ``call``, cancelling it if the client disconnects first.

    One small watcher task per request (not a task group: this is the hot
    path) waits for ``http.disconnect`` and cancels the serving task.
    """
    serving = asyncio.current_task()
    assert serving is not None
    disconnected = False

    async def watch() -> None:
        nonlocal disconnected
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                serving.cancel()
                return

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        return await call
    except asyncio.CancelledError:
        if disconnected:
            serving.uncancel()  # the cancellation was ours, and it is handled here
            raise ClientDisconnected() from None
        raise
    finally:
        watcher.cancel()


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False
