"""What an engine's HTTP error means to our clients: upstream status and body -> the contract's errors.

upstream                         raised here
400, 413, 422                    InvalidRequestError (the engine's message)
401, 403                         ProviderError: the provider's credentials were refused (never the key)
404 naming a model               NotFoundError (the engine's message)
404 otherwise                    ProviderError: no such route (check the base URL)
408, 504                         ProviderTimeoutError
429                              RateLimitError (Retry-After in the message)
501                              NotSupportedError
503                              ProviderUnavailableError
other 4xx / 5xx                  ProviderError
refused, reset, DNS              ProviderUnavailableError (see ``transport_error``)
timeout                          ProviderTimeoutError
non-JSON or off-schema body      ProviderError "backend returned an invalid response"
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from llama_stack_api import (
    InvalidRequestError,
    LlamaStackError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

MAX_QUOTED_CHARS = 500
REDACTED = "********"
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def public_url(url: str) -> str:
    """``url`` without ``user:password@``, for messages and logs."""
    return _USERINFO.sub("", url)


@dataclass(frozen=True)
class UpstreamFailure:
    """An error answer from the engine, already decoded and with secrets removed."""

    label: str  # who we are, e.g. "remote::vllm"
    url: str  # the URL that answered
    status: int
    message: str  # the engine's own message, or the start of its body
    param: str | None = None
    code: str | None = None
    type: str | None = None
    retry_after: str | None = None

    @property
    def where(self) -> str:
        return f"{self.label} at {public_url(self.url)}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (API keys in use) replaced, so engine messages never echo them."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def decode_failure(
    label: str,
    url: str,
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    secrets: Iterable[str] = (),
) -> UpstreamFailure:
    """Read the engine's error body in any of the shapes engines use.

    ``{"error": {"message", "type", "param", "code"}}`` (OpenAI, Llama Stack, vLLM),
    ``{"object": "error", "message", ...}`` (older vLLM), ``{"error": "..."}``
    (Ollama), ``{"detail": ...}`` (FastAPI), or anything else as text.
    """
    secrets = tuple(secrets)
    text = body.decode("utf-8", errors="replace")
    message, param, code, kind = "", None, None, None
    try:
        data: Any = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            message = error
        elif isinstance(error, dict):
            detail = error.get("message", error.get("detail"))
            message = detail if isinstance(detail, str) else json.dumps(detail) if detail else ""
            param = _str_or_none(error.get("param"))
            code = _str_or_none(error.get("code"))
            kind = _str_or_none(error.get("type"))
    if not message:
        message = " ".join(text.split())[:MAX_QUOTED_CHARS] or "(empty body)"
    return UpstreamFailure(
        label=label,
        url=url,
        status=status,
        message=redact(message[:MAX_QUOTED_CHARS], secrets),
        param=param,
        code=redact(code, secrets) if code else None,
        type=kind,
        retry_after=headers.get("Retry-After") or headers.get("retry-after"),
    )


def default_error(failure: UpstreamFailure) -> LlamaStackError:
    """The contract error for an engine's HTTP error; providers refine it (see the table above)."""
    status, where, said = failure.status, failure.where, failure.message
    if status in (400, 413, 422):
        return InvalidRequestError(
            f"{where} refused the request: {said}", param=failure.param, code=failure.code
        )
    if status in (401, 403):
        # the engine's message may quote part of the key; it is not passed on
        return ProviderError(
            f"{where} refused the provider's credentials (HTTP {status}); check the API key in the "
            "provider's config or in the X-LlamaStack-Provider-Data header",
            code="provider_credentials_refused",
            retriable=False,  # every backend retry would be refused the same way
        )
    if status == 404:
        if "model" in said.lower():
            return NotFoundError(f"{where}: {said}", param="model", code="model_not_found")
        return ProviderError(
            f"{where} has no such route (HTTP 404: {said}); check the provider's URL "
            "(OpenAI-compatible servers usually serve under /v1)",
            code="backend_route_not_found",
        )
    if status in (408, 504):
        return ProviderTimeoutError(f"{where} timed out (HTTP {status}): {said}", code="backend_timeout")
    if status == 429:
        wait = f"; retry after {failure.retry_after} s" if failure.retry_after else "; retry later"
        return RateLimitError(
            f"{where} is rate limiting requests: {said}{wait}",
            code=f"retry_after_{failure.retry_after}" if failure.retry_after else "rate_limited",
        )
    if status == 501:
        return NotSupportedError(f"{where} does not support this: {said}", code=failure.code)
    if status == 503:
        return ProviderUnavailableError(
            f"{where} is unavailable (HTTP 503): {said}", code="backend_unavailable"
        )
    return ProviderError(f"{where} failed (HTTP {status}): {said}", code="backend_error")


def invalid_response(label: str, url: str, problem: str, secrets: Iterable[str] = ()) -> ProviderError:
    """The engine answered 2xx with something that is not the JSON it should be."""
    problem = redact(" ".join(problem.split())[:MAX_QUOTED_CHARS], secrets)
    return ProviderError(
        f"{label} at {public_url(url)}: backend returned an invalid response ({problem})",
        code="invalid_backend_response",
    )


def unreachable(label: str, url: str, why: str) -> ProviderUnavailableError:
    return ProviderUnavailableError(
        f"{label} cannot reach {public_url(url)} ({why}); check that the server is running and the provider's URL",
        code="backend_unreachable",
    )


def timed_out(label: str, url: str, what: str) -> ProviderTimeoutError:
    return ProviderTimeoutError(
        f"{label} at {public_url(url)} did not {what} in time; raise the provider's timeouts if the engine is slow",
        code="backend_timeout",
    )


def error_from_stream_event(
    label: str, url: str, payload: Any, secrets: Iterable[str] = ()
) -> LlamaStackError | None:
    """An ``{"error": ...}`` event inside an SSE stream (the status line said 200 already)."""
    if not isinstance(payload, dict) or "error" not in payload:
        return None
    body = json.dumps(payload).encode()
    failure = decode_failure(label, url, 500, body, {}, secrets)
    status = _status_of(payload["error"])
    if status is not None:
        failure = replace(failure, status=status)
    return default_error(failure)


# Llama Stack's error types (the server's envelope), and vLLM's exception names
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "BadRequestError": 400,
    "not_found_error": 404,
    "NotFoundError": 404,
    "rate_limit_error": 429,
    "not_supported_error": 501,
    "provider_unavailable_error": 503,
    "timeout_error": 504,
}
_DIGITS = re.compile(r"^\d{3}$")


def _status_of(error: Any) -> int | None:
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    if isinstance(code, int) and 400 <= code < 600:
        return code
    if isinstance(code, str) and _DIGITS.match(code):
        return int(code)
    kind = error.get("type")
    return _STATUS_BY_TYPE.get(kind) if isinstance(kind, str) else None


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
