"""Meta checkpoints: ``consolidated.*.pth`` shards + ``params.json`` (+ ``tokenizer.model``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ._args import ModelArgs, RopeScaling
from ._checkpoint import LazyWeights, ParsedCheckpoint, TokenizerSpec, interleaved_to_half_split
from ._errors import CheckpointError

LLAMA3_VOCAB_SIZE = 128256
# offsets of special tokens after the BPE ranks in Meta's Llama 3 tokenizer
_BEGIN_OF_TEXT, _END_OF_TEXT, _EOM, _EOT = 0, 1, 8, 9
_UNSUPPORTED_PARAMS = {
    "quantization_args": "quantized Meta checkpoints",
    "lora_args": "Meta checkpoints with LoRA adapters",
    "vision_chunk_size": "multimodal (vision) Llama checkpoints",
    "vision_model": "multimodal (vision) Llama checkpoints",
    "moe_args": "mixture-of-experts (Llama 4) checkpoints",
    "num_experts": "mixture-of-experts (Llama 4) checkpoints",
}
# row-parallel shards (split on the input dimension) are concatenated on dim 1, the rest on dim 0
_ROW_PARALLEL = ("attention.wo.weight", "feed_forward.w2.weight")


def is_meta_checkpoint(path: Path) -> bool:
    return path.is_dir() and (path / "params.json").is_file()


def _read_params(path: Path) -> dict[str, Any]:
    try:
        params = json.loads((path / "params.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(path / "params.json", f"cannot read it: {exc}") from exc
    if not isinstance(params, dict):
        raise CheckpointError(path / "params.json", "expected a JSON object")
    for key, what in _UNSUPPORTED_PARAMS.items():
        if params.get(key) not in (None, -1, 0, {}):
            raise CheckpointError(path / "params.json", f"has {key!r}: {what} are not supported")
    return params


def _merge_shards(shards: list[dict[str, torch.Tensor]], dim: int) -> dict[str, torch.Tensor]:
    if len(shards) == 1:
        return shards[0]
    merged: dict[str, torch.Tensor] = {}
    for name, first in shards[0].items():
        parts = [shard[name] for shard in shards]
        if first.ndim == 1:
            merged[name] = first  # norms (and rope.freqs) are replicated
        elif name.endswith(_ROW_PARALLEL):
            merged[name] = torch.cat(parts, dim=1)
        elif name == "tok_embeddings.weight" and first.shape[1] * len(parts) == dim:
            # Llama 2 sharded the embedding dimension; Llama 3 shards the vocabulary (dim 0)
            merged[name] = torch.cat(parts, dim=1)
        else:
            merged[name] = torch.cat(parts, dim=0)
    return merged


def _llama3_special_ids(tokenizer_model: Path | None, vocab_size: int, path: Path) -> tuple[int, list[int]]:
    if tokenizer_model is not None:
        with tokenizer_model.open("rb") as f:
            base = sum(1 for line in f if line.strip())
    elif vocab_size == LLAMA3_VOCAB_SIZE:
        base = 128000
    else:
        raise CheckpointError(
            path, "no tokenizer.model beside params.json, and the vocabulary is not Llama 3's"
        )
    return base + _BEGIN_OF_TEXT, [base + _END_OF_TEXT, base + _EOM, base + _EOT]


def read_meta_checkpoint(path: Path) -> ParsedCheckpoint:
    params = _read_params(path)
    shard_files = sorted(path.glob("consolidated.*.pth"))
    if not shard_files:
        raise CheckpointError(path, "has params.json but no consolidated.*.pth weight files")
    shards = []
    for shard in shard_files:
        try:
            shards.append(torch.load(shard, map_location="cpu", weights_only=True, mmap=True))
        except Exception as exc:  # torch raises many types for a corrupt or foreign file; re-raised typed
            raise CheckpointError(shard, f"cannot load it with torch.load: {exc}") from exc
    try:
        dim = int(params["dim"])
        n_heads = int(params["n_heads"])
        n_layers = int(params["n_layers"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            path / "params.json", f"missing or invalid {exc}; expected dim, n_heads, n_layers"
        ) from exc
    merged = _merge_shards(shards, dim)
    merged.pop("rope.freqs", None)
    if "tok_embeddings.weight" not in merged or "layers.0.feed_forward.w1.weight" not in merged:
        raise CheckpointError(
            path, "the consolidated.*.pth files do not hold Llama weights (no tok_embeddings / layers.0)"
        )

    vocab_size = int(merged["tok_embeddings.weight"].shape[0])
    n_kv_heads = int(params.get("n_kv_heads") or n_heads)
    rope_scaling = None
    if params.get("use_scaled_rope"):
        rope_scaling = RopeScaling(
            factor=float(params.get("rope_scaling_factor") or 8.0),
            high_freq_factor=float(params.get("rope_high_freq_factor") or 4.0),
        )
    max_seq_len = int(params.get("max_seq_len") or (131072 if rope_scaling else 8192))
    tied = "output.weight" not in merged
    try:
        args = ModelArgs(
            dim=dim,
            n_layers=n_layers,
            n_heads=n_heads,
            n_kv_heads=n_kv_heads,
            vocab_size=vocab_size,
            hidden_dim=int(merged["layers.0.feed_forward.w1.weight"].shape[0]),
            norm_eps=float(params.get("norm_eps", 1e-5)),
            rope_theta=float(params.get("rope_theta", 10000.0)),
            rope_scaling=rope_scaling,
            max_seq_len=max_seq_len,
            tie_word_embeddings=tied,
        )
    except ValueError as exc:
        raise CheckpointError(path / "params.json", str(exc)) from exc

    def loader(name: str, _canonical: str) -> torch.Tensor:
        tensor = merged[name]
        if name.endswith("attention.wq.weight"):
            return interleaved_to_half_split(tensor, n_heads)
        if name.endswith("attention.wk.weight"):
            return interleaved_to_half_split(tensor, n_kv_heads)
        return tensor

    tokenizer_model = path / "tokenizer.model"
    tok_path = tokenizer_model if tokenizer_model.is_file() else None
    bos, eos = _llama3_special_ids(tok_path, vocab_size, path)
    return ParsedCheckpoint(
        args=args,
        weights=LazyWeights({name: name for name in merged}, loader),
        tokenizer=TokenizerSpec(kind="llama3-tiktoken", path=tok_path),
        chat_template=None,
        bos_token_id=bos,
        eos_token_ids=eos,
    )
