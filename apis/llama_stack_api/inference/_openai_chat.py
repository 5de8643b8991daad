"""OpenAI chat completion responses: the whole completion, stream chunks, log probabilities, usage."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import Field

from ._base import OpenAIModel
from ._openai_chat_params import OpenAIServiceTier
from ._openai_messages import OpenAIChatCompletionMessageToolCall, OpenAIFunctionCall

OpenAIFinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]

# --- usage -------------------------------------------------------------------------------------


class OpenAIPromptTokensDetails(OpenAIModel):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    audio_tokens: int | None = None
    image_tokens: int | None = None
    text_tokens: int | None = None


class OpenAICompletionTokensDetails(OpenAIModel):
    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None
    text_tokens: int | None = None


class OpenAIChatCompletionUsage(OpenAIModel):
    """Token counts of one request (also used by text completions)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: OpenAIPromptTokensDetails | None = None
    completion_tokens_details: OpenAICompletionTokensDetails | None = None


# --- log probabilities -------------------------------------------------------------------------


class OpenAITopLogProb(OpenAIModel):
    token: str
    bytes: list[int] | None = None
    logprob: float


class OpenAITokenLogProb(OpenAIModel):
    """The chosen token at one position, and the most likely alternatives."""

    token: str
    bytes: list[int] | None = None
    logprob: float
    top_logprobs: list[OpenAITopLogProb] = Field(default_factory=list)


class OpenAIChoiceLogprobs(OpenAIModel):
    content: list[OpenAITokenLogProb] | None = None
    refusal: list[OpenAITokenLogProb] | None = None


# --- the whole completion ----------------------------------------------------------------------


class OpenAIURLCitation(OpenAIModel):
    start_index: int
    end_index: int
    title: str
    url: str


class OpenAIAnnotation(OpenAIModel):
    type: Literal["url_citation"] = "url_citation"
    url_citation: OpenAIURLCitation


class OpenAIChatCompletionAudio(OpenAIModel):
    id: str
    data: str
    expires_at: int
    transcript: str


class OpenAIChatCompletionMessage(OpenAIModel):
    """The model's answer in a ``chat.completion`` (content is a plain string here)."""

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[OpenAIChatCompletionMessageToolCall] | None = None
    function_call: OpenAIFunctionCall | None = None
    annotations: list[OpenAIAnnotation] | None = None
    audio: OpenAIChatCompletionAudio | None = None


class OpenAIChoice(OpenAIModel):
    index: int
    message: OpenAIChatCompletionMessage
    finish_reason: OpenAIFinishReason
    logprobs: OpenAIChoiceLogprobs | None = None


class OpenAIChatCompletion(OpenAIModel):
    """A whole ``chat.completion`` object."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix seconds.")
    model: str
    choices: list[OpenAIChoice]
    usage: OpenAIChatCompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: OpenAIServiceTier | None = None
    metadata: dict[str, str] | None = None
    moderation: dict[str, Any] | None = Field(
        default=None, description="Moderation results, when the request asked for `moderation`."
    )


# --- streaming ---------------------------------------------------------------------------------


class OpenAIChoiceDeltaToolCallFunction(OpenAIModel):
    name: str | None = None
    arguments: str | None = Field(default=None, description="The next piece of the arguments' JSON text.")


class OpenAIChoiceDeltaToolCall(OpenAIModel):
    """A piece of a tool call; pieces with the same ``index`` belong to one call.

    The first piece carries ``id``, ``type`` and ``function.name``; later ones
    only add to ``function.arguments``.
    """

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: OpenAIChoiceDeltaToolCallFunction | None = None


class OpenAIChoiceDeltaFunctionCall(OpenAIModel):
    name: str | None = None
    arguments: str | None = None


class OpenAIChoiceDeltaAudio(OpenAIModel):
    id: str | None = None
    data: str | None = None
    expires_at: int | None = None
    transcript: str | None = None


class OpenAIChoiceDelta(OpenAIModel):
    role: Literal["developer", "system", "user", "assistant", "tool"] | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[OpenAIChoiceDeltaToolCall] | None = None
    function_call: OpenAIChoiceDeltaFunctionCall | None = None
    audio: OpenAIChoiceDeltaAudio | None = None


class OpenAIChunkChoice(OpenAIModel):
    index: int
    delta: OpenAIChoiceDelta
    finish_reason: OpenAIFinishReason | None = None
    logprobs: OpenAIChoiceLogprobs | None = None


class OpenAIChatCompletionChunk(OpenAIModel):
    """One SSE event of a streamed chat completion.

    With ``stream_options.include_usage`` the stream ends with a chunk whose
    ``choices`` is empty and whose ``usage`` covers the whole request.
    """

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[OpenAIChunkChoice]
    usage: OpenAIChatCompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: OpenAIServiceTier | None = None
    moderation: dict[str, Any] | None = None
    obfuscation: str | None = Field(
        default=None, description="Random padding, when `stream_options.include_obfuscation` is set."
    )
