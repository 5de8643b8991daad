"""The Llama decoder in plain PyTorch: RMSNorm, RoPE, grouped-query attention, SwiGLU, KV cache.

Built for decoding speed on a CPU, where a small model's step is bound by
streaming the weights once and by per-op Python overhead:

- matrices are fused per layer (one QKV matrix, one gate-up matrix) and, on a
  CPU, split by output rows into slabs (one per thread, at least two),
  ``[splits, out / splits, in]`` — a free view of the usual ``[out, in]``
  matrix. A decode step's product (up to 16 rows) is then
  ``bmm(slabs, xᵀ)``: each thread streams its own slab as contiguous dot
  products, near memory bandwidth. ``F.linear`` runs a one-row product on one
  thread through a transposed kernel at about a third of the speed (SmolLM2's
  135M fp32 weights: ~45 ms a token against ~15 ms on two cores). Prompts
  (more rows) take the ordinary GEMM;
- the hidden state stays 2-D ``[tokens, dim]`` and residuals are accumulated
  in place (``baddbmm_`` / ``addmm_``), so a layer is a couple of dozen ops
  and no reallocation;
- the layer loop is one function over plain tensor tuples, not nested modules.

``load_weights`` takes the engine's canonical names (Meta's, with Q/K in the
half-split RoPE layout); the format loaders produce them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ._args import ModelArgs
from ._kv_cache import KVCache
from ._rope import apply_rope, cos_sin, inverse_frequencies

# attention for one layer: (layer index, rotated q|k [N, H + Hkv, D], v [N, Hkv, D]) -> [N, H * D]
_Attend = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]


def canonical_weight_shapes(args: ModelArgs) -> dict[str, tuple[int, ...]]:
    """Every tensor a checkpoint must provide, by canonical name, with its (``[out, in]``) shape."""
    d, hd, kv = args.dim, args.head_dim, args.n_kv_heads * args.head_dim
    shapes: dict[str, tuple[int, ...]] = {"tok_embeddings.weight": (args.vocab_size, d), "norm.weight": (d,)}
    if not args.tie_word_embeddings:
        shapes["output.weight"] = (args.vocab_size, d)
    for i in range(args.n_layers):
        p = f"layers.{i}."
        shapes[p + "attention_norm.weight"] = (d,)
        shapes[p + "attention.wq.weight"] = (args.n_heads * hd, d)
        shapes[p + "attention.wk.weight"] = (kv, d)
        shapes[p + "attention.wv.weight"] = (kv, d)
        shapes[p + "attention.wo.weight"] = (d, args.n_heads * hd)
        shapes[p + "ffn_norm.weight"] = (d,)
        shapes[p + "feed_forward.w1.weight"] = (args.hidden_dim, d)
        shapes[p + "feed_forward.w3.weight"] = (args.hidden_dim, d)
        shapes[p + "feed_forward.w2.weight"] = (d, args.hidden_dim)
    return shapes


# up to this many rows (decode batches) the slab product beats one GEMM; prompts take the GEMM
_SLAB_ROWS = 16


def _parameter(*shape: int, device: torch.device, dtype: torch.dtype) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape, device=device, dtype=dtype), requires_grad=False)


def _slabs(n_out: int, n_in: int, splits: int, device: torch.device, dtype: torch.dtype) -> nn.Parameter:
    """An ``[out, in]`` matrix as ``[splits, ceil(out / splits), in]`` row slabs (padding rows are zero)."""
    return nn.Parameter(
        torch.zeros(splits, -(-n_out // splits), n_in, device=device, dtype=dtype), requires_grad=False
    )


def _rows(slabs: torch.Tensor) -> torch.Tensor:
    """The slabs as one ``[padded out, in]`` matrix (a view)."""
    return slabs.view(-1, slabs.shape[2])


def matmul(x: torch.Tensor, slabs: torch.Tensor) -> torch.Tensor:
    """``x [N, in] @ Wᵀ`` for ``W`` held as row slabs; ``[N, padded out]``, row-major."""
    splits, _, n_in = slabs.shape
    n = x.shape[0]
    if splits == 1 or n > _SLAB_ROWS:
        return F.linear(x, _rows(slabs))
    # one thread per slab, each a run of contiguous dot products. MKL is fast here when xᵀ is a
    # transposed view of a row-major x, and several times slower when xᵀ itself is contiguous
    out = torch.bmm(slabs, x.contiguous().t().expand(splits, n_in, n))  # [splits, rows, N]
    return out.view(1, -1) if n == 1 else out.permute(2, 0, 1).contiguous().view(n, -1)


def add_matmul_(h: torch.Tensor, x: torch.Tensor, slabs: torch.Tensor) -> None:
    """``h += x @ Wᵀ`` in place for ``h [N, out]``, without a temporary where the shapes allow."""
    splits, rows, n_in = slabs.shape
    n, exact = x.shape[0], splits * rows == h.shape[1]
    if n == 1 and splits > 1 and exact:
        # [1, out] is [splits, rows, 1] in memory: each thread accumulates its slab's share in place
        h.view(splits, rows, 1).baddbmm_(slabs, x.t().expand(splits, n_in, 1))
    elif exact and (splits == 1 or n > _SLAB_ROWS):
        h.addmm_(x, _rows(slabs).t())
    else:
        h.add_(matmul(x, slabs)[:, : h.shape[1]])


def default_splits(device: torch.device) -> int:
    """Row slabs per matrix: one per intra-op thread on a CPU (2 to 8), one on a GPU.

    At least two even on one thread: MKL's batched kernel streams two slabs
    (one after the other) almost twice as fast as its single-row product on one matrix.
    """
    return max(2, min(torch.get_num_threads(), 8)) if device.type == "cpu" else 1


class _Layer(nn.Module):
    """One decoder layer's weights; matrices as row slabs."""

    def __init__(self, args: ModelArgs, splits: int, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        d, hd, f = args.dim, args.head_dim, args.hidden_dim
        qkv = (args.n_heads + 2 * args.n_kv_heads) * hd
        self.attention_norm = _parameter(d, device=device, dtype=dtype)
        self.wqkv = _slabs(qkv, d, splits, device, dtype)
        self.wo = _slabs(d, args.n_heads * hd, splits, device, dtype)
        self.ffn_norm = _parameter(d, device=device, dtype=dtype)
        self.w13 = _slabs(2 * f, d, splits, device, dtype)
        self.w2 = _slabs(d, f, splits, device, dtype)

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.attention_norm, self.wqkv, self.wo, self.ffn_norm, self.w13, self.w2)


