"""A deterministic fake shield: flags messages containing configured words, after an optional delay."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel

from llama_stack_api import ProviderError, Shield
from llama_stack_api.inference import Message
from llama_stack_api.safety import (
    ModerationObject,
    ModerationResult,
    RunShieldResponse,
    SafetyViolation,
    ViolationLevel,
)
from llama_stack_providers.utils.safety import message_text


class FakeShieldConfig(BaseModel):
    block_words: list[str] = ["forbidden"]
    warn_words: list[str] = []
    delay_s: float = 0.0
    fail: bool = False  # every call raises ProviderError (a broken shield backend)
    events_name: str = "fake-shield"


class FakeShield:
    """Judges the last message: a block word → ``error`` violation, a warn word → ``warn``."""

    events: ClassVar[dict[str, list[str]]] = {}

    def __init__(self, config: FakeShieldConfig) -> None:
        self.config = config
        self.log = FakeShield.events.setdefault(config.events_name, [])
        self.shields: dict[str, Shield] = {}

    async def check_shield(self, shield: Shield) -> Shield:
        self.shields[shield.provider_key] = shield
        return shield

    async def run_shield(
        self, shield_id: str, messages: list[Message], params: dict[str, Any] | None = None
    ) -> RunShieldResponse:
        text = message_text(messages[-1]) if messages else ""
        self.log.append(f"start:{shield_id}:{messages[-1].role if messages else ''}")
        try:
            if self.config.delay_s:
                await asyncio.sleep(self.config.delay_s)
            if self.config.fail:
                raise ProviderError(f"shield {shield_id} backend is down")
            return RunShieldResponse(violation=self._judge(text, shield_id))
        except asyncio.CancelledError:
            self.log.append(f"cancelled:{shield_id}")
            raise
        finally:
            self.log.append(f"end:{shield_id}")

    async def run_moderation(self, input: str | list[str], model: str | None = None) -> ModerationObject:
        texts = [input] if isinstance(input, str) else input
        results = []
        for text in texts:
            violation = self._judge(text, model or "")
            flagged = violation is not None and violation.violation_level == ViolationLevel.error
            results.append(
                ModerationResult(
                    flagged=flagged,
                    categories={"forbidden": flagged},
                    category_scores={"forbidden": 1.0 if flagged else 0.0},
                    category_applied_input_types={"forbidden": ["text"]},
                )
            )
        return ModerationObject(id=f"modr-{uuid.uuid4().hex}", model=model or "", results=results)

    def _judge(self, text: str, shield_id: str) -> SafetyViolation | None:
        lowered = text.lower()
        for word in self.config.block_words:
            if word.lower() in lowered:
                return SafetyViolation(
                    violation_level=ViolationLevel.error,
                    user_message=f"Blocked by {shield_id}: the word {word!r} is not allowed.",
                    metadata={"word": word},
                )
        for word in self.config.warn_words:
            if word.lower() in lowered:
                return SafetyViolation(violation_level=ViolationLevel.warn, metadata={"word": word})
        return None


async def create(config: FakeShieldConfig, deps: dict[Any, Any]) -> FakeShield:
    return FakeShield(config)
