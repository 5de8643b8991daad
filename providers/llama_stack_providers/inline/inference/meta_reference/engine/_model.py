"""The Llama decoder in plain PyTorch: RMSNorm, RoPE, grouped-query attention, SwiGLU, KV cache.

Built for decoding speed on a CPU, where a small model's step is bound by
streaming the weights once and by per-op Python overhead:

- weights are stored transposed (``[in, out]``) and fused per layer (one QKV
  matrix, one gate-up matrix): on this class of CPU ``x @ Wᵀ`` over a
  pre-transposed matrix streams a third faster than ``F.linear``'s layout;
- the hidden state stays 2-D ``[tokens, dim]`` and residuals are added by
  ``addmm_`` in place, so a layer is about twenty ops and no reallocation;
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


def _parameter(*shape: int, device: torch.device, dtype: torch.dtype) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape, device=device, dtype=dtype), requires_grad=False)


class _Layer(nn.Module):
    """One decoder layer's weights, transposed to ``[in, out]``."""

    def __init__(self, args: ModelArgs, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        d, hd, f = args.dim, args.head_dim, args.hidden_dim
        qkv = (args.n_heads + 2 * args.n_kv_heads) * hd
        self.attention_norm = _parameter(d, device=device, dtype=dtype)
        self.wqkv_t = _parameter(d, qkv, device=device, dtype=dtype)
        self.wo_t = _parameter(args.n_heads * hd, d, device=device, dtype=dtype)
        self.ffn_norm = _parameter(d, device=device, dtype=dtype)
        self.w13_t = _parameter(d, 2 * f, device=device, dtype=dtype)
        self.w2_t = _parameter(f, d, device=device, dtype=dtype)

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.attention_norm, self.wqkv_t, self.wo_t, self.ffn_norm, self.w13_t, self.w2_t)


class LlamaModel(nn.Module):
    """A Llama 3 style decoder. Build it empty, then ``load_weights``; run it under ``torch.inference_mode``.

    ``forward(tokens)`` gives full-sequence logits without a cache; ``prefill``
    and ``decode`` run against a ``KVCache`` and return last-position logits.
    With tied embeddings one ``[dim, vocab]`` matrix serves as both the output
    projection and (read column-wise) the embedding table.
    """

    inv_freq: torch.Tensor

    def __init__(
        self, args: ModelArgs, *, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        self.args = args
        dev = torch.device(device)
        self.output_t = _parameter(args.dim, args.vocab_size, device=dev, dtype=dtype)
        self.tok_embeddings: nn.Parameter | None = None
        if not args.tie_word_embeddings:
            self.tok_embeddings = _parameter(args.vocab_size, args.dim, device=dev, dtype=dtype)
        self.layers = nn.ModuleList(_Layer(args, dev, dtype) for _ in range(args.n_layers))
        self.norm = _parameter(args.dim, device=dev, dtype=dtype)
        self.register_buffer("inv_freq", inverse_frequencies(args).to(dev), persistent=False)
        self._n_qk_heads = args.n_heads + args.n_kv_heads
        self._qk_width = self._n_qk_heads * args.head_dim
        self._groups = args.n_heads // args.n_kv_heads
        self._norm_shape = (args.dim,)
        self._plain: list[tuple[torch.Tensor, ...]] = []
        self._refresh_plain()

    @property
    def device(self) -> torch.device:
        return self.output_t.device

    @property
    def dtype(self) -> torch.dtype:
        return self.output_t.dtype

    def embedding_table(self) -> torch.Tensor:
        """``[vocab, dim]`` (a transposed view of the output matrix when embeddings are tied)."""
        return self.output_t.t() if self.tok_embeddings is None else self.tok_embeddings

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
        """Copy canonical-named weights in, transposing and fusing; raises ``ValueError`` naming every problem.

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

        def put_t(dst: torch.Tensor, *names: str) -> None:
            # [out, in] sources side by side as the columns of an [in, sum(out)] matrix
            col = 0
            for name in names:
                if (src := read(name)) is not None:
                    dst[:, col : col + src.shape[0]].copy_(src.t())
                col += expected[name][0]

        put(self.norm, "norm.weight")
        if self.tok_embeddings is None:
            put_t(self.output_t, "tok_embeddings.weight")
        else:
            put(self.tok_embeddings, "tok_embeddings.weight")
            put_t(self.output_t, "output.weight")
        for i, lay in enumerate(self.layers):
            assert isinstance(lay, _Layer)
            p = f"layers.{i}."
            put(lay.attention_norm, p + "attention_norm.weight")
            put_t(lay.wqkv_t, p + "attention.wq.weight", p + "attention.wk.weight", p + "attention.wv.weight")
            put_t(lay.wo_t, p + "attention.wo.weight")
            put(lay.ffn_norm, p + "ffn_norm.weight")
            put_t(lay.w13_t, p + "feed_forward.w1.weight", p + "feed_forward.w3.weight")
            put_t(lay.w2_t, p + "feed_forward.w2.weight")
        if problems:
            raise ValueError("; ".join(problems))

    # -- the layer stack -------------------------------------------------------------

    def _run(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, attend: _Attend) -> torch.Tensor:
        """The decoder layers over ``h [N, dim]`` (updated in place); ``cos``/``sin`` broadcast to ``[N, 1, D]``."""
        eps, shape = self.args.norm_eps, self._norm_shape
        n, qk_width, n_qk, hd = h.shape[0], self._qk_width, self._n_qk_heads, self.args.head_dim
        half = self.args.hidden_dim
        for i, (attn_norm, wqkv_t, wo_t, ffn_norm, w13_t, w2_t) in enumerate(self._plain):
            qkv = torch.mm(F.rms_norm(h, shape, attn_norm, eps), wqkv_t)
            qk = apply_rope(qkv[:, :qk_width].view(n, n_qk, hd), cos, sin)
            h.addmm_(attend(i, qk, qkv[:, qk_width:].view(n, -1, hd)), wo_t)
            gate_up = torch.mm(F.rms_norm(h, shape, ffn_norm, eps), w13_t)
            h.addmm_(F.silu(gate_up[:, :half]).mul_(gate_up[:, half:]), w2_t)
        return h

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        return torch.mm(F.rms_norm(h, self._norm_shape, self.norm, self.args.norm_eps), self.output_t)

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.embedding(tokens.reshape(-1), self.embedding_table())

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
        h = self._run(self._embed(tokens), cos, sin, lambda _i, qk, v: self._causal_attention(qk, v, batch))
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

        h = self._run(self._embed(tokens), cos, sin, attend)
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

        return self._logits(self._run(self._embed(tokens), cos, sin, attend))
