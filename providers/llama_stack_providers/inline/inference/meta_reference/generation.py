"""One generation through the engine: prompt ids in, pieces of finished text (with log probabilities) out.

The engine's token stream is closed as soon as the answer is over — a stop
string, a stop token, the token budget, or the caller walking away — so its
batch slot goes to the next request at once.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from llama_stack_api import LlamaStackError, ProviderError

from .detokenize import IncrementalDetokenizer, StopStrings
from .engine import ContextLengthError, GeneratedToken, SamplingOptions
from .sampling import Sampling
from .tokenization import Tokenizer

logger = logging.getLogger(__name__)


class TokenStreamer(Protocol):
    """The engine's ``GenerationScheduler`` as this module uses it."""

    def stream(self, prompt_ids: list[int], options: SamplingOptions, stop_token_ids: list[int]) -> Any:
        """An async iterator of ``GeneratedToken`` (or a coroutine returning one)."""
        ...


@dataclass(frozen=True)
class TokenLogprob:
    """A generated token's log probability and the most likely alternatives at its position."""

    token_id: int
    logprob: float
    top: tuple[tuple[int, float], ...] = ()


@dataclass
class Piece:
    """Text that is final, the tokens that made it, and — on the last piece — why generation ended.

    ``finish_reason``: ``stop`` (a stop token or stop string) or ``length``
    (``max_tokens`` or the context window).
    """

    text: str
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[TokenLogprob] = field(default_factory=list)
    finish_reason: str | None = None


def sampling_options(sampling: Sampling, max_new_tokens: int) -> SamplingOptions:
    return SamplingOptions(
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k,
        max_new_tokens=max_new_tokens,
        seed=sampling.seed,
        logprobs=sampling.logprobs,
    )


def token_budget(prompt_tokens: int, max_seq_len: int, max_tokens: int | None) -> int:
    """How many tokens may be generated: ``max_tokens``, capped by what the context window leaves.

    Raises the engine's ``ContextLengthError`` (a 400 naming both numbers) when
    the prompt leaves no room for a single token.
    """
    room = max_seq_len - prompt_tokens
    if room < 1:
        raise ContextLengthError(prompt_tokens, max_seq_len)
    return room if max_tokens is None else min(max_tokens, room)


async def generate(
    engine: TokenStreamer,
    tokenizer: Tokenizer,
    prompt_ids: Sequence[int],
    options: SamplingOptions,
    *,
    stop_token_ids: Sequence[int],
    stop_strings: Sequence[str] = (),
) -> AsyncGenerator[Piece, None]:
    """Pieces of the answer; the last one carries ``finish_reason``.

    Stop tokens end the answer without adding text; a stop string ends it
    before the string. Raises ``InvalidRequestError`` (``ContextLengthError``)
    when the prompt does not fit, ``ProviderError`` when the engine fails.
    """
    detokenizer = IncrementalDetokenizer(tokenizer)
    stops = StopStrings(stop_strings)
    stop_set = set(stop_token_ids)
    want_logprobs = options.logprobs is not None
    ids: list[int] = []
    logprobs: list[TokenLogprob] = []
    stream: Any = None
    try:
        stream = engine.stream(list(prompt_ids), options, list(stop_token_ids))
        if inspect.isawaitable(stream):
            stream = await stream
        token: GeneratedToken
        async for token in stream:
            ids.append(token.token_id)
            if want_logprobs and token.logprob is not None:
                logprobs.append(TokenLogprob(token.token_id, token.logprob, tuple(token.top_logprobs or ())))
            text = "" if token.token_id in stop_set else detokenizer.add(token.token_id)
            if token.finish_reason is not None:
                text += detokenizer.flush()
            shown = stops.feed(text)
            if stops.stopped:
                yield Piece(shown, ids, logprobs, "stop")
                return
            if token.finish_reason is not None:
                yield Piece(shown + stops.flush(), ids, logprobs, token.finish_reason)
                return
            if shown:
                yield Piece(shown, ids, logprobs)
                ids, logprobs = [], []
        # the engine ended the stream without saying why: it ran out of room
        yield Piece(stops.feed(detokenizer.flush()) + stops.flush(), ids, logprobs, "length")
    except LlamaStackError:
        raise
    except Exception as exc:  # any other engine failure is the engine's, not the caller's
        logger.exception("meta-reference generation failed")
        raise ProviderError(f"meta-reference engine failed: {type(exc).__name__}: {exc}") from exc
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
