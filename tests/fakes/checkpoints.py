"""Tiny fake checkpoints in the three formats the checkpoint store recognises (no real weights)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def write_gguf(path: Path, *, arch: str = "llama", context: int = 256) -> Path:
    """A GGUF file with a few metadata keys and one small tensor (skips the test without ``gguf``)."""
    gguf = pytest.importorskip("gguf")
    import numpy as np

    writer = gguf.GGUFWriter(str(path), arch=arch)
    writer.add_name("tiny")
    writer.add_context_length(context)
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_tensor("token_embd.weight", np.zeros((8, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_meta(folder: Path) -> Path:
    """A Meta checkpoint folder: params.json, one consolidated shard, a tokenizer.model."""
    folder.mkdir()
    params = {"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "vocab_size": 128256}
    (folder / "params.json").write_text(json.dumps(params))
    (folder / "consolidated.00.pth").write_bytes(b"\0" * 1000)
    (folder / "tokenizer.model").write_text("fake")
    return folder


def write_hf(folder: Path) -> Path:
    """A Hugging Face checkpoint folder: config.json and one safetensors file."""
    folder.mkdir()
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "max_position_embeddings": 2048,
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").write_bytes(b"\0" * 2000)
    return folder
