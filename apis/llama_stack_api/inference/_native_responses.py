"""Native responses and stream chunks: chat completion, completion and embeddings."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ._base import NativeModel
from ._native_messages import CompletionMessage, StopReason, ToolCall


class Metric(NativeModel):
    """One measurement about a request, e.g. ``prompt_tokens``, ``completion_tokens``, ``total_tokens``."""

    metric: str
    value: float
    unit: str | None = None


class TokenLogProbs(NativeModel):
    """Log probabilities at one generated position, keyed by token text."""

    logprobs_by_token: dict[str, float]


class ChatCompletionResponse(NativeModel):
    """A whole (non-streamed) native chat completion."""

    completion_message: CompletionMessage
    logprobs: list[TokenLogProbs] | None = None
    metrics: list[Metric] | None = None


class TextDelta(NativeModel):
    type: Literal["text"] = "text"
    text: str


class ImageDelta(NativeModel):
    type: Literal["image"] = "image"
    image: str = Field(description="Base64-encoded image bytes.")


class ToolCallParseStatus(StrEnum):
    started = "started"
    in_progress = "in_progress"
    failed = "failed"
    succeeded = "succeeded"


class ToolCallDelta(NativeModel):
    """Progress on a tool call: raw text while it streams, a ``ToolCall`` once it parsed."""

    type: Literal["tool_call"] = "tool_call"
    tool_call: ToolCall | str
    parse_status: ToolCallParseStatus


ContentDelta: TypeAlias = Annotated[TextDelta | ImageDelta | ToolCallDelta, Field(discriminator="type")]


class ChatCompletionResponseEventType(StrEnum):
    start = "start"
    progress = "progress"
    complete = "complete"


class ChatCompletionResponseEvent(NativeModel):
    """One step of a streamed chat completion; ``stop_reason`` is set on the ``complete`` event."""

    event_type: ChatCompletionResponseEventType
    delta: ContentDelta
    logprobs: list[TokenLogProbs] | None = None
    stop_reason: StopReason | None = None


class ChatCompletionResponseStreamChunk(NativeModel):
    """One SSE event of a streamed native chat completion."""

    event: ChatCompletionResponseEvent
    metrics: list[Metric] | None = None


class CompletionResponse(NativeModel):
    """A whole (non-streamed) native text completion."""

    content: str
    stop_reason: StopReason
    logprobs: list[TokenLogProbs] | None = None
    metrics: list[Metric] | None = None


class CompletionResponseStreamChunk(NativeModel):
    """One SSE event of a streamed native text completion: the new text in ``delta``.

    llama-stack-client 0.2.x reads these through its ``CompletionResponse``
    class, which keeps unknown fields, so ``chunk.delta`` works there too.
    """

    delta: str
    stop_reason: StopReason | None = None
    logprobs: list[TokenLogProbs] | None = None
    metrics: list[Metric] | None = None


class EmbeddingsResponse(NativeModel):
    """One vector per input, in input order."""

    embeddings: list[list[float]]
