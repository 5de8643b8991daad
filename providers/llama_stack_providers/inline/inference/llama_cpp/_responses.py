"""Generation events as OpenAI objects: chat completions and their chunks, text completions and theirs."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from llama_stack_api import ProviderError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChatCompletionToolCall,
    OpenAIChatCompletionToolCallFunction,
    OpenAIChatCompletionUsage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChoiceDeltaFunctionCall,
    OpenAIChoiceDeltaToolCall,
    OpenAIChoiceDeltaToolCallFunction,
    OpenAIChoiceLogprobs,
    OpenAIChunkChoice,
    OpenAICompletion,
    OpenAICompletionChoice,
    OpenAICompletionLogprobs,
    OpenAIFinishReason,
    OpenAIFunctionCall,
    OpenAITokenLogProb,
    OpenAITopLogProb,
)

from ._chat import ToolPlan, may_be_tool_call, parse_tool_calls
from ._types import Finished, GenerationEvent, Piece, Started, TokenLogprob


@dataclass
class ResponseContext:
    """What every object of one response shares."""

    model: str
    plan: ToolPlan = field(default_factory=ToolPlan)
    logprobs: bool = False
    include_usage: bool = False
    legacy_functions: bool = False
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))


def split(events: Iterable[GenerationEvent]) -> tuple[Started, list[Piece], Finished]:
    started: Started | None = None
    finished: Finished | None = None
    pieces: list[Piece] = []
    for event in events:
        if isinstance(event, Started):
            started = event
        elif isinstance(event, Piece):
            pieces.append(event)
        else:
            finished = event
    if started is None or finished is None:  # the engine always yields both; anything else is a bug there
        raise ProviderError("llama.cpp generation ended without a result")
    return started, pieces, finished


def usage(prompt_tokens: int, completion_tokens: int) -> OpenAIChatCompletionUsage:
    return OpenAIChatCompletionUsage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


# --- chat ----------------------------------------------------------------------------------------


def chat_completion(ctx: ResponseContext, events: list[GenerationEvent]) -> OpenAIChatCompletion:
    started, pieces, finished = split(events)
    text = "".join(p.text for p in pieces)
    message, finish = _chat_message(ctx, text, finished)
    tokens = [t for p in pieces for t in p.logprobs]
    return OpenAIChatCompletion(
        id=ctx.id,
        created=ctx.created,
        model=ctx.model,
        choices=[
            OpenAIChoice(
                index=0,
                message=message,
                finish_reason=finish,
                logprobs=OpenAIChoiceLogprobs(content=_chat_logprobs(tokens)) if ctx.logprobs else None,
            )
        ],
        usage=usage(started.prompt_tokens, finished.completion_tokens),
    )


def _chat_message(
    ctx: ResponseContext, text: str, finished: Finished
) -> tuple[OpenAIChatCompletionMessage, OpenAIFinishReason]:
    calls = parse_tool_calls(text, ctx.plan) if ctx.plan.mode != "none" else None
    if calls and ctx.legacy_functions:
        name, arguments = calls[0]
        return OpenAIChatCompletionMessage(
            function_call=OpenAIFunctionCall(name=name, arguments=arguments)
        ), ("function_call")
    if calls:
        tool_calls = [
            OpenAIChatCompletionToolCall(
                id=_call_id(), function=OpenAIChatCompletionToolCallFunction(name=name, arguments=arguments)
            )
            for name, arguments in calls
        ]
        return OpenAIChatCompletionMessage(tool_calls=list(tool_calls)), "tool_calls"
    return OpenAIChatCompletionMessage(content=text), "length" if finished.reason == "length" else "stop"


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _chat_logprobs(tokens: list[TokenLogprob]) -> list[OpenAITokenLogProb]:
    return [
        OpenAITokenLogProb(
            token=t.token,
            bytes=t.bytes,
            logprob=t.logprob,
            top_logprobs=[OpenAITopLogProb(token=a.token, bytes=a.bytes, logprob=a.logprob) for a in t.top],
        )
        for t in tokens
    ]


async def chat_chunks(
    ctx: ResponseContext, events: AsyncIterator[GenerationEvent]
) -> AsyncIterator[OpenAIChatCompletionChunk]:
    """The chunks of a streamed chat completion.

    Text streams as it comes unless the request offered tools and the answer
    starts like a tool call; then it is held to the end and sent as tool-call
    deltas (or as text, if it was not a call after all).
    """
    # None: cannot tell yet whether this is a tool call; True: holding text; False: streaming it
    holding: bool | None = {"none": False, "auto": None, "forced": True}[ctx.plan.mode]
    held: list[Piece] = []
    prompt_tokens = 0
    try:
        async for event in events:
            if isinstance(event, Started):
                prompt_tokens = event.prompt_tokens
                yield _chunk(ctx, OpenAIChoiceDelta(role="assistant", content=""))
            elif isinstance(event, Piece):
                if holding is False:
                    yield _text_chunk(ctx, event.text, event.logprobs)
                    continue
                held.append(event)
                if holding is None:
                    holding = may_be_tool_call("".join(p.text for p in held))
                    if holding is False:
                        yield _text_chunk(
                            ctx, "".join(p.text for p in held), [t for p in held for t in p.logprobs]
                        )
                        held = []
            else:
                finish: OpenAIFinishReason = "length" if event.reason == "length" else "stop"
                if held:
                    for chunk, finish_as in _held_chunks(ctx, held):
                        finish = finish_as or finish
                        yield chunk
                yield _chunk(ctx, OpenAIChoiceDelta(), finish_reason=finish)
                if ctx.include_usage:
                    yield OpenAIChatCompletionChunk(
                        id=ctx.id,
                        created=ctx.created,
                        model=ctx.model,
                        choices=[],
                        usage=usage(prompt_tokens, event.completion_tokens),
                    )
    finally:
        closer = getattr(events, "aclose", None)
        if closer is not None:
            await closer()


def _held_chunks(
    ctx: ResponseContext, held: list[Piece]
) -> Iterable[tuple[OpenAIChatCompletionChunk, OpenAIFinishReason | None]]:
    text = "".join(p.text for p in held)
    tokens = [t for p in held for t in p.logprobs]
    calls = parse_tool_calls(text, ctx.plan)
    if not calls:
        yield _text_chunk(ctx, text, tokens), None
        return
    if ctx.legacy_functions:
        name, arguments = calls[0]
        delta = OpenAIChoiceDelta(function_call=OpenAIChoiceDeltaFunctionCall(name=name, arguments=arguments))
        yield _chunk(ctx, delta, tokens), "function_call"
        return
    deltas = [
        OpenAIChoiceDeltaToolCall(
            index=i,
            id=_call_id(),
            type="function",
            function=OpenAIChoiceDeltaToolCallFunction(name=name, arguments=arguments),
        )
        for i, (name, arguments) in enumerate(calls)
    ]
    yield _chunk(ctx, OpenAIChoiceDelta(tool_calls=deltas), tokens), "tool_calls"


def _text_chunk(ctx: ResponseContext, text: str, tokens: list[TokenLogprob]) -> OpenAIChatCompletionChunk:
    return _chunk(ctx, OpenAIChoiceDelta(content=text), tokens)


def _chunk(
    ctx: ResponseContext,
    delta: OpenAIChoiceDelta,
    tokens: list[TokenLogprob] | None = None,
    finish_reason: OpenAIFinishReason | None = None,
) -> OpenAIChatCompletionChunk:
    logprobs = OpenAIChoiceLogprobs(content=_chat_logprobs(tokens or [])) if ctx.logprobs and tokens else None
    return OpenAIChatCompletionChunk(
        id=ctx.id,
        created=ctx.created,
        model=ctx.model,
        choices=[OpenAIChunkChoice(index=0, delta=delta, finish_reason=finish_reason, logprobs=logprobs)],
    )


# --- text completions ----------------------------------------------------------------------------


def completion_choice(
    index: int, events: list[GenerationEvent], *, echo: bool, logprobs: bool
) -> tuple[OpenAICompletionChoice, Started, Finished]:
    started, pieces, finished = split(events)
    prefix = started.prompt_text if echo else ""
    text = prefix + "".join(p.text for p in pieces)
    tokens = [t for p in pieces for t in p.logprobs]
    choice = OpenAICompletionChoice(
        index=index,
        text=text,
        finish_reason="length" if finished.reason == "length" else "stop",
        logprobs=completion_logprobs(tokens, offset=len(prefix)) if logprobs else None,
    )
    return choice, started, finished


def completion_logprobs(tokens: list[TokenLogprob], *, offset: int) -> OpenAICompletionLogprobs:
    offsets = []
    for t in tokens:
        offsets.append(offset)
        offset += len(t.token)
    return OpenAICompletionLogprobs(
        tokens=[t.token for t in tokens],
        token_logprobs=[t.logprob for t in tokens],
        top_logprobs=[{a.token: a.logprob for a in t.top} for t in tokens],
        text_offset=offsets,
    )


def completion_chunk(ctx: ResponseContext, choice: OpenAICompletionChoice) -> OpenAICompletion:
    return OpenAICompletion(id=ctx.id, created=ctx.created, model=ctx.model, choices=[choice])


def completion_event_choice(
    index: int, event: GenerationEvent, *, echo: bool, logprobs: int | None, offset: int
) -> OpenAICompletionChoice | None:
    """The stream chunk's choice for one event (``None``: nothing to send)."""
    if isinstance(event, Started):
        if not echo or not event.prompt_text:
            return None
        return OpenAICompletionChoice(index=index, text=event.prompt_text)
    if isinstance(event, Piece):
        return OpenAICompletionChoice(
            index=index,
            text=event.text,
            logprobs=completion_logprobs(event.logprobs, offset=offset) if logprobs is not None else None,
        )
    return OpenAICompletionChoice(
        index=index, text="", finish_reason="length" if event.reason == "length" else "stop"
    )
