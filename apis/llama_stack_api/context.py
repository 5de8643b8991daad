"""Per-request context the framework sets and providers may read (who is asking)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the ``principal`` of the API key used."""

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


_principal: ContextVar[Principal | None] = ContextVar("llama_stack_principal", default=None)
_provider_data: ContextVar[dict[str, Any] | None] = ContextVar("llama_stack_provider_data", default=None)


def current_principal() -> Principal | None:
    """The caller of the request being served, or ``None`` when auth is off."""
    return _principal.get()


def current_provider_data() -> dict[str, Any]:
    """Per-request provider data (the ``X-LlamaStack-Provider-Data`` JSON header)."""
    return dict(_provider_data.get() or {})


@dataclass(frozen=True)
class RequestContextToken:
    """What ``set_request_context`` returns, to undo it with ``reset_request_context``."""

    principal: Token[Principal | None]
    provider_data: Token[dict[str, Any] | None]


def set_request_context(
    principal: Principal | None, provider_data: dict[str, Any] | None
) -> RequestContextToken:
    """Set the context for the current task; returns a token for ``reset_request_context``."""
    return RequestContextToken(_principal.set(principal), _provider_data.set(provider_data))


def reset_request_context(token: RequestContextToken) -> None:
    _principal.reset(token.principal)
    _provider_data.reset(token.provider_data)
