"""The one place where exceptions become HTTP responses (the OpenAI error envelope)."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import JSONResponse

from llama_stack_api import LlamaStackError, NotFoundError

logger = logging.getLogger("llama_stack.server")


def error_envelope(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, envelope) for any exception; unexpected ones are logged and become a 500."""
    if isinstance(exc, LlamaStackError):
        return exc.status_code, exc.to_envelope()
    logger.error("unhandled error while serving a request", exc_info=exc)
    return 500, LlamaStackError(
        f"internal server error ({type(exc).__name__}); the server log has the details"
    ).to_envelope()


def json_problem(exc: ValueError | RecursionError) -> str:
    """Why ``json.loads`` refused client input, in words for the client (it is a 400, not a 500).

    Besides syntax errors it raises ``UnicodeDecodeError``, ``ValueError`` for an
    integer over Python's digit limit, and ``RecursionError`` for deep nesting.
    """
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0]


def error_response(exc: BaseException) -> JSONResponse:
    status, envelope = error_envelope(exc)
    return JSONResponse(envelope, status_code=status)


def route_not_found(method: str, path: str, allowed: list[str] | None = None) -> JSONResponse:
    if allowed:
        error = LlamaStackError(f"method {method} is not allowed on {path}; allowed: {', '.join(allowed)}")
        body = error.to_envelope()
        body["error"]["type"] = "invalid_request_error"
        return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allowed)})
    return error_response(
        NotFoundError(f"no route {method} {path}; GET /v1/inspect/routes lists the routes this stack serves")
    )
