"""What the server reports about who served a request: the provider and the time spent waiting for it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

PROVIDER_HEADER = "x-llama-stack-provider"
OVERHEAD_HEADER = "x-llama-stack-overhead-ms"
ATTEMPTS_HEADER = "x-llama-stack-attempts"


@dataclass
class ServedInfo:
    """Filled in by the router while the endpoint awaits it (same task, so a context variable carries it)."""

    provider_id: str | None = None
    provider_seconds: float = 0.0
    attempts: int = 0


_served: ContextVar[ServedInfo | None] = ContextVar("llama_stack_served", default=None)


def start_served() -> ServedInfo:
    info = ServedInfo()
    _served.set(info)
    return info


def current_served() -> ServedInfo | None:
    return _served.get()
