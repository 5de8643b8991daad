"""ASGI middleware: request-body limit, API-key authentication, per-request context."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llama_stack_api import AuthenticationError, InvalidRequestError, PayloadTooLargeError, Principal
from llama_stack_api.context import reset_request_context, set_request_context

from ._errors import json_problem

PROVIDER_DATA_HEADER = "x-llamastack-provider-data"
# probes must work without credentials
UNAUTHENTICATED_PATHS = frozenset({"/v1/health"})


class BodyLimitMiddleware:
    """Rejects bodies over the limit with 413, by Content-Length or while reading.

    File uploads (``multipart/form-data``) have their own, larger limit: they
    stream to disk, while a JSON body is parsed in memory.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes if max_upload_bytes is not None else max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = headers.get("content-type", "").startswith("multipart/form-data")
        limit, setting = (
            (self.max_upload_bytes, "max_upload_bytes")
            if upload
            else (self.max_bytes, "max_request_body_bytes")
        )
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(scope, receive, send, _too_large(limit, setting))
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit, setting)
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int, setting: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body is larger than the server's limit of {limit} bytes (server.limits.{setting})",
        code="request_too_large",
    )


class RequestContextMiddleware:
    """Authenticates API keys (when configured) and sets the principal and provider data for the request."""

    def __init__(self, app: ASGIApp, api_keys: dict[str, Principal]) -> None:
        self.app = app
        self.api_keys = api_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            principal = self._authenticate(scope["path"], headers)
            provider_data = _provider_data(headers)
        except (AuthenticationError, InvalidRequestError) as exc:
            await _reject(scope, receive, send, exc)
            return
        token = set_request_context(principal, provider_data)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_request_context(token)

    def _authenticate(self, path: str, headers: Headers) -> Principal | None:
        if not self.api_keys or path in UNAUTHENTICATED_PATHS:
            return None
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            raise AuthenticationError(
                "missing API key; send it as 'Authorization: Bearer <key>'", code="missing_api_key"
            )
        found: Principal | None = None
        for key, principal in self.api_keys.items():
            # compare against every key so timing does not tell which prefix matched
            if hmac.compare_digest(key.encode(), presented.strip().encode()):
                found = principal
        if found is None:
            raise AuthenticationError("invalid API key", code="invalid_api_key")
        return found


def _provider_data(headers: Headers) -> dict[str, Any] | None:
    raw = headers.get(PROVIDER_DATA_HEADER)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError(
            f"X-LlamaStack-Provider-Data is not valid JSON: {json_problem(exc)}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequestError("X-LlamaStack-Provider-Data must be a JSON object")
    return data


async def _reject(scope: Scope, receive: Receive, send: Send, error: Any) -> None:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, AuthenticationError) else None
    response = JSONResponse(error.to_envelope(), status_code=error.status_code, headers=headers)
    await response(scope, receive, send)
