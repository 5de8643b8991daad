"""The Inference API with each model's guardrails applied: shields before and after generation."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from llama_stack_api import Api, Guardrails, Model, ProviderUnavailableError, ResourceType, protocol_methods
from llama_stack_api.inference import Inference, Message

from ..routing import ResourceRegistry, current_served
from ._dialects import DIALECTS, Dialect, with_answer
from ._shields import Block, ShieldTiming, run_shields
from ._stream import WindowedStream


class GuardedInference:
    """Wraps the inference router; a model without guardrails costs one registry lookup.

    Input shields run before inference, so a blocked request never reaches the
    model (a prompt injection cannot act through tools, and no compute is
    spent). Output shields judge a whole answer, or a stream window by window
    (see ``WindowedStream``). A shield that fails fails the request: a guarded
    model is never served unchecked.
    """

    def __init__(self, inner: Any, registry: ResourceRegistry, safety: Callable[[], Any | None]) -> None:
        self._inner = inner
        self._registry = registry
        self._safety = safety
        for spec in protocol_methods(Inference):
            if spec.name in DIALECTS:
                setattr(
                    self, spec.name, _guarded_method(self, spec.name, spec.signature, DIALECTS[spec.name])
                )
            else:
                setattr(self, spec.name, getattr(inner, spec.name))

    def __getattr__(self, name: str) -> Any:
        # anything beyond the Protocol (health, shutdown hooks of a single provider) is the inner one's
        return getattr(self._inner, name)

    def guardrails_of(self, model_id: str) -> Guardrails | None:
        model = self._registry.find(ResourceType.model, model_id)
        if isinstance(model, Model) and model.guardrails is not None:
            guardrails = model.guardrails
            if guardrails.input_shields or guardrails.output_shields:
                return guardrails
        return None

    def safety(self, model_id: str) -> Any:
        safety = self._safety()
        if safety is None:
            raise ProviderUnavailableError(
                f"model {model_id!r} has guardrails but this stack serves no safety API; "
                "add a safety provider to the distribution (the model is not served unguarded)"
            )
        return safety

    async def generate(self, method: str, dialect: Dialect, arguments: dict[str, Any]) -> Any:
        model_id = arguments[dialect.model_key]
        guardrails = self.guardrails_of(model_id) if isinstance(model_id, str) else None
        if guardrails is None:
            return await getattr(self._inner, method)(**arguments)
        safety = self.safety(model_id)
        streaming = bool(arguments.get("stream"))
        conversation = dialect.conversation(arguments)
        timings: list[ShieldTiming] = []
        served = current_served()
        try:
            block = await run_shields(safety, guardrails.input_shields, conversation, "input", timings)
        finally:
            _report(served, timings)
        if block is not None:
            if streaming:
                return _replay(dialect.blocked_chunks(None, model_id, block, set(), False))
            return dialect.blocked_answer(None, model_id, block, set())
        answer = await getattr(self._inner, method)(**arguments)
        if not guardrails.output_shields:
            return answer

        async def check(texts: dict[int, str]) -> tuple[Block, set[int]] | None:
            return await _check_answers(safety, guardrails.output_shields, conversation, texts, timings)

        if isinstance(answer, AsyncIterator):
            return WindowedStream(answer, dialect, check, guardrails.stream_window_chars, model_id)
        output_timings = len(timings)
        try:
            verdict = await check(dialect.answer_texts(answer))
        finally:
            _report(served, timings[output_timings:])
        if verdict is None:
            return answer
        block, indexes = verdict
        return dialect.blocked_answer(answer, model_id, block, indexes)


async def _check_answers(
    safety: Any,
    shield_ids: list[str],
    conversation: list[Message],
    texts: dict[int, str],
    timings: list[ShieldTiming],
) -> tuple[Block, set[int]] | None:
    """Judge each choice's answer; the block names the first refusal, the set every refused choice."""
    blocks: dict[int, Block] = {}
    for index, text in sorted(texts.items()):
        if not text:
            continue
        block = await run_shields(safety, shield_ids, with_answer(conversation, text), "output", timings)
        if block is not None:
            blocks[index] = block
    if not blocks:
        return None
    return next(iter(blocks.values())), set(blocks)


def _report(served: Any, timings: list[ShieldTiming]) -> None:
    if served is not None:
        served.shields.extend((t.stage, t.shield_id, t.ms) for t in timings)


async def _replay(chunks: list[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        yield chunk


def _guarded_method(
    guarded: GuardedInference, name: str, signature: inspect.Signature, dialect: Dialect
) -> Callable[..., Any]:
    async def method(*args: Any, **kwargs: Any) -> Any:
        if args:  # the server and the clients call by keyword; providers may not
            bound = signature.bind(None, *args, **kwargs)
            kwargs = {k: v for k, v in bound.arguments.items() if k != "self"}
        return await guarded.generate(name, dialect, kwargs)

    method.__name__ = name
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != "self"]
    )
    return method


def guard_inference(api: Api, impl: Any, registry: ResourceRegistry, safety: Callable[[], Any | None]) -> Any:
    """``impl`` wrapped with guardrails when it serves inference; other APIs unchanged."""
    if api != Api.inference:
        return impl
    return GuardedInference(impl, registry, safety)
