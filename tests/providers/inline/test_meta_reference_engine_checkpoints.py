"""The engine's checkpoint loaders: Meta, Hugging Face and GGUF copies of one tiny Llama agree on logits.

Ground truth for the architecture (GQA, SwiGLU, Llama 3.1 RoPE scaling) is
transformers' ``LlamaForCausalLM`` on the HF copy; the checkpoints are
generated here (tests/support/tiny_llama.py), converted the way Meta's, HF's
and llama.cpp's tools convert them.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import pytest
import torch

from llama_stack_providers.inline.inference.meta_reference.engine import (
    CheckpointError,
    LoadedCheckpoint,
    load_checkpoint,
)
from tests.support.tiny_llama import (
    BEGIN_OF_TEXT,
    CHAT_TEMPLATE,
    END_OF_TEXT,
    EOM_ID,
    EOT_ID,
    TinyLlama,
    quantized_weights,
    tiny_llama_weights,
    write_gguf_checkpoint,
    write_hf_checkpoint,
    write_meta_checkpoint,
)

SPEC = TinyLlama()
# long enough that Llama 3.1 scaling changes the low RoPE frequencies visibly
PROMPT = torch.randint(0, 128000, (1, 300), generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-llama")
    weights = tiny_llama_weights(SPEC)
    return {
        "meta": write_meta_checkpoint(SPEC, weights, root / "meta"),
        "hf": write_hf_checkpoint(SPEC, weights, root / "hf"),
        "gguf": write_gguf_checkpoint(SPEC, weights, root / "tiny.gguf"),
    }


@pytest.fixture(scope="module")
def loaded(checkpoints: dict[str, Path]) -> dict[str, LoadedCheckpoint]:
    return {fmt: load_checkpoint(path) for fmt, path in checkpoints.items()}


def _logits(checkpoint: LoadedCheckpoint) -> torch.Tensor:
    with torch.inference_mode():
        return checkpoint.model(PROMPT)[0]


def _transformers_logits(folder: Path) -> torch.Tensor:
    from transformers import LlamaForCausalLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # transformers' own deprecation notices are not ours to fix
        model = LlamaForCausalLM.from_pretrained(folder, dtype=torch.float32)
    with torch.inference_mode():
        return model(PROMPT).logits[0]


def test_every_format_matches_transformers_llama(
    checkpoints: dict[str, Path], loaded: dict[str, LoadedCheckpoint]
) -> None:
    reference = _transformers_logits(checkpoints["hf"])
    assert reference.std() > 0.5  # a model whose logits say something
    for fmt, checkpoint in loaded.items():
        torch.testing.assert_close(_logits(checkpoint), reference, atol=1e-4, rtol=1e-4, msg=fmt)


def test_formats_agree_with_each_other(loaded: dict[str, LoadedCheckpoint]) -> None:
    meta = _logits(loaded["meta"])
    torch.testing.assert_close(_logits(loaded["hf"]), meta, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(_logits(loaded["gguf"]), meta, atol=1e-4, rtol=1e-4)


def test_rope_scaling_is_exercised(tmp_path: Path, loaded: dict[str, LoadedCheckpoint]) -> None:
    # the same weights without Llama 3.1 scaling give different logits: the test above would notice a wrong scaling
    unscaled = dataclasses.replace(SPEC, use_scaled_rope=False)
    folder = write_hf_checkpoint(unscaled, tiny_llama_weights(SPEC), tmp_path / "unscaled")
    difference = (_logits(load_checkpoint(folder)) - _logits(loaded["hf"])).abs().max()
    assert difference > 1e-2


def test_args_read_from_each_format(loaded: dict[str, LoadedCheckpoint]) -> None:
    for fmt, checkpoint in loaded.items():
        args = checkpoint.args
        assert (args.dim, args.n_layers, args.n_heads, args.n_kv_heads) == (64, 2, 4, 2), fmt
        assert (args.vocab_size, args.hidden_dim, args.rope_theta) == (128256, 192, 500000.0), fmt
        assert args.max_seq_len == 131072 and not args.tie_word_embeddings, fmt
        assert checkpoint.source_format == fmt
        assert checkpoint.model.dtype == torch.float32
    assert loaded["meta"].args.rope_scaling == loaded["hf"].args.rope_scaling is not None
    assert loaded["gguf"].args.rope_freq_factors is not None  # llama.cpp's rope_freqs tensor


def test_tokenizer_and_stop_tokens_of_each_format(
    checkpoints: dict[str, Path], loaded: dict[str, LoadedCheckpoint]
) -> None:
    meta, hf, gguf = loaded["meta"], loaded["hf"], loaded["gguf"]
    assert (
        meta.tokenizer.kind == "llama3-tiktoken"
        and meta.tokenizer.path == checkpoints["meta"] / "tokenizer.model"
    )
    assert hf.tokenizer.kind == "llama3-tiktoken"
    assert hf.tokenizer.path == checkpoints["hf"] / "original" / "tokenizer.model"
    assert gguf.tokenizer.kind == "gguf" and gguf.tokenizer.path == checkpoints["gguf"]
    for checkpoint in loaded.values():
        assert checkpoint.bos_token_id == BEGIN_OF_TEXT
        assert sorted(checkpoint.eos_token_ids) == [END_OF_TEXT, EOM_ID, EOT_ID]
    assert meta.chat_template is None
    assert hf.chat_template == gguf.chat_template == CHAT_TEMPLATE
    metadata = gguf.tokenizer.gguf_metadata
    assert metadata is not None
    assert metadata["tokenizer.ggml.model"] == "gpt2" and metadata["tokenizer.ggml.pre"] == "llama-bpe"
    assert len(metadata["tokenizer.ggml.tokens"]) == 128256
    assert metadata["tokenizer.ggml.tokens"][EOT_ID] == "<|eot_id|>"
    assert metadata["tokenizer.ggml.token_type"][EOT_ID] == 3  # control
    assert metadata["tokenizer.chat_template"] == CHAT_TEMPLATE


def test_tied_embeddings_in_every_format(tmp_path: Path) -> None:
    spec = TinyLlama(tie_word_embeddings=True, use_scaled_rope=False, max_seq_len=256, seed=3)
    weights = tiny_llama_weights(spec)
    ids = PROMPT[:, :40]
    results = []
    for checkpoint in (
        load_checkpoint(write_meta_checkpoint(spec, weights, tmp_path / "meta")),
        load_checkpoint(write_hf_checkpoint(spec, weights, tmp_path / "hf")),
        load_checkpoint(write_gguf_checkpoint(spec, weights, tmp_path / "tiny.gguf")),
    ):
        assert checkpoint.args.tie_word_embeddings
        assert checkpoint.model.tok_embeddings is None  # the output matrix serves as the embedding table
        with torch.inference_mode():
            results.append(checkpoint.model(ids)[0])
    torch.testing.assert_close(results[1], results[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(results[2], results[0], atol=1e-4, rtol=1e-4)


def test_bfloat16_load_tracks_float32(
    checkpoints: dict[str, Path], loaded: dict[str, LoadedCheckpoint]
) -> None:
    bf16 = load_checkpoint(checkpoints["hf"], dtype=torch.bfloat16)
    assert bf16.model.dtype == torch.bfloat16
    with torch.inference_mode():
        logits = bf16.model(PROMPT[:, :50])[0].float()
    reference = _logits(loaded["hf"])[:50]
    assert (logits - reference).abs().max() < 0.25 * reference.abs().max()


def test_max_seq_len_override(checkpoints: dict[str, Path]) -> None:
    assert load_checkpoint(checkpoints["hf"], max_seq_len=1024).args.max_seq_len == 1024


# -- errors name the path and what is wrong ---------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist") as info:
        load_checkpoint(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)


def test_folder_that_is_no_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a checkpoint we recognise"):
        load_checkpoint(tmp_path)


def test_meta_folder_without_weights(tmp_path: Path) -> None:
    (tmp_path / "params.json").write_text(json.dumps({"dim": 64, "n_layers": 2, "n_heads": 4}))
    with pytest.raises(CheckpointError, match=r"no consolidated\.\*\.pth"):
        load_checkpoint(tmp_path)


def test_meta_quantized_checkpoint_is_unsupported(tmp_path: Path) -> None:
    params = {"dim": 64, "n_layers": 2, "n_heads": 4, "quantization_args": {"group_size": 256}}
    (tmp_path / "params.json").write_text(json.dumps(params))
    with pytest.raises(CheckpointError, match="quantized Meta checkpoints are not supported"):
        load_checkpoint(tmp_path)


def test_hf_architecture_other_than_llama(tmp_path: Path) -> None:
    spec = TinyLlama(vocab_size=512, use_scaled_rope=False, max_seq_len=256)
    folder = write_hf_checkpoint(spec, tiny_llama_weights(spec), tmp_path / "x")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "mistral"}))
    with pytest.raises(CheckpointError, match="model_type 'mistral' is not supported") as info:
        load_checkpoint(folder)
    assert str(folder / "config.json") in str(info.value)


def test_hf_unsupported_rope_type(tmp_path: Path) -> None:
    spec = TinyLlama(vocab_size=512, use_scaled_rope=False, max_seq_len=256)
    folder = write_hf_checkpoint(spec, tiny_llama_weights(spec), tmp_path / "x")
    config = json.loads((folder / "config.json").read_text())
    config["rope_scaling"] = {"rope_type": "yarn", "factor": 4.0}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="rope type 'yarn' is not supported"):
        load_checkpoint(folder)


def test_hf_weights_of_the_wrong_shape(tmp_path: Path) -> None:
    spec = TinyLlama(vocab_size=512, use_scaled_rope=False, max_seq_len=256)
    folder = write_hf_checkpoint(spec, tiny_llama_weights(spec), tmp_path / "x")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "intermediate_size": 100}))
    with pytest.raises(CheckpointError, match=r"layers\.0\.feed_forward\.w1\.weight has shape \(192, 64\)"):
        load_checkpoint(folder)


def test_hf_folder_without_weights_or_tokenizer(tmp_path: Path) -> None:
    spec = TinyLlama(vocab_size=512, use_scaled_rope=False, max_seq_len=256)
    folder = write_hf_checkpoint(spec, tiny_llama_weights(spec), tmp_path / "x")
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"no \*\.safetensors"):
        load_checkpoint(folder)


def test_gguf_of_another_architecture(tmp_path: Path) -> None:
    import gguf

    path = tmp_path / "other.gguf"
    writer = gguf.GGUFWriter(str(path), "gpt2")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(CheckpointError, match="architecture 'gpt2' is not supported"):
        load_checkpoint(path)


def test_truncated_gguf(checkpoints: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "truncated.gguf"
    path.write_bytes(checkpoints["gguf"].read_bytes()[:100_000])
    with pytest.raises(CheckpointError, match="cannot read it as GGUF"):
        load_checkpoint(path)


@pytest.mark.parametrize("quantization", ["Q4_0", "Q4_1", "Q5_0", "Q8_0"])
def test_quantized_gguf_is_dequantised_exactly(tmp_path: Path, quantization: str) -> None:
    # the reference: the same dequantised numbers as a float32 HF checkpoint
    spec = TinyLlama(vocab_size=512, max_seq_len=256, seed=7)
    weights = tiny_llama_weights(spec)
    gguf_file = write_gguf_checkpoint(spec, weights, tmp_path / "q.gguf", quantization=quantization)
    reference = write_hf_checkpoint(
        spec, quantized_weights(weights, quantization), tmp_path / "hf", dtype=torch.float32
    )
    ids = torch.randint(0, 512, (1, 64), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        quantized = load_checkpoint(gguf_file).model(ids)
        expected = load_checkpoint(reference).model(ids)
        unquantized = load_checkpoint(write_hf_checkpoint(spec, weights, tmp_path / "plain")).model(ids)
    torch.testing.assert_close(quantized, expected, atol=1e-4, rtol=1e-4)
    assert (quantized - unquantized).abs().max() > 1e-3  # the quantisation really happened


def test_model_parallel_meta_shards_are_merged(checkpoints: dict[str, Path], tmp_path: Path) -> None:
    # two consolidated.*.pth shards as Meta's model-parallel writer splits them
    weights = tiny_llama_weights(SPEC)
    shards: list[dict[str, torch.Tensor]] = [{}, {}]
    for name, tensor in weights.items():
        if tensor.ndim == 1:
            parts = [tensor, tensor]
        elif name.endswith(("attention.wo.weight", "feed_forward.w2.weight")):
            parts = list(tensor.chunk(2, dim=1))
        else:
            parts = list(tensor.chunk(2, dim=0))
        for shard, part in zip(shards, parts, strict=True):
            shard[name] = part.bfloat16().clone()
    folder = tmp_path / "sharded"
    folder.mkdir()
    for i, shard in enumerate(shards):
        torch.save(shard, folder / f"consolidated.{i:02d}.pth")
    for extra in ("params.json", "tokenizer.model"):
        (folder / extra).write_bytes((checkpoints["meta"] / extra).read_bytes())
    with torch.inference_mode():
        merged = load_checkpoint(folder).model(PROMPT[:, :32])
        single = load_checkpoint(checkpoints["meta"]).model(PROMPT[:, :32])
    torch.testing.assert_close(merged, single, atol=1e-5, rtol=1e-5)