class LlamaModel(nn.Module):
    """A Llama 3 style decoder. Build it empty, then ``load_weights``; run it under ``torch.inference_mode``.

    ``forward(tokens)`` gives full-sequence logits without a cache; ``prefill``
    and ``decode`` run against a ``KVCache`` and return last-position logits.
    With tied embeddings the output matrix serves as the embedding table too.
    ``splits`` defaults to ``default_splits(device)``.
    """

    inv_freq: torch.Tensor

    def __init__(
        self,
        args: ModelArgs,
        *,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
        splits: int | None = None,
    ) -> None:
        super().__init__()
        self.args = args
        dev = torch.device(device)
        self.splits = splits or default_splits(dev)
        self.output = _slabs(args.vocab_size, args.dim, self.splits, dev, dtype)
        self.tok_embeddings: nn.Parameter | None = None
        if not args.tie_word_embeddings:
            self.tok_embeddings = _parameter(args.vocab_size, args.dim, device=dev, dtype=dtype)
        self.layers = nn.ModuleList(_Layer(args, self.splits, dev, dtype) for _ in range(args.n_layers))
        self.norm = _parameter(args.dim, device=dev, dtype=dtype)
        self.register_buffer("inv_freq", inverse_frequencies(args).to(dev), persistent=False)
        self._n_qk_heads = args.n_heads + args.n_kv_heads
        self._qk_width = self._n_qk_heads * args.head_dim
        self._kv_width = args.n_kv_heads * args.head_dim
        self._groups = args.n_heads // args.n_kv_heads
        self._plain: list[tuple[torch.Tensor, ...]] = []
        self._refresh_plain()

    @property
    def device(self) -> torch.device:
        return self.output.device

    @property
    def dtype(self) -> torch.dtype:
        return self.output.dtype

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Embeddings ``[N, dim]`` of ``tokens`` (any shape, flattened)."""
        table = self.tok_embeddings if self.tok_embeddings is not None else _rows(self.output)
        return F.embedding(tokens.reshape(-1), table)

    def _refresh_plain(self) -> None:
        # plain tuples of tensors: attribute lookups through nn.Module cost per layer per step
        self._plain = [lay.tensors() for lay in self.layers if isinstance(lay, _Layer)]

    def _apply(self, fn: Callable[..., torch.Tensor], recurse: bool = True) -> LlamaModel:
        # .to() / .half() replace parameters; keep the plain tuples pointing at the new ones
        super()._apply(fn, recurse)  # type: ignore[no-untyped-call]
        self._refresh_plain()
        return self

    @torch.no_grad()
    def load_weights(self, weights: Mapping[str, torch.Tensor]) -> None:
        """Copy canonical-named weights in, fusing Q/K/V and gate/up; raises ``ValueError`` naming every problem.

        Each tensor is read from ``weights`` exactly once, so a lazy mapping
        (memory-mapped or dequantised on access) keeps peak memory near the model's size.
        """
        expected = canonical_weight_shapes(self.args)
        problems: list[str] = []

        def read(name: str) -> torch.Tensor | None:
            if name not in weights:
                problems.append(f"missing tensor {name}")
                return None
            tensor = weights[name]
            if tuple(tensor.shape) != expected[name]:
                problems.append(f"tensor {name} has shape {tuple(tensor.shape)}, expected {expected[name]}")
                return None
            return tensor

        def put(dst: torch.Tensor, name: str) -> None:
            if (src := read(name)) is not None:
                dst.copy_(src)

        def put_rows(dst: torch.Tensor, *names: str) -> None:
            # [out, in] sources stacked as the rows of one (slabbed) matrix
            rows, row = _rows(dst), 0
            for name in names:
                if (src := read(name)) is not None:
                    rows[row : row + src.shape[0]].copy_(src)
                row += expected[name][0]

        put(self.norm, "norm.weight")
        if self.tok_embeddings is None:
            put_rows(self.output, "tok_embeddings.weight")
        else:
            put(self.tok_embeddings, "tok_embeddings.weight")
            put_rows(self.output, "output.weight")
        for i, lay in enumerate(self.layers):
            assert isinstance(lay, _Layer)
            p = f"layers.{i}."
            put(lay.attention_norm, p + "attention_norm.weight")
            put_rows(
                lay.wqkv, p + "attention.wq.weight", p + "attention.wk.weight", p + "attention.wv.weight"
            )
            put_rows(lay.wo, p + "attention.wo.weight")
            put(lay.ffn_norm, p + "ffn_norm.weight")
            put_rows(lay.w13, p + "feed_forward.w1.weight", p + "feed_forward.w3.weight")
            put_rows(lay.w2, p + "feed_forward.w2.weight")
        if problems:
            raise ValueError("; ".join(problems))

    # -- the layer stack -------------------------------------------------------------

    def _run(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, attend: _Attend) -> torch.Tensor:
        """The decoder layers over ``h [N, dim]`` (updated in place); ``cos``/``sin`` broadcast to ``[N, 1, D]``."""
        eps, shape = self.args.norm_eps, (self.args.dim,)
        n, qk_width, n_qk, hd = h.shape[0], self._qk_width, self._n_qk_heads, self.args.head_dim
        half = self.args.hidden_dim
        for i, (attn_norm, wqkv, wo, ffn_norm, w13, w2) in enumerate(self._plain):
            qkv = matmul(F.rms_norm(h, shape, attn_norm, eps), wqkv)
            qk = apply_rope(qkv[:, :qk_width].view(n, n_qk, hd), cos, sin)
            attended = attend(i, qk, qkv[:, qk_width : qk_width + self._kv_width].view(n, -1, hd))
            add_matmul_(h, attended, wo)
            gate_up = matmul(F.rms_norm(h, shape, ffn_norm, eps), w13)
            add_matmul_(h, F.silu(gate_up[:, :half]).mul_(gate_up[:, half : 2 * half]), w2)
        return h

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        normed = F.rms_norm(h, (self.args.dim,), self.norm, self.args.norm_eps)
        return matmul(normed, self.output)[:, : self.args.vocab_size]

    def _causal_attention(self, qk: torch.Tensor, v: torch.Tensor, batch: int) -> torch.Tensor:
        # qk [B*T, H + Hkv, D], v [B*T, Hkv, D] -> [B*T, H * D]
        n_heads = self.args.n_heads
        qk = qk.view(batch, -1, *qk.shape[1:]).transpose(1, 2)
        out = F.scaled_dot_product_attention(
            qk[:, :n_heads],
            qk[:, n_heads:],
            v.view(batch, -1, *v.shape[1:]).transpose(1, 2),
            is_causal=True,
            enable_gqa=True,
        )
        return out.transpose(1, 2).reshape(qk.shape[2] * batch, -1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, T, vocab]`` for whole sequences ``tokens [B, T]``, causal, no cache."""
        batch, length = tokens.shape
        positions = torch.arange(length, device=tokens.device).repeat(batch)
        cos, sin = cos_sin(self.inv_freq, positions, self.dtype)
        h = self._run(self.embed(tokens), cos, sin, lambda _i, qk, v: self._causal_attention(qk, v, batch))
        return self._logits(h).view(batch, length, -1)

    def prefill(self, tokens: torch.Tensor, cache: KVCache, slot: int) -> torch.Tensor:
        """Run a prompt ``tokens [T]`` from position 0 into ``slot`` of ``cache``; logits ``[vocab]`` of its last token."""
        length = tokens.shape[0]
        cache.reserve(length)
        cos, sin = cos_sin(self.inv_freq, torch.arange(length, device=tokens.device), self.dtype)
        n_heads = self.args.n_heads

        def attend(i: int, qk: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            cache.keys[i][slot, :, :length].copy_(qk[:, n_heads:].transpose(0, 1))
            cache.values[i][slot, :, :length].copy_(v.transpose(0, 1))
            return self._causal_attention(qk, v, 1)

        h = self._run(self.embed(tokens), cos, sin, attend)
        return self._logits(h[-1:])[0]

    def decode(self, tokens: torch.Tensor, positions: list[int], cache: KVCache) -> torch.Tensor:
        """One step for the sequences in slots ``0..n-1``: ``tokens [n]`` at ``positions``; logits ``[n, vocab]``.

        The cache must already hold room for ``max(positions) + 1`` positions.
        """
        n = tokens.shape[0]
        length = max(positions) + 1
        n_heads, groups, n_kv = self.args.n_heads, self._groups, self.args.n_kv_heads
        keys, values = cache.keys, cache.values
        pos_t = torch.tensor(positions, device=tokens.device)
        mask: torch.Tensor | None = None
        write: Callable[[int, torch.Tensor, torch.Tensor], None]
        if n == 1:
            p = positions[0]

            def write(i: int, k: torch.Tensor, v: torch.Tensor) -> None:
                keys[i][0, :, p].copy_(k[0])
                values[i][0, :, p].copy_(v[0])

        else:
            index = (torch.arange(n, device=tokens.device), pos_t)
            if min(positions) + 1 != length:
                # rows shorter than the longest must not see the (stale) positions past their end
                mask = (torch.arange(length, device=tokens.device) <= pos_t.unsqueeze(1)).view(
                    n, 1, 1, length
                )

            def write(i: int, k: torch.Tensor, v: torch.Tensor) -> None:
                # [n, Hkv, D] into [row, :, position] of each row's slot
                keys[i].transpose(1, 2).index_put_(index, k)
                values[i].transpose(1, 2).index_put_(index, v)

        cos, sin = cos_sin(self.inv_freq, pos_t, self.dtype)

        def attend(i: int, qk: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            write(i, qk[:, n_heads:], v)
            # one query per sequence: its heads regroup under their KV head as [n, Hkv, groups, D]
            out = F.scaled_dot_product_attention(
                qk[:, :n_heads].view(n, n_kv, groups, -1),
                keys[i][:n, :, :length],
                values[i][:n, :, :length],
                attn_mask=mask,
            )
            return out.reshape(n, -1)

        return self._logits(self._run(self.embed(tokens), cos, sin, attend))
