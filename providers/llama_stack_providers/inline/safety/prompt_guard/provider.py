"""``inline::prompt-guard``: flags jailbreak and prompt-injection attempts with a local classifier."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from llama_stack_api import ProviderUnavailableError
from llama_stack_api.inference import Message
from llama_stack_api.safety import (
    ModerationObject,
    ModerationResult,
    RunShieldResponse,
    SafetyViolation,
    ViolationLevel,
)
from llama_stack_providers.utils.safety import (
    ShieldProvider,
    message_text,
    moderation_id,
    moderation_inputs,
    require_messages,
)

from .classifier import GuardScores, PromptGuardClassifier, load_classifier
from .config import PromptGuardConfig, PromptGuardShieldParams

logger = logging.getLogger(__name__)

_WHAT = {"jailbreak": "a jailbreak attempt", "injection": "a prompt injection"}


class PromptGuardSafety(ShieldProvider[PromptGuardShieldParams]):
    """Implements ``Safety``. The classifier loads in the background, so the server starts at once."""

    def __init__(self, config: PromptGuardConfig) -> None:
        super().__init__(
            PromptGuardShieldParams,
            lambda: {"guard_type": config.guard_type, "threshold": config.default_threshold},
        )
        self.config = config
        self._loading: asyncio.Task[PromptGuardClassifier] | None = None

    async def initialize(self) -> None:
        self._loading = asyncio.ensure_future(asyncio.to_thread(self._load))

    def _load(self) -> PromptGuardClassifier:
        return load_classifier(
            self.config.checkpoint_dir,
            device=self.config.device,
            window_tokens=self.config.window_tokens,
            window_stride=self.config.window_stride,
        )

    async def shutdown(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()

    async def health(self) -> dict[str, Any]:
        if self._loading is None or not self._loading.done():
            return {"status": "OK", "message": "classifier loading"}
        if self._loading.cancelled() or self._loading.exception() is not None:
            return {"status": "Error", "message": f"classifier failed to load: {self._loading.exception()}"}
        return {"status": "OK"}

    async def _classifier(self) -> PromptGuardClassifier:
        if self._loading is None:
            await self.initialize()
        assert self._loading is not None
        try:
            # shielded: a cancelled request must not cancel the one load every request shares
            return await asyncio.shield(self._loading)
        except (OSError, ValueError, ImportError) as exc:
            raise ProviderUnavailableError(f"prompt-guard classifier could not be loaded: {exc}") from exc

    async def _scores(self, texts: list[str]) -> list[GuardScores]:
        classifier = await self._classifier()
        return await asyncio.to_thread(classifier.scores, texts)

    async def run_shield(
        self, shield_id: str, messages: list[Message], params: dict[str, Any] | None = None
    ) -> RunShieldResponse:
        require_messages(messages)
        shield_params = self.shields.params(shield_id, params)
        chosen = messages if shield_params.scan == "all" else messages[-1:]
        texts = [message_text(m) for m in chosen]
        texts = [t for t in texts if t.strip()]
        if not texts:
            return RunShieldResponse()
        scores = await self._scores(texts)
        worst = max(s.score(shield_params.guard_type) for s in scores)
        return RunShieldResponse(violation=self._violation(worst, shield_params))

    async def run_moderation(self, input: str | list[str], model: str | None = None) -> ModerationObject:
        shield_params = self.shields.params(model or "")
        texts = moderation_inputs(input)
        scores = await self._scores(texts)
        results = []
        for score in scores:
            value = score.score(shield_params.guard_type)
            flagged = value >= shield_params.threshold
            violation = self._violation(value, shield_params)
            category = shield_params.guard_type
            results.append(
                ModerationResult(
                    flagged=flagged,
                    categories={category: flagged},
                    category_scores={category: value},
                    category_applied_input_types={category: ["text"]},
                    user_message=violation.user_message if violation else None,
                    metadata={
                        "benign": score.benign,
                        "injection": score.injection,
                        "jailbreak": score.jailbreak,
                    },
                )
            )
        return ModerationObject(id=moderation_id(), model=model or "", results=results)

    def _violation(self, score: float, params: PromptGuardShieldParams) -> SafetyViolation | None:
        if score < params.threshold:
            return None
        return SafetyViolation(
            violation_level=ViolationLevel.error,
            user_message=(
                f"I can't follow that: the input looks like {_WHAT[params.guard_type]} "
                f"(score {score:.2f}, threshold {params.threshold:.2f})."
            ),
            metadata={
                "violation_type": params.guard_type,
                "score": score,
                "threshold": params.threshold,
                "categories": {params.guard_type: True},
            },
        )


async def create(config: PromptGuardConfig, deps: dict[Any, Any]) -> PromptGuardSafety:
    return PromptGuardSafety(config)
