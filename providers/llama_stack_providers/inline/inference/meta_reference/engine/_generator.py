"""``Generator``: the synchronous face of the engine — one request at a time, or batches for the scheduler."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from llama_stack_api.errors import InvalidRequestError

from ._batch import DecodeBatch, SequenceState
from ._checkpoint import LoadedCheckpoint
from ._errors import ContextLengthError
from ._sampling import GeneratedToken, SamplingOptions, TokenSampler
from ._threads import release_thread_pool


class Generator:
    """Runs a loaded checkpoint. Blocking: call it from a worker thread, never the event loop.

    ``num_threads`` sets torch's intra-op thread count (process-wide); ``None``
    keeps torch's default (one per core).
    """

    def __init__(
        self, checkpoint: LoadedCheckpoint, *, max_batch_size: int = 4, num_threads: int | None = None
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        self.checkpoint = checkpoint
        self.model = checkpoint.model
        self.args = checkpoint.args
        self.max_batch_size = max_batch_size

    @property
    def max_seq_len(self) -> int:
        return self.args.max_seq_len

    def start(
        self, prompt_ids: list[int], options: SamplingOptions, stop_token_ids: Iterable[int]
    ) -> SequenceState:
        """Validate a request and make its ``SequenceState``; raises before any model work.

        Raises ``ContextLengthError`` when the prompt leaves no room for a reply,
        ``InvalidRequestError`` for an empty prompt or token ids outside the vocabulary.
        """
        prompt = list(prompt_ids)
        if not prompt:
            raise InvalidRequestError("the prompt is empty; it needs at least one token", param="prompt")
        if len(prompt) >= self.max_seq_len:
            raise ContextLengthError(len(prompt), self.max_seq_len)
        if min(prompt) < 0 or max(prompt) >= self.args.vocab_size:
            bad = next(t for t in prompt if not 0 <= t < self.args.vocab_size)
            raise InvalidRequestError(
                f"token id {bad} is outside the model's vocabulary of {self.args.vocab_size}", param="prompt"
            )
        return SequenceState(
            prompt_ids=prompt,
            options=options,
            stop_token_ids=frozenset(stop_token_ids),
            sampler=TokenSampler(options, self.model.device),
            budget=min(options.max_new_tokens, self.max_seq_len - len(prompt)),
        )

    def new_batch(self, slots: int | None = None) -> DecodeBatch:
        """An empty batch of ``slots`` (default ``max_batch_size``) sequences with its own KV cache."""
        return DecodeBatch(self.model, slots=slots or self.max_batch_size)

    def generate(
        self, prompt_ids: list[int], options: SamplingOptions, stop_token_ids: Iterable[int]
    ) -> Iterator[GeneratedToken]:
        """Generate one request's tokens; the last carries ``finish_reason``.

        Validation errors (see ``start``) are raised here, when called, not on first iteration.
        """
        seq = self.start(prompt_ids, options, stop_token_ids)
        return self._run(seq)

    def _run(self, seq: SequenceState) -> Iterator[GeneratedToken]:
        try:
            batch = self.new_batch(1)
            yield batch.admit(seq)
            while batch.active:
                for _, token in batch.step():
                    yield token
        finally:
            release_thread_pool()  # this thread may not run torch again soon; see _threads

    def logits(self, token_ids: list[int]) -> torch.Tensor:
        """Logits ``[len(token_ids), vocab]`` (float32, on CPU) of a full forward pass without a cache."""
        if not token_ids:
            raise InvalidRequestError("no tokens to score", param="prompt")
        if len(token_ids) > self.max_seq_len:
            raise ContextLengthError(len(token_ids), self.max_seq_len)
        try:
            with torch.inference_mode():
                tokens = torch.tensor([token_ids], device=self.model.device)
                return self.model.forward(tokens)[0].float().cpu()
        finally:
            release_thread_pool()
