"""A tiny randomly initialised Llama, written as a Meta, a Hugging Face and a GGUF checkpoint.

The weights are generated from a seed, so every test run builds the same model.
Each writer converts the way the real tools do — Meta -> HF with Hugging Face's
Q/K permutation, HF -> GGUF with llama.cpp's — independently of the engine
under test, so loaders that agree on logits have undone the conversions right::

    spec = TinyLlama()                       # Llama 3 vocabulary, Llama 3.1 RoPE scaling
    weights = tiny_llama_weights(spec)
    write_meta_checkpoint(spec, weights, tmp_path / "meta")
    write_hf_checkpoint(spec, weights, tmp_path / "hf")
    write_gguf_checkpoint(spec, weights, tmp_path / "tiny.gguf")

Values are rounded to bfloat16 first, so the bf16 Meta/HF files and the F16,
BF16 and F32 tensors of the GGUF file all hold exactly the same numbers.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

LLAMA3_VOCAB_SIZE = 128256
LLAMA3_BASE_TOKENS = 128000
BEGIN_OF_TEXT = 128000
END_OF_TEXT = 128001
EOM_ID = 128008
EOT_ID = 128009
CHAT_TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"


def llama3_tokenizer_model() -> Path:
    """The Llama 3 ``tokenizer.model`` that llama-models ships (found without importing the package)."""
    spec = importlib.util.find_spec("llama_models")
    if spec is None or spec.origin is None:
        raise RuntimeError("llama-models is not installed; it ships the Llama 3 tokenizer.model")
    return Path(spec.origin).parent / "llama3" / "tokenizer.model"


@dataclass(frozen=True)
class TinyLlama:
    """The shape of the tiny model; defaults: 2 layers, dim 64, 4 heads / 2 KV heads, Llama 3 vocabulary."""

    dim: int = 64
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 2
    hidden_dim: int = 192  # what params.json's multiple_of=64 gives for dim 64
    vocab_size: int = LLAMA3_VOCAB_SIZE
    norm_eps: float = 1e-5
    rope_theta: float = 500000.0
    use_scaled_rope: bool = True  # Llama 3.1: factor 8, low 1, high 4, original context 8192
    tie_word_embeddings: bool = False
    max_seq_len: int = 131072
    seed: int = 0

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


def tiny_llama_weights(spec: TinyLlama) -> dict[str, torch.Tensor]:
    """Seeded random weights under Meta's names and Q/K layout, float32 holding bfloat16-exact values."""
    gen = torch.Generator().manual_seed(spec.seed)

    def normal(*shape: int, std: float) -> torch.Tensor:
        return (torch.randn(*shape, generator=gen) * std).bfloat16().float()

    def norm_weight() -> torch.Tensor:
        return (1.0 + 0.1 * torch.randn(spec.dim, generator=gen)).bfloat16().float()

    d, hd = spec.dim, spec.head_dim
    weights = {"tok_embeddings.weight": normal(spec.vocab_size, d, std=1.0)}
    for i in range(spec.n_layers):
        p = f"layers.{i}."
        weights[p + "attention_norm.weight"] = norm_weight()
        weights[p + "attention.wq.weight"] = normal(spec.n_heads * hd, d, std=d**-0.5)
        weights[p + "attention.wk.weight"] = normal(spec.n_kv_heads * hd, d, std=d**-0.5)
        weights[p + "attention.wv.weight"] = normal(spec.n_kv_heads * hd, d, std=d**-0.5)
        weights[p + "attention.wo.weight"] = normal(d, spec.n_heads * hd, std=d**-0.5)
        weights[p + "ffn_norm.weight"] = norm_weight()
        weights[p + "feed_forward.w1.weight"] = normal(spec.hidden_dim, d, std=d**-0.5)
        weights[p + "feed_forward.w3.weight"] = normal(spec.hidden_dim, d, std=d**-0.5)
        weights[p + "feed_forward.w2.weight"] = normal(d, spec.hidden_dim, std=spec.hidden_dim**-0.5)
    weights["norm.weight"] = norm_weight()
    if not spec.tie_word_embeddings:
        weights["output.weight"] = normal(spec.vocab_size, d, std=d**-0.5)
    return weights


