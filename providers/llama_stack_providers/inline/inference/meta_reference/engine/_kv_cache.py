"""A key/value cache with one slot per sequence, preallocated and grown geometrically.

Layout: keys and values are ``[n_layers, slots, n_kv_heads, capacity, head_dim]``
tensors. Decoding reads a layer's ``[:n, :, :length]`` view, so active
sequences live in slots ``0..n-1``: when one leaves, the last one moves into its
slot (``move``). Capacity grows by doubling up to ``max_seq_len`` — reallocation
happens a handful of times per cache, never per step.
"""

from __future__ import annotations

import torch

from ._args import ModelArgs

_MIN_CAPACITY = 256


class KVCache:
    """Per-layer key and value buffers for up to ``slots`` sequences."""

    def __init__(
        self,
        args: ModelArgs,
        *,
        slots: int,
        device: torch.device,
        dtype: torch.dtype,
        capacity: int = _MIN_CAPACITY,
    ) -> None:
        self.args = args
        self.slots = slots
        self.device = device
        self.dtype = dtype
        self.capacity = 0
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self._k = torch.empty(0)
        self._v = torch.empty(0)
        self.reserve(min(capacity, args.max_seq_len))

    def reserve(self, length: int) -> None:
        """Make room for ``length`` positions per slot, keeping what is cached."""
        if length <= self.capacity:
            return
        if length > self.args.max_seq_len:
            raise ValueError(
                f"cannot cache {length} positions; the context window is {self.args.max_seq_len}"
            )
        capacity = max(_MIN_CAPACITY, self.capacity)
        while capacity < length:
            capacity *= 2
        capacity = min(capacity, self.args.max_seq_len)
        a = self.args
        shape = (a.n_layers, self.slots, a.n_kv_heads, capacity, a.head_dim)
        # zeros, not empty: batched decoding reads (masked) positions past a
        # sequence's end, and 0 × NaN garbage would poison the masked sum
        k = torch.zeros(shape, device=self.device, dtype=self.dtype)
        v = torch.zeros(shape, device=self.device, dtype=self.dtype)
        if self.capacity:
            k[:, :, :, : self.capacity].copy_(self._k)
            v[:, :, :, : self.capacity].copy_(self._v)
        self._k, self._v, self.capacity = k, v, capacity
        self.keys = list(k.unbind(0))
        self.values = list(v.unbind(0))

    def move(self, src: int, dst: int, length: int) -> None:
        """Copy the first ``length`` cached positions of slot ``src`` into slot ``dst``."""
        if src != dst and length > 0:
            self._k[:, dst, :, :length].copy_(self._k[:, src, :, :length])
            self._v[:, dst, :, :length].copy_(self._v[:, src, :, :length])

    def nbytes(self) -> int:
        return self._k.numel() * self._k.element_size() * 2
