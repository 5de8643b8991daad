"""A fake inference provider that fails on purpose: the gateway's retries and cool-downs are tested with it.

It answers like ``inline::fake`` (echo) but its first ``fail_first`` chat calls
fail with ``failure``: ``unavailable`` (503, as when the engine is down),
``rate_limit`` (429), ``invalid`` (400, never retried), or ``midstream`` (a
stream that fails after its first chunk, which must not be retried).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

from llama_stack_api import InvalidRequestError, ProviderError, ProviderUnavailableError, RateLimitError

from .inference import FakeInference, FakeInferenceConfig


class FlakyInferenceConfig(FakeInferenceConfig):
    fail_first: int = 0
    failure: Literal["unavailable", "rate_limit", "invalid", "midstream"] = "unavailable"
    healthy: bool = True  # what health() reports


class FlakyInference(FakeInference):
    config: FlakyInferenceConfig

    def __init__(self, config: FlakyInferenceConfig) -> None:
        super().__init__(config)
        self.calls = 0

    async def health(self) -> dict[str, Any]:
        self.log.append("health")
        if self.config.healthy:
            return {"status": "OK"}
        return {"status": "Error", "message": f"flaky backend {self.config.events_name!r} says it is sick"}

    def _maybe_fail(self) -> bool:
        """Count the call; raise now unless the failure is the mid-stream kind (returned as True)."""
        self.calls += 1
        self.log.append("call")
        if self.calls > self.config.fail_first:
            return False
        name = self.config.events_name
        if self.config.failure == "unavailable":
            raise ProviderUnavailableError(f"flaky backend {name!r} is down")
        if self.config.failure == "rate_limit":
            raise RateLimitError(f"flaky backend {name!r} is rate limited")
        if self.config.failure == "invalid":
            raise InvalidRequestError(f"flaky backend {name!r} refuses this request")
        return True

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> Any:
        midstream = self._maybe_fail()
        result = await super().openai_chat_completion(model, messages, **params)
        if midstream and params.get("stream"):
            return _fail_after_first(result, self.config.events_name)
        return result


async def _fail_after_first(stream: AsyncIterator[Any], name: str) -> AsyncIterator[Any]:
    async for chunk in stream:
        yield chunk
        raise ProviderError(f"flaky backend {name!r} broke mid-stream")


async def create(config: FlakyInferenceConfig, deps: dict[Any, Any]) -> FlakyInference:
    return FlakyInference(config)
