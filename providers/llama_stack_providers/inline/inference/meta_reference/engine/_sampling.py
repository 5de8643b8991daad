"""Choosing the next token: greedy or temperature / top-k / top-p sampling, with log-probabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from llama_stack_api.errors import InvalidRequestError

MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True, kw_only=True)
class SamplingOptions:
    """How to pick tokens for one request.

    ``temperature`` 0 is greedy (argmax); ``top_k`` 0 and ``top_p`` 1 switch
    those filters off. ``seed`` makes sampling reproducible per request.
    ``logprobs``: ``None`` for none, 0 for the chosen token's, n for it and the
    n most likely alternatives. Raises ``InvalidRequestError`` naming a bad field.
    """

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int
    seed: int | None = None
    logprobs: int | None = None

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise InvalidRequestError(
                f"temperature must be >= 0, got {self.temperature}", param="temperature"
            )
        if not 0 < self.top_p <= 1:
            raise InvalidRequestError(f"top_p must be in (0, 1], got {self.top_p}", param="top_p")
        if self.top_k < 0:
            raise InvalidRequestError(f"top_k must be >= 0, got {self.top_k}", param="top_k")
        if self.max_new_tokens < 1:
            raise InvalidRequestError(
                f"max_new_tokens must be >= 1, got {self.max_new_tokens}", param="max_tokens"
            )
        if self.logprobs is not None and not 0 <= self.logprobs <= MAX_TOP_LOGPROBS:
            raise InvalidRequestError(
                f"logprobs must be between 0 and {MAX_TOP_LOGPROBS}, got {self.logprobs}", param="logprobs"
            )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class GeneratedToken:
    """One generated token; ``finish_reason`` is set on the last one of a request.

    A stop token is reported (as the last token, ``finish_reason="stop"``) so
    callers can tell which one ended the turn; it is not part of the reply text.
    ``logprob`` and ``top_logprobs`` come from the log-softmax of the raw logits
    (before temperature), as OpenAI reports them.
    """

    token_id: int
    logprob: float | None = None
    top_logprobs: list[tuple[int, float]] | None = None
    finish_reason: Literal["stop", "length"] | None = None


class TokenSampler:
    """The per-request sampling state: options and its own random generator."""

    def __init__(self, options: SamplingOptions, device: torch.device) -> None:
        self.options = options
        self._rng: torch.Generator | None = None
        if not options.greedy:
            self._rng = torch.Generator(device=device)
            if options.seed is None:
                self._rng.seed()
            else:
                self._rng.manual_seed(options.seed)

    def choose(self, logits: torch.Tensor) -> int:
        """The next token from ``logits [vocab]`` (float32)."""
        opts = self.options
        if opts.greedy:
            return int(logits.argmax())
        probs = torch.softmax(logits / opts.temperature, dim=-1)
        if opts.top_k and opts.top_k < probs.shape[-1]:
            probs, index = probs.topk(opts.top_k)
        elif opts.top_p < 1:
            probs, index = probs.sort(descending=True)
        else:
            return int(torch.multinomial(probs, 1, generator=self._rng))
        if opts.top_p < 1:
            # keep the smallest prefix whose mass reaches top_p (the first token always stays)
            probs = probs.masked_fill(probs.cumsum(-1) - probs > opts.top_p, 0.0)
        return int(index[torch.multinomial(probs, 1, generator=self._rng)])

    def token(
        self, logits: torch.Tensor, token_id: int, finish_reason: Literal["stop", "length"] | None
    ) -> GeneratedToken:
        """Wrap ``token_id`` with the log-probabilities the options ask for."""
        k = self.options.logprobs
        if k is None:
            return GeneratedToken(token_id, finish_reason=finish_reason)
        logprobs = torch.log_softmax(logits, dim=-1)
        top = None
        if k > 0:
            values, index = logprobs.topk(k)
            top = list(zip(index.tolist(), values.tolist(), strict=True))
        return GeneratedToken(token_id, float(logprobs[token_id]), top, finish_reason)
