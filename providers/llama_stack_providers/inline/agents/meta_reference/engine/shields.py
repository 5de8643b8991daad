"""Shield checks for the loop: every named shield on one text, concurrently; the first blocking verdict wins."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from llama_stack_api import InvalidRequestError
from llama_stack_api.inference import CompletionMessage, Message, StopReason, UserMessage
from llama_stack_api.safety import RunShieldResponse, SafetyViolation, ViolationLevel


def judged_text(text: str, role: Literal["user", "assistant"], question: str = "") -> list[Message]:
    """The conversation a shield judges: ``text`` as the last message, after the user's ``question``
    when judging an answer (Llama Guard reads the exchange, not the answer alone)."""
    if role == "user":
        return [UserMessage(content=text)]
    answer = CompletionMessage(content=text, stop_reason=StopReason.end_of_turn)
    return [UserMessage(content=question), answer] if question else [answer]


async def first_violation(safety: Any, shields: list[str], messages: list[Message]) -> SafetyViolation | None:
    """The first ``error``-level violation any shield finds in the last of ``messages``.

    The others are cancelled once one blocks. A shield that fails raises: an
    unchecked answer is never passed as checked.
    """
    if not shields or not messages:
        return None
    if safety is None:
        raise InvalidRequestError(
            "shields are named but this stack serves no safety API; add a safety provider"
        )
    tasks = [
        asyncio.create_task(safety.run_shield(shield_id=s, messages=messages, params={})) for s in shields
    ]
    try:
        for finished in asyncio.as_completed(tasks):
            response: RunShieldResponse = await finished
            violation = response.violation
            if violation is not None and violation.violation_level == ViolationLevel.error:
                return violation
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return None
