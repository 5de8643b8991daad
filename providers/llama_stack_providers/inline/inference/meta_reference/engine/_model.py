"""The Llama decoder in plain PyTorch: RMSNorm, RoPE, grouped-query attention, SwiGLU, KV cache.

Weights are fused per layer (one QKV matrix, one gate-up matrix) and the layer
loop is written out in one function rather than as nested modules, because on
a CPU a small model's decode step costs more in per-op Python overhead than in
arithmetic. ``load_weights`` takes the engine's canonical names (Meta's, with
Q/K already in the half-split RoPE layout); the format loaders produce them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ._args import ModelArgs
from ._kv_cache import KVCache
from ._rope import apply_rope, cos_sin, inverse_frequencies

_Attend = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]


def canonical_weight_shapes(args: ModelArgs) -> dict[str, tuple[int, ...]]:
    """Every tensor a checkpoint must provide, by canonical name, with its shape."""
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
    def __init__(self, args: ModelArgs, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        d, hd, f = args.dim, args.head_dim, args.hidden_dim
        qkv_rows = (args.n_heads + 2 * args.n_kv_heads) * hd
        self.attention_norm = _parameter(d, device=device, dtype=dtype)
        self.wqkv = _parameter(qkv_rows, d, device=device, dtype=dtype)
        self.wo = _parameter(d, args.n_heads * hd, device=device, dtype=dtype)
        self.ffn_norm = _parameter(d, device=device, dtype=dtype)
        self.w13 = _parameter(2 * f, d, device=device, dtype=dtype)
        self.w2 = _parameter(d, f, device=device, dtype=dtype)

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.attention_norm, self.wqkv, self.wo, self.ffn_norm, self.w13, self.w2)


class LlamaModel(nn.Module):
    """A Llama 3 style decoder. Build it empty, then ``load_weights``; run it under ``torch.inference_mode``.

    ``forward(tokens)`` gives full-sequence logits without a cache; ``prefill``
    and ``decode`` run against a ``KVCache`` and return last-position logits.
    """

    inv_freq: torch.Tensor

    def __init__(
        self, args: ModelArgs, *, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        self.args = args
        dev = torch.device(device)
        self.tok_embeddings = _parameter(args.vocab_size, args.dim, device=dev, dtype=dtype)
        self.layers = nn.ModuleList(_Layer(args, dev, dtype) for _ in range(args.n_layers))
        self.norm = _parameter(args.dim, device=dev, dtype=dtype)
        if args.tie_word_embeddings:
            self.output = self.tok_embeddings
        else:
            self.output = _parameter(args.vocab_size, args.dim, device=dev, dtype=dtype)
        self.register_buffer("inv_freq", inverse_frequencies(args).to(dev), persistent=False)
        self._n_qk_heads = args.n_heads + args.n_kv_heads
        self._qk_width = self._n_qk_heads * args.head_dim
        self._groups = args.n_heads // args.n_kv_heads
        self._norm_shape = (args.dim,)
        self._plain: list[tuple[torch.Tensor, ...]] = []
        self._refresh_plain()

    @property
    def device(self) -> torch.device:
        return self.tok_embeddings.device

    @property
    def dtype(self) -> torch.dtype:
        return self.tok_embeddings.dtype

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

        def put(dst: torch.Tensor, *names: str) -> None:
            row = 0
            for name in names:
                if name not in weights:
                    problems.append(f"missing tensor {name}")
                    continue
                src = weights[name]
                if tuple(src.shape) != expected[name]:
                    problems.append(f"tensor {name} has shape {tuple(src.shape)}, expected {expected[name]}")
                    continue
                rows = src.shape[0]
                dst[row : row + rows].copy_(src)
                row += rows

        put(self.tok_embeddings, "tok_embeddings.weight")
        put(self.norm, "norm.weight")
        if not self.args.tie_word_embeddings:
            put(self.output, "output.weight")
        for i, lay in enumerate(self.layers):
            assert isinstance(lay, _Layer)
            p = f"layers.{i}."
            put(lay.attention_norm, p + "attention_norm.weight")
            put(lay.wqkv, p + "attention.wq.weight", p + "attention.wk.weight", p + "attention.wv.weight")
            put(lay.wo, p + "attention.wo.weight")
            put(lay.ffn_norm, p + "ffn_norm.weight")
            put(lay.w13, p + "feed_forward.w1.weight", p + "feed_forward.w3.weight")
            put(lay.w2, p + "feed_forward.w2.weight")
        if problems:
            raise ValueError("; ".join(problems))

    # -- the layer stack -------------------------------------------------------------

    def _run(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, attend: _Attend) -> torch.Tensor:
        eps = self.args.norm_eps
        shape = self._norm_shape
        qk_width, n_qk, hd = self._qk_width, self._n_qk_heads, self.args.head_dim
        lead = h.shape[:-1]
        for i, (attn_norm, wqkv, wo, ffn_norm, w13, w2) in enumerate(self._plain):
            qkv = F.linear(F.rms_norm(h, shape, attn_norm, eps), wqkv)
            qk = apply_rope(qkv[..., :qk_width].view(*lead, n_qk, hd), cos, sin)
            v = qkv[..., qk_width:].view(*lead, -1, hd)
            h = h + F.linear(attend(i, qk, v), wo)
            gate, up = F.linear(F.rms_norm(h, shape, ffn_norm, eps), w13).chunk(2, dim=-1)
            h = h + F.linear(F.silu(gate).mul_(up), w2)
        return h

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(F.rms_norm(h, self._norm_shape, self.norm, self.args.norm_eps), self.output)

    def _causal_attend(self, q_k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # q_k [B, T, H + Hkv, D], v [B, T, Hkv, D] -> [B, T, H * D]
        n_heads = self.args.n_heads
        q = q_k[:, :, :n_heads].transpose(1, 2)
        k = q_k[:, :, n_heads:].transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), is_causal=True, enable_gqa=True)
        return out.transpose(1, 2).flatten(2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, T, vocab]`` for whole sequences ``tokens [B, T]``, causal, no cache."""
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        cos, sin = cos_sin(self.inv_freq, positions, self.dtype)
        h = self._run(
            F.embedding(tokens, self.tok_embeddings), cos, sin, lambda _i, qk, v: self._causal_attend(qk, v)
        )
        return self._logits(h)

    def prefill(self, tokens: torch.Tensor, cache: KVCache, slot: int) -> torch.Tensor:
        """Run a prompt ``tokens [T]`` from position 0 into ``slot`` of ``cache``; logits ``[vocab]`` of its last token."""
        length = tokens.shape[0]
        cache.reserve(length)
        positions = torch.arange(length, device=tokens.device)
        cos, sin = cos_sin(self.inv_freq, positions, self.dtype)
        n_heads = self.args.n_heads

        def attend(i: int, qk: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            cache.keys[i][slot, :, :length].copy_(qk[0, :, n_heads:].transpose(0, 1))
            cache.values[i][slot, :, :length].copy_(v[0].transpose(0, 1))
            return self._causal_attend(qk, v)

        h = self._run(F.embedding(tokens.unsqueeze(0), self.tok_embeddings), cos, sin, attend)
        return self._logits(h[0, -1])

    def decode(self, tokens: torch.Tensor, positions: list[int], cache: KVCache) -> torch.Tensor:
        """One step for the sequences in slots ``0..n-1``: ``tokens [n]`` at ``positions``; logits ``[n, vocab]``.

        The cache must already hold room for ``max(positions) + 1`` positions.
        """
        n = tokens.shape[0]
        length = max(positions) + 1
        n_heads, groups, n_kv = self.args.n_heads, self._groups, self.args.n_kv_heads
        keys, values = cache.keys, cache.values
        mask: torch.Tensor | None = None
        if n == 1:
            pos_t = torch.tensor(positions, device=tokens.device)
            p = positions[0]

            def write(i: int, k: torch.Tensor, v: torch.Tensor) -> None:
                keys[i][0, :, p].copy_(k[0])
                values[i][0, :, p].copy_(v[0])

        else:
            pos_t = torch.tensor(positions, device=tokens.device)
            rows = torch.arange(n, device=tokens.device)
            index = (rows, pos_t)
            if min(positions) + 1 != length:
                mask = (torch.arange(length, device=tokens.device) <= pos_t.unsqueeze(1)).view(
                    n, 1, 1, length
                )

            def write(i: int, k: torch.Tensor, v: torch.Tensor) -> None:
                # [n, Hkv, D] into [slot, :, position] of each row
                keys[i].transpose(1, 2).index_put_(index, k)
                values[i].transpose(1, 2).index_put_(index, v)

        cos, sin = cos_sin(self.inv_freq, pos_t.unsqueeze(1), self.dtype)

        def attend(i: int, qk: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            write(i, qk[:, 0, n_heads:], v[:, 0])
            # a decode step's query heads regroup under their KV head: [n, Hkv, groups, D]
            q = qk[:, 0, :n_heads].view(n, n_kv, groups, -1)
            out = F.scaled_dot_product_attention(
                q, keys[i][:n, :, :length], values[i][:n, :, :length], attn_mask=mask
            )
            return out.reshape(n, 1, n_heads * self.args.head_dim)

        h = self._run(F.embedding(tokens.unsqueeze(1), self.tok_embeddings), cos, sin, attend)
        return self._logits(h[:, 0])
