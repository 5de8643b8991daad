"""Per-request context the framework sets and providers may read (who is asking, about which resource)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .resources import Resource


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the ``principal`` of the API key used."""

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


_principal: ContextVar[Principal | None] = ContextVar("llama_stack_principal", default=None)
_provider_data: ContextVar[dict[str, Any] | None] = ContextVar("llama_stack_provider_data", default=None)


_resource: ContextVar[Resource | None] = ContextVar("llama_stack_resource", default=None)


def current_resource() -> Resource | None:
    """The registered resource (model, shield, ...) the router is calling this provider for.

    Routers pass the provider its own id for the resource; this is the whole
    record, so a provider can read what was registered with it (a shield's
    ``params``, a model's ``metadata``) even when several public ids share
    one provider id. ``None`` outside a routed call.
    """
    return _resource.get()


def set_current_resource(resource: Resource | None) -> Token[Resource | None]:
    """Set by the router around each provider call; undo with ``reset_current_resource``."""
    return _resource.set(resource)


def reset_current_resource(token: Token[Resource | None]) -> None:
    _resource.reset(token)


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
