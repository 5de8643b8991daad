"""A decode batch: sequences sharing one KV cache, prefilled one by one and decoded together.

Active sequences occupy slots ``0..n-1`` of the cache in admission order; when
one finishes or is evicted, the last moves into its slot, so a decode step is
one forward pass over a contiguous slice of the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ._kv_cache import KVCache
from ._model import LlamaModel
from ._sampling import GeneratedToken, SamplingOptions, TokenSampler


@dataclass(eq=False)
class SequenceState:
    """One request's progress: its prompt, sampler, budget and where it stands in the cache."""

    prompt_ids: list[int]
    options: SamplingOptions
    stop_token_ids: frozenset[int]
    sampler: TokenSampler
    budget: int
    """Tokens it may generate: ``max_new_tokens`` clipped to what the context window leaves."""
    position: int = 0
    """Tokens already in the cache."""
    next_input: int = -1
    generated: int = 0
    finished: bool = False


class DecodeBatch:
    """Up to ``slots`` sequences over one ``KVCache``. Not thread-safe: one thread drives it."""

    def __init__(self, model: LlamaModel, *, slots: int) -> None:
        self.model = model
        self.slots = slots
        with torch.inference_mode():
            self.cache = KVCache(model.args, slots=slots, device=model.device, dtype=model.dtype)
        self.active: list[SequenceState] = []

    @property
    def free(self) -> int:
        return self.slots - len(self.active)

    def admit(self, seq: SequenceState) -> GeneratedToken:
        """Prefill ``seq``'s prompt into a free slot and return its first token.

        A sequence that finishes on that token does not stay in the batch.
        """
        if not self.free:
            raise RuntimeError("no free slot in the decode batch")
        with torch.inference_mode():
            tokens = torch.tensor(seq.prompt_ids, device=self.model.device)
            logits = self.model.prefill(tokens, self.cache, len(self.active)).float()
            seq.position = len(seq.prompt_ids)
            token = self._emit(seq, logits)
        if not seq.finished:
            self.active.append(seq)
        return token

    def step(self) -> list[tuple[SequenceState, GeneratedToken]]:
        """One decode step for every active sequence; finished ones leave the batch."""
        if not self.active:
            return []
        active = self.active
        positions = [s.position for s in active]
        with torch.inference_mode():
            self.cache.reserve(max(positions) + 1)
            tokens = torch.tensor([s.next_input for s in active], device=self.model.device)
            logits = self.model.decode(tokens, positions, self.cache).float()
            out = []
            for row, seq in enumerate(active):
                seq.position += 1
                out.append((seq, self._emit(seq, logits[row])))
        for seq, _ in out:
            if seq.finished:
                self.evict(seq)
        return out

    def evict(self, seq: SequenceState) -> None:
        """Remove ``seq`` (finished or cancelled), moving the last sequence into its slot."""
        try:
            slot = self.active.index(seq)
        except ValueError:
            return
        last = self.active.pop()
        if last is not seq:
            with torch.inference_mode():
                self.cache.move(len(self.active), slot, last.position)
            self.active[slot] = last

    def _emit(self, seq: SequenceState, logits: torch.Tensor) -> GeneratedToken:
        token_id = seq.sampler.choose(logits)
        seq.generated += 1
        seq.next_input = token_id
        finish: Literal["stop", "length"] | None = None
        if token_id in seq.stop_token_ids:
            finish = "stop"
        elif seq.generated >= seq.budget:
            finish = "length"
        seq.finished = finish is not None
        return seq.sampler.token(logits, token_id, finish)
