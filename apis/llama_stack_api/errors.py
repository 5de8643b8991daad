"""The error hierarchy every API and provider raises; the server maps it to HTTP in one place.

LlamaStackError (500, api_error)
├── InvalidRequestError (400, invalid_request_error)
│   └── PayloadTooLargeError (413)
├── AuthenticationError (401, authentication_error)
├── PermissionDeniedError (403, permission_denied_error)
├── NotFoundError (404, not_found_error)
├── ConflictError (409, conflict_error)
├── RateLimitError (429, rate_limit_error)
├── NotSupportedError (501, not_supported_error)
├── ProviderError (502, provider_error)
├── ProviderUnavailableError (503, provider_unavailable_error)
└── ProviderTimeoutError (504, timeout_error)
"""

from __future__ import annotations

from typing import Any, ClassVar


class LlamaStackError(Exception):
    """Base of every error the stack raises on purpose."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "api_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retriable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        # None: the gateway decides by class (429 and 5xx are retried); True/False: the raiser knows
        # better (refused credentials will be refused by every retry)
        self.retriable = retriable

    def to_envelope(self) -> dict[str, Any]:
        """The OpenAI error envelope ``{"error": {message, type, param, code}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequestError(LlamaStackError):
    """The request is malformed or names values that cannot work."""

    status_code = 400
    error_type = "invalid_request_error"


class PayloadTooLargeError(InvalidRequestError):
    """The request body is larger than the server accepts."""

    status_code = 413


class AuthenticationError(LlamaStackError):
    """No credentials, or credentials that are not valid."""

    status_code = 401
    error_type = "authentication_error"


class PermissionDeniedError(LlamaStackError):
    """Valid credentials that may not do this."""

    status_code = 403
    error_type = "permission_denied_error"


class NotFoundError(LlamaStackError):
    """A resource, route or job that does not exist."""

    status_code = 404
    error_type = "not_found_error"


class ConflictError(LlamaStackError):
    """The resource exists already or is in a state that forbids this."""

    status_code = 409
    error_type = "conflict_error"


class RateLimitError(LlamaStackError):
    """Too many requests; retry later."""

    status_code = 429
    error_type = "rate_limit_error"


class NotSupportedError(LlamaStackError):
    """The provider serving this resource does not support the operation."""

    status_code = 501
    error_type = "not_supported_error"


class ProviderError(LlamaStackError):
    """The provider (or the engine behind it) failed."""

    status_code = 502
    error_type = "provider_error"


class ProviderUnavailableError(LlamaStackError):
    """The provider cannot be reached or is not healthy."""

    status_code = 503
    error_type = "provider_unavailable_error"


class ProviderTimeoutError(LlamaStackError):
    """The provider did not answer in time."""

    status_code = 504
    error_type = "timeout_error"


ERRORS_BY_STATUS: dict[int, type[LlamaStackError]] = {
    cls.status_code: cls
    for cls in (
        InvalidRequestError,
        PayloadTooLargeError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        RateLimitError,
        NotSupportedError,
        ProviderError,
        ProviderUnavailableError,
        ProviderTimeoutError,
    )
}
