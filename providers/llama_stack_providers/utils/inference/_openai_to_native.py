"""OpenAI-shaped engine answers as native llama-stack-client 0.2.x responses and stream events."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import ProviderError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseEvent,
    ChatCompletionResponseEventType,
    ChatCompletionResponseStreamChunk,
    CompletionMessage,
    CompletionResponse,
    CompletionResponseStreamChunk,
    ContentDelta,
    Metric,
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionToolCall,
    OpenAIChatCompletionUsage,
    OpenAIChoiceDeltaToolCall,
    OpenAIChoiceLogprobs,
    OpenAICompletion,
    OpenAICompletionLogprobs,
    StopReason,
    TextDelta,
    TokenLogProbs,
    ToolCall,
    ToolCallDelta,
    ToolCallParseStatus,
)

__all__ = [
    "native_chat_response_from_openai",
    "native_chat_stream_from_native_response",
    "native_chat_stream_from_openai",
    "native_completion_response_from_openai",
    "native_completion_stream_from_openai",
    "native_logprobs_from_openai",
    "native_metrics_from_openai",
    "native_tool_call_from_openai",
    "stop_reason_from_openai",
]


def stop_reason_from_openai(finish_reason: str | None, *, tool_calls: bool = False) -> StopReason:
    """``length`` → out_of_tokens; ``tool_calls`` (or any answer with tool calls) → end_of_message;
    anything else → end_of_turn.

    Some engines say ``stop`` even when the answer is a tool call; the native
    contract marks an answer that waits for tool results as ``end_of_message``.
    """
    if finish_reason == "length":
        return StopReason.out_of_tokens
    if tool_calls or finish_reason in ("tool_calls", "function_call"):
        return StopReason.end_of_message
    return StopReason.end_of_turn


def native_tool_call_from_openai(call_id: str, name: str, arguments: str) -> tuple[ToolCall, bool]:
    """A native ``ToolCall`` and whether its arguments parsed as a JSON object.

    Parsed arguments become a dict (the text is kept in ``arguments_json``);
    anything else stays the raw string, as ``ToolCall`` allows. Empty
    arguments are an empty object.
    """
    text = arguments if arguments.strip() else "{}"
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return ToolCall(call_id=call_id, tool_name=name, arguments=parsed, arguments_json=text), True
    return ToolCall(call_id=call_id, tool_name=name, arguments=arguments), False


def native_logprobs_from_openai(
    logprobs: OpenAIChoiceLogprobs | OpenAICompletionLogprobs | None,
) -> list[TokenLogProbs] | None:
    """One ``TokenLogProbs`` per generated token: the chosen token and its alternatives."""
    if logprobs is None:
        return None
    if isinstance(logprobs, OpenAIChoiceLogprobs):
        if logprobs.content is None:
            return None
        return [
            TokenLogProbs(
                logprobs_by_token={
                    tok.token: tok.logprob,
                    **{alt.token: alt.logprob for alt in tok.top_logprobs},
                }
            )
            for tok in logprobs.content
        ]
    tokens = logprobs.tokens or []
    chosen = logprobs.token_logprobs or []
    top = logprobs.top_logprobs or []
    positions: list[TokenLogProbs] = []
    for i in range(max(len(tokens), len(top))):
        by_token: dict[str, float] = {}
        if i < len(tokens) and i < len(chosen) and chosen[i] is not None:
            by_token[tokens[i]] = float(chosen[i])  # type: ignore[arg-type]  # checked for None above
        by_token.update((top[i] if i < len(top) else None) or {})
        positions.append(TokenLogProbs(logprobs_by_token=by_token))
    return positions or None


def native_metrics_from_openai(usage: OpenAIChatCompletionUsage | None) -> list[Metric] | None:
    """``prompt_tokens``, ``completion_tokens`` and ``total_tokens`` metrics (unit ``tokens``)."""
    if usage is None:
        return None
    return [
        Metric(metric="prompt_tokens", value=usage.prompt_tokens, unit="tokens"),
        Metric(metric="completion_tokens", value=usage.completion_tokens, unit="tokens"),
        Metric(metric="total_tokens", value=usage.total_tokens, unit="tokens"),
    ]


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


# --- chat --------------------------------------------------------------------------------------


def native_chat_response_from_openai(completion: OpenAIChatCompletion) -> ChatCompletionResponse:
    """The first choice of ``completion`` as a native response; no choice at all is a ``ProviderError``."""
    if not completion.choices:
        raise ProviderError("the engine answered the chat completion without any choice")
    choice = completion.choices[0]
    message = choice.message
    tool_calls: list[ToolCall] = []
    for call in message.tool_calls or []:
        if isinstance(call, OpenAIChatCompletionToolCall):
            tool_calls.append(
                native_tool_call_from_openai(call.id, call.function.name, call.function.arguments)[0]
            )
        else:  # a custom tool takes free text, which is what a string ToolCall argument is
            tool_calls.append(
                ToolCall(call_id=call.id, tool_name=call.custom.name, arguments=call.custom.input)
            )
    if message.function_call is not None:  # the deprecated single function call
        fc = message.function_call
        tool_calls.append(native_tool_call_from_openai(_new_call_id(), fc.name, fc.arguments)[0])
    content = message.content if message.content is not None else (message.refusal or "")
    return ChatCompletionResponse(
        completion_message=CompletionMessage(
            content=content,
            stop_reason=stop_reason_from_openai(choice.finish_reason, tool_calls=bool(tool_calls)),
            tool_calls=tool_calls,
        ),
        logprobs=native_logprobs_from_openai(choice.logprobs),
        metrics=native_metrics_from_openai(completion.usage),
    )


def _event(
    kind: ChatCompletionResponseEventType,
    delta: ContentDelta,
    *,
    logprobs: list[TokenLogProbs] | None = None,
    stop_reason: StopReason | None = None,
    metrics: list[Metric] | None = None,
) -> ChatCompletionResponseStreamChunk:
    return ChatCompletionResponseStreamChunk(
        event=ChatCompletionResponseEvent(
            event_type=kind, delta=delta, logprobs=logprobs, stop_reason=stop_reason
        ),
        metrics=metrics,
    )


@dataclass
class _PendingToolCall:
    """A streamed tool call being put together from its pieces (same ``index``)."""

    call_id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    announced: bool = False

    def add(self, piece: OpenAIChoiceDeltaToolCall) -> None:
        if piece.id and not self.call_id:
            self.call_id = piece.id
        if piece.function is not None:
            if piece.function.name and not self.name:
                self.name = piece.function.name
            if piece.function.arguments:
                self.arguments.append(piece.function.arguments)

    def finished(self) -> ToolCallDelta:
        text = "".join(self.arguments)
        if not self.name:
            return ToolCallDelta(tool_call=text, parse_status=ToolCallParseStatus.failed)
        call, parsed = native_tool_call_from_openai(self.call_id or _new_call_id(), self.name, text)
        status = ToolCallParseStatus.succeeded if parsed else ToolCallParseStatus.failed
        return ToolCallDelta(tool_call=call, parse_status=status)


async def native_chat_stream_from_openai(
    chunks: AsyncIterator[OpenAIChatCompletionChunk],
) -> AsyncIterator[ChatCompletionResponseStreamChunk]:
    """Native stream events for an OpenAI chunk stream (its first choice).

    ``start``; a ``progress`` event per text piece; for each tool call a
    ``started`` delta (its name), ``in_progress`` deltas (the arguments' JSON
    text as it arrives), then a ``succeeded`` delta with the parsed ``ToolCall``
    once the call is complete (``failed``, still carrying the raw arguments, when
    they are not a JSON object); finally ``complete`` with the stop reason and,
    when the engine reported usage, token metrics. The engine's stream is
    closed when this one ends, however it ends.
    """
    yield _event(ChatCompletionResponseEventType.start, TextDelta(text=""))
    pending: dict[int, _PendingToolCall] = {}
    saw_tool_calls = False
    finish_reason: str | None = None
    usage: OpenAIChatCompletionUsage | None = None
    progress = ChatCompletionResponseEventType.progress
    try:
        async for chunk in chunks:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                delta = choice.delta
                logprobs = native_logprobs_from_openai(choice.logprobs)
                if delta.content or logprobs:
                    yield _event(progress, TextDelta(text=delta.content or ""), logprobs=logprobs)
                for piece in delta.tool_calls or []:
                    saw_tool_calls = True
                    # a call with a higher index begins: the earlier ones are complete
                    for index in sorted(i for i in pending if i < piece.index):
                        yield _event(progress, pending.pop(index).finished())
                    call = pending.setdefault(piece.index, _PendingToolCall())
                    call.add(piece)
                    if call.name and not call.announced:
                        call.announced = True
                        yield _event(progress, ToolCallDelta(tool_call=call.name, parse_status="started"))
                    fragment = piece.function.arguments if piece.function is not None else None
                    if fragment:
                        yield _event(progress, ToolCallDelta(tool_call=fragment, parse_status="in_progress"))
                if choice.finish_reason is not None:
                    finish_reason = choice.finish_reason
                    for index in sorted(pending):
                        yield _event(progress, pending.pop(index).finished())
    finally:
        await _close(chunks)
    for index in sorted(pending):
        yield _event(progress, pending.pop(index).finished())
    yield _event(
        ChatCompletionResponseEventType.complete,
        TextDelta(text=""),
        stop_reason=stop_reason_from_openai(finish_reason, tool_calls=saw_tool_calls),
        metrics=native_metrics_from_openai(usage),
    )


async def native_chat_stream_from_native_response(
    response: ChatCompletionResponse,
) -> AsyncIterator[ChatCompletionResponseStreamChunk]:
    """A whole native response told as a stream (for an engine that answered a stream request at once)."""
    message = response.completion_message
    progress = ChatCompletionResponseEventType.progress
    yield _event(ChatCompletionResponseEventType.start, TextDelta(text=""))
    text = message.content if isinstance(message.content, str) else ""
    if text or response.logprobs:
        yield _event(progress, TextDelta(text=text), logprobs=response.logprobs)
    for call in message.tool_calls or []:
        status = (
            ToolCallParseStatus.succeeded if isinstance(call.arguments, dict) else ToolCallParseStatus.failed
        )
        yield _event(progress, ToolCallDelta(tool_call=call, parse_status=status))
    yield _event(
        ChatCompletionResponseEventType.complete,
        TextDelta(text=""),
        stop_reason=message.stop_reason,
        metrics=response.metrics,
    )


# --- text completion ---------------------------------------------------------------------------


def native_completion_response_from_openai(completion: OpenAICompletion) -> CompletionResponse:
    """The first choice of an OpenAI text completion as a native one."""
    if not completion.choices:
        raise ProviderError("the engine answered the completion without any choice")
    choice = completion.choices[0]
    return CompletionResponse(
        content=choice.text,
        stop_reason=stop_reason_from_openai(choice.finish_reason),
        logprobs=native_logprobs_from_openai(choice.logprobs),
        metrics=native_metrics_from_openai(completion.usage),
    )


async def native_completion_stream_from_openai(
    chunks: AsyncIterator[OpenAICompletion],
) -> AsyncIterator[CompletionResponseStreamChunk]:
    """A chunk per piece of new text, then an empty one with the stop reason (and metrics, given usage)."""
    finish_reason: str | None = None
    usage: OpenAIChatCompletionUsage | None = None
    try:
        async for chunk in chunks:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                logprobs = native_logprobs_from_openai(choice.logprobs)
                if choice.text or logprobs:
                    yield CompletionResponseStreamChunk(delta=choice.text, logprobs=logprobs)
                finish_reason = choice.finish_reason or finish_reason
    finally:
        await _close(chunks)
    yield CompletionResponseStreamChunk(
        delta="",
        stop_reason=stop_reason_from_openai(finish_reason),
        metrics=native_metrics_from_openai(usage),
    )


async def _close(stream: Any) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()
