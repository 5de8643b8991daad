"""Safety API: run a shield on a conversation, and OpenAI-compatible moderations.

Both methods are routed by shield id: ``run_shield`` names it in ``shield_id``,
``run_moderation`` in OpenAI's ``model`` field (optional when the stack serves
exactly one shield). A shield's provider decides what it looks at — Llama Guard
judges the last message of the conversation in its role, Prompt Guard and the
code scanner read the last message's text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from ._routes import webmethod
from .apis import Api, ApiSpec
from .inference import Message
from .resources import Shield


class ViolationLevel(StrEnum):
    """How serious a finding is: only ``error`` blocks a guarded request."""

    info = "info"
    warn = "warn"
    error = "error"


class SafetyViolation(BaseModel):
    """What a shield found: the level, a message fit to show the end user, and the details."""

    model_config = ConfigDict(extra="forbid")

    violation_level: ViolationLevel
    user_message: str | None = Field(default=None, description="A refusal fit to show the end user.")
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Provider details, e.g. `violation_type` (Llama Guard categories), `findings`, scores.",
    )


class RunShieldResponse(BaseModel):
    """``violation`` is ``None`` when the shield passed the conversation."""

    violation: SafetyViolation | None = None


class ModerationResult(BaseModel):
    """One input's verdict, in OpenAI's ``moderation`` result shape (plus our two fields)."""

    flagged: bool
    categories: dict[str, bool] = Field(description="Every category the shield reports, True where violated.")
    category_scores: dict[str, float] = Field(description="A score in [0, 1] per category.")
    category_applied_input_types: dict[str, list[Literal["text", "image"]]] = Field(
        description="Which kinds of input each category was judged on."
    )
    user_message: str | None = Field(default=None, description="A refusal fit to show the end user.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Provider details (raw categories).")


class ModerationObject(BaseModel):
    """The answer of ``POST /v1/moderations``."""

    id: str
    model: str = Field(description="The shield that judged the input.")
    results: list[ModerationResult]


@runtime_checkable
class Safety(Protocol):
    """Check content with the shields registered in the stack."""

    @webmethod(
        "POST",
        "/v1/safety/run-shield",
        routing_key="shield_id",
        summary="Run a shield on a conversation.",
    )
    async def run_shield(
        self, shield_id: str, messages: list[Message], params: dict[str, Any] | None = None
    ) -> RunShieldResponse:
        """Judge ``messages`` with the shield; a violation is an answer, not an error.

        ``params`` override the shield's registered params for this call where the
        provider allows it. Raises ``NotFoundError`` when the shield is not registered,
        ``InvalidRequestError`` when the messages are empty or a param is invalid, and
        ``ProviderError`` / ``ProviderUnavailableError`` when the shield's backend
        (e.g. the Llama Guard model's inference provider) fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/moderations",
        openai=True,
        routing_key="model",
        summary="Classify text as potentially harmful (OpenAI-compatible).",
    )
    async def run_moderation(self, input: str | list[str], model: str | None = None) -> ModerationObject:
        """One result per input; ``model`` names the shield (optional when only one is registered).

        Raises ``NotFoundError`` when the shield is not registered,
        ``InvalidRequestError`` when ``model`` is omitted and several shields are
        registered or the input is empty, and ``ProviderError`` /
        ``ProviderUnavailableError`` when the shield's backend fails.
        """
        ...


@runtime_checkable
class ShieldsProvider(Protocol):
    """What a safety provider implements so the registry can check shields before registering them."""

    async def check_shield(self, shield: Shield) -> Shield:
        """Validate (and possibly enrich) a shield about to be registered; raise to refuse it."""
        ...


API_SPEC = ApiSpec(
    api=Api.safety, protocol=Safety, routed_by=Api.shields, description="Shields and moderations"
)
