"""The gateway policy in isolation: plans by strategy, cool-downs, back-off (with a fake clock)."""

from __future__ import annotations

import pytest

from llama_stack.config import RoutingPolicyConfig
from llama_stack.routing import Backend, Gateway
from llama_stack_api import (
    InvalidRequestError,
    Model,
    ModelBackend,
    NotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)

A, B, C = Backend("a", "m-a"), Backend("b", "m-b"), Backend("c", "m-a")  # c: replicas share the id


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def model(strategy: str = "fallback") -> Model:
    return Model(
        identifier="m",
        provider_id="a",
        provider_resource_id="m-a",
        backends=[ModelBackend(provider_id="b", provider_model_id="m-b"), ModelBackend(provider_id="c")],
        routing_strategy=strategy,  # type: ignore[arg-type]
    )


def gateway(clock: FakeClock, **policy: float) -> Gateway:
    return Gateway(RoutingPolicyConfig(**policy), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_backends_are_the_primary_then_the_extra_ones_with_their_own_ids() -> None:
    assert Gateway.backends_of(model()) == [A, B, C]


def test_fallback_plan_is_in_order_and_cycles_to_max_attempts() -> None:
    clock = FakeClock()
    assert gateway(clock, max_attempts=5).plan(model()) == [A, B, C, A, B]


def test_round_robin_rotates_the_starting_backend() -> None:
    g = gateway(FakeClock(), max_attempts=3)
    starts = [g.plan(model("round_robin"))[0] for _ in range(4)]
    assert starts == [A, B, C, A]


def test_least_busy_prefers_fewest_in_flight() -> None:
    g = gateway(FakeClock(), max_attempts=3)
    g.started(A)
    g.started(A)
    g.started(B)
    assert g.plan(model("least_busy")) == [C, B, A]
    g.finished(A)
    g.finished(A)
    assert g.plan(model("least_busy"))[0] == A


def test_failing_backend_cools_down_after_the_threshold_then_returns() -> None:
    clock = FakeClock()
    g = gateway(clock, failure_threshold=2, cooldown_s=30, max_attempts=3)
    g.failed(A)
    assert g.plan(model())[0] == A  # one failure is not a pattern
    g.failed(A)
    assert g.plan(model()) == [B, C, A]  # resting: tried last
    clock.now += 31
    assert g.plan(model())[0] == A


def test_success_resets_the_failure_count() -> None:
    g = gateway(FakeClock(), failure_threshold=2)
    g.failed(A)
    g.succeeded(A)
    g.failed(A)
    assert not g.resting(A)


def test_unhealthy_provider_rests_all_its_backends() -> None:
    clock = FakeClock()
    g = gateway(clock, cooldown_s=10, max_attempts=3)
    g.provider_unhealthy("a")
    assert g.plan(model())[0] == B
    g.provider_healthy("a")
    assert g.plan(model())[0] == A


async def test_backoff_doubles_and_is_capped() -> None:
    clock = FakeClock()
    g = gateway(clock, backoff_initial_s=0.1, backoff_max_s=0.3)
    for retry in (1, 2, 3, 4):
        await g.backoff(retry)
    assert clock.slept == pytest.approx([0.1, 0.2, 0.3, 0.3])


@pytest.mark.parametrize(
    ("error", "retriable"),
    [
        (RateLimitError("slow down"), True),
        (ProviderUnavailableError("down"), True),
        (ProviderError("garbage"), True),
        (ProviderTimeoutError("slow"), True),
        (InvalidRequestError("bad"), False),
        (NotFoundError("no"), False),
    ],
)
def test_only_rate_limits_and_backend_failures_are_retried(error: Exception, retriable: bool) -> None:
    assert gateway(FakeClock()).is_retriable(error) is retriable


def test_timeouts_are_not_retried_when_the_policy_says_so() -> None:
    assert not gateway(FakeClock(), retry_timeouts=False).is_retriable(ProviderTimeoutError("slow"))  # type: ignore[arg-type]


def test_an_error_can_say_it_is_not_worth_retrying() -> None:
    g = gateway(FakeClock())
    assert not g.is_retriable(ProviderError("credentials refused", retriable=False))
    assert g.is_retriable(InvalidRequestError("overloaded, try again", retriable=True))
