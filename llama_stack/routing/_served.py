"""What the server reports about who served a request: the provider and the time spent waiting for it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

PROVIDER_HEADER = "x-llama-stack-provider"
OVERHEAD_HEADER = "x-llama-stack-overhead-ms"
ATTEMPTS_HEADER = "x-llama-stack-attempts"
SHIELDS_HEADER = "x-llama-stack-shields"


@dataclass
class ServedInfo:
    """Filled in by the router while the endpoint awaits it (same task, so a context variable carries it)."""

    provider_id: str | None = None
    provider_seconds: float = 0.0
    attempts: int = 0
    # (stage, shield id, milliseconds) for each guardrail shield that ran before the answer
    shields: list[tuple[str, str, float]] = field(default_factory=list)


_served: ContextVar[ServedInfo | None] = ContextVar("llama_stack_served", default=None)


def start_served() -> ServedInfo:
    info = ServedInfo()
    _served.set(info)
    return info


def current_served() -> ServedInfo | None:
    return _served.get()


def detach_served() -> None:
    """Stop reporting to the current request's info from here on (in this task's context only).

    Guardrail shields run in their own tasks and may call inference themselves
    (Llama Guard); without this their routing would overwrite the headers that
    describe the request's own inference call.
    """
    _served.set(None)
