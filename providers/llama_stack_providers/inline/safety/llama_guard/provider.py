"""``inline::llama-guard``: asks a Llama Guard 3 model, served by any inference provider, for a verdict."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from llama_stack_api import (
    Api,
    InvalidRequestError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
)
from llama_stack_api.inference import Message, OpenAIUserMessageParam
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

from .config import LlamaGuardConfig, LlamaGuardShieldParams
from .moderation_categories import moderation_categories
from .prompt import (
    ALL_CATEGORIES,
    Role,
    UnparseableVerdict,
    Verdict,
    build_prompt,
    categories_for_model,
    category_by_code,
    llama3_completion_prompt,
    parse_verdict,
    role_label,
)

logger = logging.getLogger(__name__)


class LlamaGuardSafety(ShieldProvider[LlamaGuardShieldParams]):
    """Implements ``Safety``; a shield's provider id is the guard model's id in the Inference API."""

    def __init__(self, config: LlamaGuardConfig, inference: Any) -> None:
        super().__init__(
            LlamaGuardShieldParams,
            lambda: {
                "excluded_categories": list(config.excluded_categories),
                "on_unparseable": config.on_unparseable,
            },
        )
        self.config = config
        self.inference = inference

    async def run_shield(
        self, shield_id: str, messages: list[Message], params: dict[str, Any] | None = None
    ) -> RunShieldResponse:
        require_messages(messages)
        shield_params = self.shields.params(shield_id, params)
        conversation: list[tuple[Role, str]] = []
        for message in messages:
            role = role_label(message.role)
            if role is not None:
                conversation.append((role, message_text(message)))
        if not conversation:
            return RunShieldResponse()  # only system prompts: no conversation content to judge
        verdict = await self._verdict(shield_id, conversation, conversation[-1][0], shield_params)
        return RunShieldResponse(violation=_violation(verdict, shield_id) if verdict is not None else None)

    async def run_moderation(self, input: str | list[str], model: str | None = None) -> ModerationObject:
        if model is None:  # the router fills it in; a direct caller must name the guard model
            raise InvalidRequestError("`model` (the shield's guard model) is required", param="model")
        shield_params = self.shields.params(model)
        texts = moderation_inputs(input)
        verdicts = await asyncio.gather(
            *(self._verdict(model, [("User", text)], "User", shield_params) for text in texts)
        )
        return ModerationObject(
            id=moderation_id(), model=model, results=[_moderation_result(v, model) for v in verdicts]
        )

    async def _verdict(
        self,
        guard_model: str,
        conversation: list[tuple[Role, str]],
        role: Role,
        params: LlamaGuardShieldParams,
    ) -> Verdict | None:
        """The guard's verdict on the last ``role`` message; ``None`` when the policy allows an odd answer."""
        categories = categories_for_model(params.model_variant or guard_model)
        prompt = build_prompt(
            conversation, role=role, categories=categories, excluded=params.excluded_categories
        )
        raw = await self._ask(guard_model, prompt)
        try:
            # read against every category: a guard that names an excluded one anyway was told to ignore it
            verdict = parse_verdict(raw, categories=ALL_CATEGORIES)
        except UnparseableVerdict as exc:
            return self._unparseable(guard_model, exc, params)
        listed = {c.code for c in categories} - _excluded_codes(params.excluded_categories)
        if verdict.safe or not verdict.violated:
            return verdict
        reported = tuple(code for code in verdict.violated if code in listed)
        if not reported:
            logger.debug(
                "%s named only excluded categories %s: treated as safe", guard_model, verdict.violated
            )
            return Verdict(True)
        return Verdict(False, reported)

    def _unparseable(
        self, guard_model: str, exc: UnparseableVerdict, params: LlamaGuardShieldParams
    ) -> Verdict | None:
        if params.on_unparseable == "allow":
            logger.warning("guard model %r: %s; allowed by policy", guard_model, exc)
            return Verdict(True)
        if params.on_unparseable == "block":
            return Verdict(False, ("unparseable",))
        raise ProviderError(
            f"guard model {guard_model!r} did not answer like Llama Guard (expected 'safe' or "
            f"'unsafe' and categories); raw output: {exc.raw[:300]!r}. Serve a Llama Guard 3 model "
            "under this id, or set on_unparseable to block or allow",
            code="unparseable_guard_output",
        )

    async def _ask(self, guard_model: str, prompt: str) -> str:
        try:
            if self.config.request_format == "chat":
                answer = await self.inference.openai_chat_completion(
                    model=guard_model,
                    messages=[OpenAIUserMessageParam(content=prompt)],
                    max_tokens=self.config.max_tokens,
                    temperature=0.0,
                )
                return str(answer.choices[0].message.content or "")
            completion = await self.inference.openai_completion(
                model=guard_model,
                prompt=llama3_completion_prompt(prompt, with_bos=False),
                max_tokens=self.config.max_tokens,
                temperature=0.0,
            )
            return str(completion.choices[0].text)
        except NotFoundError as exc:
            # the shield is registered but its guard model is not: the operator's setup, not the caller's
            raise ProviderUnavailableError(
                f"shield's guard model {guard_model!r} is not available: {exc.message}"
            ) from None


def _excluded_codes(excluded: list[str]) -> set[str]:
    codes: set[str] = set()
    lowered = [e.strip().lower() for e in excluded]
    for category in ALL_CATEGORIES:
        if category.code.lower() in lowered or category.name.lower() in lowered:
            codes.add(category.code)
    return codes


def _names(codes: tuple[str, ...]) -> str:
    names = []
    for code in codes:
        try:
            names.append(f"{code}: {category_by_code(code).name}")
        except KeyError:
            names.append(code)
    return ", ".join(names)


def _violation(verdict: Verdict, guard_model: str) -> SafetyViolation | None:
    if verdict.safe:
        return None
    described = _names(verdict.violated) if verdict.violated else "unspecified category"
    return SafetyViolation(
        violation_level=ViolationLevel.error,
        user_message=f"I can't help with that: the content was flagged as unsafe ({described}).",
        metadata={
            "violation_type": ",".join(verdict.violated),
            "guard_model": guard_model,
            "categories": {k: v for k, v in _openai_categories(verdict).items() if v},
        },
    )


def _openai_categories(verdict: Verdict) -> dict[str, bool]:
    return moderation_categories([c for c in verdict.violated if c.startswith("S")])


def _moderation_result(verdict: Verdict | None, guard_model: str) -> ModerationResult:
    categories = moderation_categories([]) if verdict is None or verdict.safe else _openai_categories(verdict)
    flagged = verdict is not None and not verdict.safe
    violation = _violation(verdict, guard_model) if verdict is not None else None
    return ModerationResult(
        flagged=flagged,
        categories=categories,
        # Llama Guard answers in words, not probabilities: a category scores 1.0 when named, else 0.0
        category_scores={name: 1.0 if hit else 0.0 for name, hit in categories.items()},
        category_applied_input_types={name: ["text"] for name in categories},
        user_message=violation.user_message if violation else None,
        metadata={
            "violation_type": ",".join(verdict.violated) if verdict else "",
            "guard_model": guard_model,
        },
    )


async def create(config: LlamaGuardConfig, deps: dict[Api, Any]) -> LlamaGuardSafety:
    return LlamaGuardSafety(config, deps[Api.inference])
