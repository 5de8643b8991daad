"""Turning error envelopes (HTTP bodies or SSE error events) back into the contract's exceptions."""

from __future__ import annotations

from typing import Any

from llama_stack_api import LlamaStackError
from llama_stack_api.errors import ERRORS_BY_STATUS

_BY_TYPE = {cls.error_type: cls for cls in ERRORS_BY_STATUS.values() if cls.status_code != 413}


def error_from_envelope(status: int | None, body: Any) -> LlamaStackError:
    """The exception a client raises for an error response: one class per status."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"message": str(body) if body else f"HTTP {status}"}
    cls = ERRORS_BY_STATUS.get(status) if status is not None else _BY_TYPE.get(str(error.get("type")))
    exc = (cls or LlamaStackError)(
        str(error.get("message") or f"HTTP {status}"),
        param=error.get("param"),
        code=error.get("code"),
    )
    if cls is None and status is not None:
        exc.status_code = status  # type: ignore[misc]
    return exc


def raise_for_error_event(data: Any) -> None:
    if isinstance(data, dict) and set(data) == {"error"}:
        raise error_from_envelope(None, data)
