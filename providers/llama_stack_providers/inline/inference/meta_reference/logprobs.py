"""Engine log probabilities in OpenAI's two shapes: chat ``ChoiceLogprobs`` and legacy completion lists."""

from __future__ import annotations

from collections.abc import Sequence

from llama_stack_api.inference import (
    OpenAIChoiceLogprobs,
    OpenAICompletionLogprobs,
    OpenAITokenLogProb,
    OpenAITopLogProb,
)

from .generation import TokenLogprob
from .tokenization import Tokenizer, token_text


def _visible(tokenizer: Tokenizer, entries: Sequence[TokenLogprob]) -> list[TokenLogprob]:
    # control tokens (<|eot_id|>, <|im_end|>, ...) end the answer; OpenAI does not list them
    return [e for e in entries if not tokenizer.is_special(e.token_id)]


def chat_logprobs(tokenizer: Tokenizer, entries: Sequence[TokenLogprob]) -> OpenAIChoiceLogprobs:
    content = []
    for entry in _visible(tokenizer, entries):
        content.append(
            OpenAITokenLogProb(
                token=token_text(tokenizer, entry.token_id),
                bytes=list(tokenizer.token_bytes(entry.token_id)),
                logprob=entry.logprob,
                top_logprobs=[
                    OpenAITopLogProb(
                        token=token_text(tokenizer, alt), bytes=list(tokenizer.token_bytes(alt)), logprob=lp
                    )
                    for alt, lp in entry.top
                ],
            )
        )
    return OpenAIChoiceLogprobs(content=content)


def completion_logprobs(
    tokenizer: Tokenizer, entries: Sequence[TokenLogprob], *, text_offset: int = 0
) -> OpenAICompletionLogprobs:
    """Parallel lists; ``text_offset`` is where the first token's text starts in the choice's text."""
    tokens: list[str] = []
    token_logprobs: list[float | None] = []
    top: list[dict[str, float] | None] = []
    offsets: list[int] = []
    offset = text_offset
    for entry in _visible(tokenizer, entries):
        text = token_text(tokenizer, entry.token_id)
        tokens.append(text)
        token_logprobs.append(entry.logprob)
        alternatives: dict[str, float] = {}
        for alt, lp in entry.top:
            alternatives.setdefault(token_text(tokenizer, alt), lp)
        top.append(alternatives)
        offsets.append(offset)
        offset += len(text)
    return OpenAICompletionLogprobs(
        tokens=tokens, token_logprobs=token_logprobs, top_logprobs=top, text_offset=offsets
    )
