"""OpenAI legacy text completions (``/v1/completions``): the response object and its parts."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from ._base import OpenAIModel
from ._openai_chat import OpenAIChatCompletionUsage

OpenAICompletionPrompt: TypeAlias = str | list[str] | list[int] | list[list[int]]
"""A prompt, a batch of prompts, or the same as token ids."""


class OpenAICompletionLogprobs(OpenAIModel):
    """Per-token log probabilities, as parallel lists."""

    text_offset: list[int] | None = None
    token_logprobs: list[float | None] | None = None
    tokens: list[str] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None


class OpenAICompletionChoice(OpenAIModel):
    """One generated text; ``finish_reason`` is ``None`` on stream chunks before the last."""

    index: int
    text: str
    finish_reason: Literal["stop", "length", "content_filter"] | None = None
    logprobs: OpenAICompletionLogprobs | None = None


class OpenAICompletion(OpenAIModel):
    """A ``text_completion`` object; streams send a sequence of them, each with the new text."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int = Field(description="Unix seconds.")
    model: str
    choices: list[OpenAICompletionChoice]
    usage: OpenAIChatCompletionUsage | None = None
    system_fingerprint: str | None = None