def _special_ids(spec: TinyLlama) -> tuple[int, list[int]]:
    if spec.vocab_size == LLAMA3_VOCAB_SIZE:
        return BEGIN_OF_TEXT, [END_OF_TEXT, EOM_ID, EOT_ID]
    return 1, [2]


# -- Meta ---------------------------------------------------------------------------------


def write_meta_checkpoint(spec: TinyLlama, weights: dict[str, torch.Tensor], folder: Path) -> Path:
    """``consolidated.00.pth`` (bf16) + ``params.json`` (+ the Llama 3 ``tokenizer.model`` for its vocabulary)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.bfloat16() for k, v in weights.items()}, folder / "consolidated.00.pth")
    params = {
        "dim": spec.dim,
        "n_layers": spec.n_layers,
        "n_heads": spec.n_heads,
        "n_kv_heads": spec.n_kv_heads,
        "vocab_size": spec.vocab_size,
        "multiple_of": 64,
        "norm_eps": spec.norm_eps,
        "rope_theta": spec.rope_theta,
        "use_scaled_rope": spec.use_scaled_rope,
        "max_seq_len": spec.max_seq_len,
    }
    (folder / "params.json").write_text(json.dumps(params, indent=2))
    if spec.vocab_size == LLAMA3_VOCAB_SIZE:
        shutil.copy(llama3_tokenizer_model(), folder / "tokenizer.model")
    return folder


# -- Hugging Face -------------------------------------------------------------------------


def meta_to_hf_qk(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Hugging Face's ``convert_llama_weights_to_hf`` permutation: RoPE pairs (i, i+1) -> (i, i + d/2)."""
    rows, cols = weight.shape
    return weight.view(n_heads, rows // n_heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


def hf_state_dict(spec: TinyLlama, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    names = {
        "attention_norm": "input_layernorm",
        "attention.wq": "self_attn.q_proj",
        "attention.wk": "self_attn.k_proj",
        "attention.wv": "self_attn.v_proj",
        "attention.wo": "self_attn.o_proj",
        "ffn_norm": "post_attention_layernorm",
        "feed_forward.w1": "mlp.gate_proj",
        "feed_forward.w3": "mlp.up_proj",
        "feed_forward.w2": "mlp.down_proj",
    }
    out = {
        "model.embed_tokens.weight": weights["tok_embeddings.weight"],
        "model.norm.weight": weights["norm.weight"],
    }
    if not spec.tie_word_embeddings:
        out["lm_head.weight"] = weights["output.weight"]
    for i in range(spec.n_layers):
        for meta, hf in names.items():
            w = weights[f"layers.{i}.{meta}.weight"]
            if meta == "attention.wq":
                w = meta_to_hf_qk(w, spec.n_heads)
            elif meta == "attention.wk":
                w = meta_to_hf_qk(w, spec.n_kv_heads)
            out[f"model.layers.{i}.{hf}.weight"] = w
    return out


def hf_config(spec: TinyLlama) -> dict[str, object]:
    bos, eos = _special_ids(spec)
    config: dict[str, object] = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": spec.dim,
        "intermediate_size": spec.hidden_dim,
        "num_hidden_layers": spec.n_layers,
        "num_attention_heads": spec.n_heads,
        "num_key_value_heads": spec.n_kv_heads,
        "vocab_size": spec.vocab_size,
        "max_position_embeddings": spec.max_seq_len,
        "rms_norm_eps": spec.norm_eps,
        "rope_theta": spec.rope_theta,
        "rope_scaling": None,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": spec.tie_word_embeddings,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "torch_dtype": "bfloat16",
    }
    if spec.use_scaled_rope:
        config["rope_scaling"] = {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
        }
    return config


def write_hf_checkpoint(
    spec: TinyLlama, weights: dict[str, torch.Tensor], folder: Path, *, dtype: torch.dtype = torch.bfloat16
) -> Path:
    """``config.json`` (llama, rope_scaling llama3) + ``model.safetensors`` (``dtype``, bf16 by default) + tokenizer files.

    The Llama 3 vocabulary travels as ``original/tokenizer.model``, as in Meta's HF
    repositories; a small vocabulary as a word-level ``tokenizer.json`` (token i is ``<ti>``).
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(dtype).contiguous() for k, v in hf_state_dict(spec, weights).items()}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(hf_config(spec), indent=2))
    bos, eos = _special_ids(spec)
    (folder / "generation_config.json").write_text(json.dumps({"bos_token_id": bos, "eos_token_id": eos}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}))
    if spec.vocab_size == LLAMA3_VOCAB_SIZE:
        (folder / "original").mkdir(exist_ok=True)
        shutil.copy(llama3_tokenizer_model(), folder / "original" / "tokenizer.model")
    else:
        _word_level_tokenizer(spec.vocab_size).save(str(folder / "tokenizer.json"))
    return folder


def _word_level_tokenizer(vocab_size: int) -> Any:
    """A ``tokenizer.json`` for small test vocabularies: token ``i`` is the word ``<ti>``."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({f"<t{i}>": i for i in range(vocab_size)}, unk_token="<t0>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tokenizer


# -- GGUF -----------------------------------------------------------------------------------


def hf_to_gguf_qk(weight: np.ndarray, n_heads: int) -> np.ndarray:
    """llama.cpp's ``convert_hf_to_gguf`` permutation (``LlamaModel.permute``): halves back to adjacent pairs."""
    return (
        weight.reshape(n_heads, 2, weight.shape[0] // n_heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def llama3_rope_factors(spec: TinyLlama) -> np.ndarray:
    """The ``rope_freqs`` tensor llama.cpp writes for ``rope_type: llama3`` (per-frequency divisors)."""
    base, dim = spec.rope_theta, spec.head_dim
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    factor, low, high, old_len = 8.0, 1.0, 4.0, 8192
    low_wavelen, high_wavelen = old_len / low, old_len / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_len / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


def _llama3_token_strings() -> list[str]:
    # tiktoken ranks are raw bytes; GGUF (like tokenizer.json) spells them in GPT-2's byte-to-unicode alphabet
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    byte_to_char = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in byte_to_char:
            byte_to_char[b] = chr(256 + extra)
            extra += 1
    tokens = []
    for line in llama3_tokenizer_model().read_bytes().splitlines():
        if line.strip():
            token, _rank = line.split()
            tokens.append("".join(byte_to_char[b] for b in base64.b64decode(token)))
    named = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>",
        "<|step_id|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eom_id|>",
        "<|eot_id|>",
        "<|python_tag|>",
        "<|image|>",
    ]
    specials = named + [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(named))]
    return tokens + specials


def quantized_weights(weights: dict[str, torch.Tensor], quantization: str) -> dict[str, torch.Tensor]:
    """The weights a GGUF file written with ``quantization`` really holds: its layer matrices rounded-trip."""
    import gguf

    qtype = gguf.GGMLQuantizationType[quantization]
    out = dict(weights)
    for name, tensor in weights.items():
        if name.startswith("layers.") and tensor.ndim == 2:
            # blocks run along each row, so the Q/K row permutations commute with quantisation
            data = gguf.quants.quantize(tensor.numpy(), qtype)
            out[name] = torch.from_numpy(gguf.quants.dequantize(data, qtype).copy())
    return out


def write_gguf_checkpoint(
    spec: TinyLlama, weights: dict[str, torch.Tensor], path: Path, *, quantization: str | None = None
) -> Path:
    """A llama-architecture GGUF file converted from the HF state dict the way llama.cpp does.

    2-D tensors: attention F16, feed-forward BF16, embeddings F16 — or every
    layer matrix in ``quantization`` (a ``gguf.GGMLQuantizationType`` name such
    as ``Q4_0``, ``Q4_1``, ``Q5_0``, ``Q8_0``; see ``quantized_weights``); norms
    and ``rope_freqs`` F32. Tokenizer metadata: the Llama 3 token strings and
    types (``gpt2`` / ``llama-bpe``) without merges, bos/eos/eot/eom ids and a chat template.
    """
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    hf = {k: v.numpy() for k, v in hf_state_dict(spec, weights).items()}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-llama")
    writer.add_context_length(spec.max_seq_len)
    writer.add_embedding_length(spec.dim)
    writer.add_block_count(spec.n_layers)
    writer.add_feed_forward_length(spec.hidden_dim)
    writer.add_head_count(spec.n_heads)
    writer.add_head_count_kv(spec.n_kv_heads)
    writer.add_rope_freq_base(spec.rope_theta)
    writer.add_layer_norm_rms_eps(spec.norm_eps)
    writer.add_rope_dimension_count(spec.head_dim)
    writer.add_vocab_size(spec.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    bos, eos = _special_ids(spec)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("llama-bpe")
    if spec.vocab_size == LLAMA3_VOCAB_SIZE:
        tokens = _llama3_token_strings()
        types = [gguf.TokenType.NORMAL] * LLAMA3_BASE_TOKENS + [gguf.TokenType.CONTROL] * 256
    else:
        tokens = [f"<t{i}>" for i in range(spec.vocab_size)]
        types = [gguf.TokenType.NORMAL] * spec.vocab_size
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos[0])
    if len(eos) == 3:
        writer.add_eom_token_id(eos[1])
        writer.add_eot_token_id(eos[2])
    writer.add_chat_template(CHAT_TEMPLATE)

    def f16(a: np.ndarray) -> np.ndarray:
        return a.astype(np.float16)

    def add_matrix(name: str, a: np.ndarray, default: str) -> None:
        qtype = gguf.GGMLQuantizationType[quantization or default]
        if qtype == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(name, f16(a))
        else:
            writer.add_tensor(name, gguf.quants.quantize(a.astype(np.float32), qtype), raw_dtype=qtype)

    writer.add_tensor("token_embd.weight", f16(hf["model.embed_tokens.weight"]))
    writer.add_tensor("output_norm.weight", hf["model.norm.weight"].astype(np.float32))
    if not spec.tie_word_embeddings:
        writer.add_tensor("output.weight", f16(hf["lm_head.weight"]))
    if spec.use_scaled_rope:
        writer.add_tensor("rope_freqs.weight", llama3_rope_factors(spec))
    for i in range(spec.n_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        writer.add_tensor(b + "attn_norm.weight", hf[p + "input_layernorm.weight"].astype(np.float32))
        add_matrix(b + "attn_q.weight", hf_to_gguf_qk(hf[p + "self_attn.q_proj.weight"], spec.n_heads), "F16")
        add_matrix(
            b + "attn_k.weight", hf_to_gguf_qk(hf[p + "self_attn.k_proj.weight"], spec.n_kv_heads), "F16"
        )
        add_matrix(b + "attn_v.weight", hf[p + "self_attn.v_proj.weight"], "F16")
        add_matrix(b + "attn_output.weight", hf[p + "self_attn.o_proj.weight"], "F16")
        writer.add_tensor(b + "ffn_norm.weight", hf[p + "post_attention_layernorm.weight"].astype(np.float32))
        for part in ("gate", "up", "down"):
            add_matrix(f"{b}ffn_{part}.weight", hf[f"{p}mlp.{part}_proj.weight"], "BF16")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
