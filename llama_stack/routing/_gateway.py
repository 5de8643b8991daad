"""Gateway policy: which backend of a resource to try, when to retry, and which backends to rest.

A resource (a model) may be served by several providers: its own
``provider_id`` first, then ``backends``. The router asks for a plan of
attempts and reports each outcome; this module keeps the per-backend state
(failures in a row, cool-down deadline, requests in flight).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from llama_stack_api import (
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    Resource,
)

from ..config import RoutingPolicyConfig


@dataclass(frozen=True)
class Backend:
    provider_id: str
    provider_key: str  # the provider's own id for the resource


@dataclass
class _State:
    failures_in_a_row: int = 0
    cooled_until: float = 0.0
    in_flight: int = 0


@dataclass
class Gateway:
    policy: RoutingPolicyConfig
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _states: dict[Backend, _State] = field(default_factory=dict)
    _provider_cooled_until: dict[str, float] = field(default_factory=dict)
    _round_robin: dict[str, itertools.count[int]] = field(default_factory=dict)

    @staticmethod
    def backends_of(resource: Resource) -> list[Backend]:
        backends = [Backend(resource.provider_id, resource.provider_key)]
        for extra in getattr(resource, "backends", ()):
            backends.append(Backend(extra.provider_id, extra.provider_model_id or resource.provider_key))
        return backends

    def plan(self, resource: Resource) -> list[Backend]:
        """The backends to try, in order, ``max_attempts`` long (cycling when there are fewer)."""
        backends = self.backends_of(resource)
        strategy = getattr(resource, "routing_strategy", "fallback")
        if strategy == "round_robin" and len(backends) > 1:
            start = next(self._round_robin.setdefault(resource.identifier, itertools.count())) % len(backends)
            backends = backends[start:] + backends[:start]
        elif strategy == "least_busy":
            backends = sorted(backends, key=lambda b: self._state(b).in_flight)  # stable: ties keep order
        now = self.clock()
        resting = [b for b in backends if self._resting(b, now)]
        ready = [b for b in backends if b not in resting]
        ordered = ready + resting  # when all rest, trying one beats refusing outright
        return [ordered[i % len(ordered)] for i in range(self.policy.max_attempts)]

    def is_retriable(self, error: BaseException) -> bool:
        explicit = getattr(error, "retriable", None)
        if explicit is not None:
            return bool(explicit)
        if isinstance(error, ProviderTimeoutError):
            return self.policy.retry_timeouts
        return isinstance(error, RateLimitError | ProviderUnavailableError | ProviderError)

    async def backoff(self, retry: int) -> None:
        """Wait before retry number ``retry`` (1, 2, ...): exponential, capped."""
        delay = min(self.policy.backoff_max_s, self.policy.backoff_initial_s * (2 ** (retry - 1)))
        if delay > 0:
            await self.sleep(delay)

    def started(self, backend: Backend) -> None:
        self._state(backend).in_flight += 1

    def finished(self, backend: Backend) -> None:
        state = self._state(backend)
        state.in_flight = max(0, state.in_flight - 1)

    def succeeded(self, backend: Backend) -> None:
        self._state(backend).failures_in_a_row = 0

    def failed(self, backend: Backend) -> None:
        state = self._state(backend)
        state.failures_in_a_row += 1
        if state.failures_in_a_row >= self.policy.failure_threshold:
            state.cooled_until = self.clock() + self.policy.cooldown_s

    def provider_unhealthy(self, provider_id: str) -> None:
        """A failed health check rests every backend on that provider."""
        self._provider_cooled_until[provider_id] = self.clock() + self.policy.cooldown_s

    def provider_healthy(self, provider_id: str) -> None:
        self._provider_cooled_until.pop(provider_id, None)

    def resting(self, backend: Backend) -> bool:
        return self._resting(backend, self.clock())

    def _resting(self, backend: Backend, now: float) -> bool:
        return (
            self._state(backend).cooled_until > now
            or self._provider_cooled_until.get(backend.provider_id, 0) > now
        )

    def _state(self, backend: Backend) -> _State:
        state = self._states.get(backend)
        if state is None:
            state = self._states[backend] = _State()
        return state
