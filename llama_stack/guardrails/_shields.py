"""Running one side's shields concurrently, stopping at the first blocking violation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

from llama_stack_api.inference import Message
from llama_stack_api.safety import SafetyViolation, ViolationLevel

from ..routing._served import detach_served


@dataclass(frozen=True)
class ShieldTiming:
    stage: str  # "input" or "output"
    shield_id: str
    ms: float


@dataclass(frozen=True)
class Block:
    """A shield refused the content: who, at which stage, and what it said."""

    stage: str
    shield_id: str
    violation: SafetyViolation

    @property
    def refusal(self) -> str:
        return self.violation.user_message or f"I can't help with that: shield {self.shield_id!r} flagged it."

    def details(self) -> dict[str, Any]:
        """The answer's ``moderation`` field, in OpenAI's moderated-completions shape.

        ``input`` and ``output`` each list the verdict that blocked at that stage
        (the other stage's list is empty). Categories are the shield's own
        (``metadata.categories`` when it maps to OpenAI's, else its violation type).
        """
        metadata = self.violation.metadata
        categories = metadata.get("categories")
        if not isinstance(categories, dict) or not categories:
            categories = {str(metadata.get("violation_type") or "flagged"): True}
        result = {
            "type": "moderation_result",
            "model": self.shield_id,
            "flagged": True,
            "categories": categories,
            "category_scores": {name: 1.0 if hit else 0.0 for name, hit in categories.items()},
            "category_applied_input_types": {name: ["text"] for name in categories},
            "user_message": self.violation.user_message,
            "metadata": metadata,
        }

        def stage(name: str) -> dict[str, Any]:
            results = [result] if name == self.stage else []
            return {"type": "moderation_results", "model": self.shield_id, "results": results}

        return {"input": stage("input"), "output": stage("output")}


async def run_shields(
    safety: Any, shield_ids: list[str], messages: list[Message], stage: str, timings: list[ShieldTiming]
) -> Block | None:
    """Run every shield on ``messages`` at once; the first ``error``-level violation wins.

    The others are cancelled then, since their verdict no longer matters. A
    shield that fails raises: a guarded model is never served unchecked.
    """
    if not shield_ids:
        return None

    async def one(shield_id: str) -> tuple[str, SafetyViolation | None]:
        # a task has its own copy of the context: the shield's (and its guard model's) routing
        # must not overwrite what the response headers say about the main inference call
        detach_served()
        started = time.perf_counter()
        response = await safety.run_shield(shield_id=shield_id, messages=messages)
        timings.append(ShieldTiming(stage, shield_id, (time.perf_counter() - started) * 1000))
        return shield_id, response.violation

    pending = {asyncio.ensure_future(one(shield_id)) for shield_id in shield_ids}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            blocks = [_block(stage, *task.result()) for task in done]  # a failed shield raises here
            for block in blocks:
                if block is not None:
                    return block
        return None
    finally:
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _block(stage: str, shield_id: str, violation: SafetyViolation | None) -> Block | None:
    if violation is None or violation.violation_level != ViolationLevel.error:
        return None
    return Block(stage, shield_id, violation)
