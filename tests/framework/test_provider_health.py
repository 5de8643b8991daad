"""``provider_health``: a provider's health() verdict, its failures and timeouts, and cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llama_stack import introspection
from llama_stack.introspection import provider_health


class QuickProvider:
    """Answers after ``yields`` trips through the event loop."""

    def __init__(self, yields: int) -> None:
        self.yields = yields

    async def health(self) -> dict[str, Any]:
        for _ in range(self.yields):
            await asyncio.sleep(0)
        return {"status": "OK"}


class BrokenProvider:
    async def health(self) -> dict[str, Any]:
        raise ConnectionError("backend refused")


class SlowProvider:
    async def health(self) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {"status": "OK"}


async def test_a_provider_without_health_is_not_implemented() -> None:
    assert await provider_health(object()) == {"status": "Not Implemented"}


async def test_a_failing_check_is_reported_not_raised() -> None:
    assert await provider_health(BrokenProvider()) == {
        "status": "Error",
        "message": "ConnectionError: backend refused",
    }


async def test_a_slow_check_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(introspection, "HEALTH_TIMEOUT_S", 0.01)
    result = await provider_health(SlowProvider())
    assert result["status"] == "Error"
    assert "took over" in result["message"]


@pytest.mark.parametrize("yields", [0, 1, 2])
@pytest.mark.parametrize("cancel_after", range(6))
async def test_cancelling_a_check_is_never_swallowed(yields: int, cancel_after: int) -> None:
    # Cancelling at each loop step, including the one where the check has just finished: a swallowed
    # cancellation kept the stack's health watcher alive through shutdown (a hang in CI).
    task = asyncio.create_task(provider_health(QuickProvider(yields)))
    for _ in range(cancel_after):
        await asyncio.sleep(0)
    if task.done():
        assert task.result() == {"status": "OK"}
        return
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
