"""GGUF files (llama.cpp): Llama-architecture weights dequantised to floats, plus the tokenizer metadata.

llama.cpp's converter permutes Q/K rows so RoPE rotates adjacent pairs; the
reader undoes that. Llama 3.1 scaling arrives as the ``rope_freqs`` tensor of
per-frequency divisors, which becomes ``ModelArgs.rope_freq_factors``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._args import ModelArgs
from ._checkpoint import LazyWeights, ParsedCheckpoint, TokenizerSpec, interleaved_to_half_split
from ._errors import CheckpointError
from ._gguf_reader import GGUFFile, GGUFFormatError, GGUFTensor

_LAYER_NAMES = {
    "attn_norm.weight": "attention_norm.weight",
    "attn_q.weight": "attention.wq.weight",
    "attn_k.weight": "attention.wk.weight",
    "attn_v.weight": "attention.wv.weight",
    "attn_output.weight": "attention.wo.weight",
    "ffn_norm.weight": "ffn_norm.weight",
    "ffn_gate.weight": "feed_forward.w1.weight",
    "ffn_up.weight": "feed_forward.w3.weight",
    "ffn_down.weight": "feed_forward.w2.weight",
}
_TOP_NAMES = {
    "token_embd.weight": "tok_embeddings.weight",
    "output_norm.weight": "norm.weight",
    "output.weight": "output.weight",
}


def is_gguf_file(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"GGUF"


def _canonical_name(gguf_name: str) -> str | None:
    if gguf_name in _TOP_NAMES:
        return _TOP_NAMES[gguf_name]
    if gguf_name.startswith("blk."):
        index, _, rest = gguf_name.removeprefix("blk.").partition(".")
        if rest in _LAYER_NAMES:
            return f"layers.{index}.{_LAYER_NAMES[rest]}"
    return None


def _dequantize(path: Path, tensor: GGUFTensor) -> torch.Tensor:
    import gguf

    qtype = gguf.GGMLQuantizationType(tensor.type_id)
    raw = tensor.data
    if qtype == gguf.GGMLQuantizationType.F32:
        return torch.from_numpy(raw.view("<f4").reshape(tensor.shape).copy())
    if qtype == gguf.GGMLQuantizationType.F16:
        # half and bfloat16 widen in torch: numpy's conversion is several times slower
        return torch.from_numpy(raw.view("<f2").reshape(tensor.shape).copy()).float()
    if qtype == gguf.GGMLQuantizationType.BF16:
        bits = torch.from_numpy(raw.view("<i2").reshape(tensor.shape).copy())
        return bits.view(torch.bfloat16).float()
    try:
        array = gguf.quants.dequantize(raw, qtype)
    except NotImplementedError as exc:
        raise CheckpointError(
            path, f"tensor {tensor.name} uses {qtype.name}, which cannot be dequantised"
        ) from exc
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).reshape(tensor.shape)


def _args(path: Path, meta: dict[str, Any], tensors: dict[str, GGUFTensor]) -> ModelArgs:
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise CheckpointError(path, f"architecture {arch!r} is not supported; only 'llama' GGUF files are")

    def get(key: str, default: Any = None) -> Any:
        value = meta.get(f"llama.{key}", default)
        if value is None:
            raise CheckpointError(path, f"metadata llama.{key} is missing")
        return value

    if int(meta.get("llama.expert_count") or 0) > 0:
        raise CheckpointError(
            path, "mixture-of-experts GGUF files (llama.expert_count > 0) are not supported"
        )
    dim = int(get("embedding_length"))
    n_heads = int(get("attention.head_count"))
    n_kv_heads = get("attention.head_count_kv", n_heads)
    if isinstance(n_kv_heads, list):
        raise CheckpointError(path, "per-layer llama.attention.head_count_kv is not supported")
    if int(meta.get("llama.rope.dimension_count", dim // n_heads)) != dim // n_heads:
        raise CheckpointError(
            path, "partial rotary embeddings (rope.dimension_count != head size) are not supported"
        )
    factors: tuple[float, ...] | None = None
    scaling_type = meta.get("llama.rope.scaling.type", "none")
    if scaling_type == "linear":
        factors = (float(meta["llama.rope.scaling.factor"]),) * (dim // n_heads // 2)
    elif scaling_type not in ("none", None):
        raise CheckpointError(
            path, f"rope scaling {scaling_type!r} is not supported; supported: none, linear, llama3"
        )
    if "rope_freqs.weight" in tensors:
        factors = tuple(float(f) for f in _dequantize(path, tensors["rope_freqs.weight"]).tolist())
    embeddings = tensors.get("token_embd.weight")
    if embeddings is None:
        raise CheckpointError(path, "has no token_embd.weight tensor")
    try:
        return ModelArgs(
            dim=dim,
            n_layers=int(get("block_count")),
            n_heads=n_heads,
            n_kv_heads=int(n_kv_heads),
            vocab_size=int(embeddings.shape[0]),
            hidden_dim=int(get("feed_forward_length")),
            norm_eps=float(get("attention.layer_norm_rms_epsilon", 1e-5)),
            rope_theta=float(get("rope.freq_base", 10000.0)),
            rope_scaling=None,
            max_seq_len=int(get("context_length", 4096)),
            tie_word_embeddings="output.weight" not in tensors,
            rope_freq_factors=factors,
        )
    except ValueError as exc:
        raise CheckpointError(path, str(exc)) from exc


def _ids(meta: dict[str, Any], *keys: str) -> list[int]:
    return [int(meta[k]) for k in keys if meta.get(k) is not None]


def read_gguf_checkpoint(path: Path) -> ParsedCheckpoint:
    try:
        file = GGUFFile(path)
    except GGUFFormatError as exc:
        raise CheckpointError(path, f"cannot read it as GGUF: {exc}") from exc
    meta, tensors = file.metadata, file.tensors
    args = _args(path, meta, tensors)

    def load(gguf_name: str, name: str) -> torch.Tensor:
        weight = _dequantize(path, tensors[gguf_name])
        if name.endswith("attention.wq.weight"):
            return interleaved_to_half_split(weight, args.n_heads)
        if name.endswith("attention.wk.weight"):
            return interleaved_to_half_split(weight, args.n_kv_heads)
        return weight

    sources = {name: g for g in tensors if (name := _canonical_name(g)) is not None}

    tokenizer_meta = {k: v for k, v in meta.items() if k.startswith("tokenizer.")}
    eos = _ids(
        meta, "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"
    )
    bos = _ids(meta, "tokenizer.ggml.bos_token_id")
    template = meta.get("tokenizer.chat_template")
    return ParsedCheckpoint(
        args=args,
        weights=LazyWeights(sources, load),
        tokenizer=TokenizerSpec(kind="gguf", path=path, gguf_metadata=tokenizer_meta),
        chat_template=template if isinstance(template, str) else None,
        bos_token_id=bos[0] if bos else None,
        eos_token_ids=list(dict.fromkeys(eos)),
    )
