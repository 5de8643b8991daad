"""Hugging Face checkpoints: ``config.json`` (Llama architecture) + ``*.safetensors`` (+ ``tokenizer.json``)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ._args import ModelArgs, RopeScaling
from ._checkpoint import LazyWeights, ParsedCheckpoint, TokenizerSpec
from ._errors import CheckpointError

_LAYER_NAMES = {
    "input_layernorm.weight": "attention_norm.weight",
    "self_attn.q_proj.weight": "attention.wq.weight",
    "self_attn.k_proj.weight": "attention.wk.weight",
    "self_attn.v_proj.weight": "attention.wv.weight",
    "self_attn.o_proj.weight": "attention.wo.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "feed_forward.w1.weight",
    "mlp.up_proj.weight": "feed_forward.w3.weight",
    "mlp.down_proj.weight": "feed_forward.w2.weight",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "tok_embeddings.weight",
    "model.norm.weight": "norm.weight",
    "lm_head.weight": "output.weight",
}


def is_hf_checkpoint(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(path, f"cannot read it: {exc}") from exc
    if not isinstance(data, dict):
        raise CheckpointError(path, "expected a JSON object")
    return data


def _canonical_name(hf_name: str) -> str | None:
    if hf_name in _TOP_NAMES:
        return _TOP_NAMES[hf_name]
    if hf_name.startswith("model.layers."):
        index, _, rest = hf_name.removeprefix("model.layers.").partition(".")
        if rest in _LAYER_NAMES:
            return f"layers.{index}.{_LAYER_NAMES[rest]}"
    return None


def _rope(
    config_file: Path, config: dict[str, Any]
) -> tuple[float, RopeScaling | None, tuple[float, ...] | None]:
    # transformers >= 5 writes `rope_parameters`; older configs `rope_theta` + `rope_scaling`
    params = dict(config.get("rope_parameters") or config.get("rope_scaling") or {})
    theta = float(params.get("rope_theta", config.get("rope_theta", 10000.0)))
    rope_type = params.get("rope_type", params.get("type", "default"))
    if rope_type == "default":
        return theta, None, None
    if rope_type == "llama3":
        scaling = RopeScaling(
            factor=float(params.get("factor", 8.0)),
            low_freq_factor=float(params.get("low_freq_factor", 1.0)),
            high_freq_factor=float(params.get("high_freq_factor", 4.0)),
            original_max_position_embeddings=int(params.get("original_max_position_embeddings", 8192)),
        )
        return theta, scaling, None
    if rope_type == "linear":
        head_dim = int(config["hidden_size"]) // int(config["num_attention_heads"])
        return theta, None, (float(params["factor"]),) * (head_dim // 2)
    raise CheckpointError(
        config_file, f"rope type {rope_type!r} is not supported; supported: default, llama3, linear"
    )


def _args(path: Path, config: dict[str, Any]) -> ModelArgs:
    config_file = path / "config.json"
    model_type = config.get("model_type")
    if model_type != "llama":
        raise CheckpointError(
            config_file,
            f"model_type {model_type!r} is not supported; only the Llama architecture ('llama') is",
        )
    for flag in ("attention_bias", "mlp_bias"):
        if config.get(flag):
            raise CheckpointError(config_file, f"{flag}=true is not supported (Llama has no biases)")
    if config.get("hidden_act", "silu") != "silu":
        raise CheckpointError(
            config_file, f"hidden_act {config['hidden_act']!r} is not supported; expected 'silu'"
        )
    try:
        dim = int(config["hidden_size"])
        n_heads = int(config["num_attention_heads"])
        head_dim = config.get("head_dim")
        if head_dim is not None and int(head_dim) != dim // n_heads:
            raise CheckpointError(
                config_file, f"head_dim {head_dim} != hidden_size / num_attention_heads is not supported"
            )
        theta, scaling, factors = _rope(config_file, config)
        return ModelArgs(
            dim=dim,
            n_layers=int(config["num_hidden_layers"]),
            n_heads=n_heads,
            n_kv_heads=int(config.get("num_key_value_heads") or n_heads),
            vocab_size=int(config["vocab_size"]),
            hidden_dim=int(config["intermediate_size"]),
            norm_eps=float(config.get("rms_norm_eps", 1e-6)),
            rope_theta=theta,
            rope_scaling=scaling,
            max_seq_len=int(config.get("max_position_embeddings", 2048)),
            tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
            rope_freq_factors=factors,
        )
    except KeyError as exc:
        raise CheckpointError(config_file, f"missing {exc.args[0]!r}") from exc
    except ValueError as exc:
        raise CheckpointError(config_file, str(exc)) from exc


def _weights(path: Path) -> LazyWeights:
    files = sorted(path.glob("*.safetensors"))
    tensors: dict[str, Callable[[], torch.Tensor]] = {}
    if files:
        from safetensors import safe_open

        for file in files:
            try:
                handle = safe_open(str(file), framework="pt", device="cpu")
            except Exception as exc:  # safetensors raises its own SafetensorError; re-raised typed
                raise CheckpointError(file, f"cannot open it: {exc}") from exc
            for hf_name in handle.keys():  # type: ignore[no-untyped-call]  # noqa: SIM118 - not iterable
                tensors[hf_name] = functools.partial(handle.get_tensor, hf_name)
    else:
        bins = sorted(path.glob("pytorch_model*.bin"))
        if not bins:
            raise CheckpointError(
                path, "has config.json but no *.safetensors or pytorch_model*.bin weight files"
            )
        for file in bins:
            try:
                state = torch.load(file, map_location="cpu", weights_only=True, mmap=True)
            except Exception as exc:  # as above: torch.load's error types vary by failure
                raise CheckpointError(file, f"cannot load it with torch.load: {exc}") from exc
            for hf_name in state:
                tensors[hf_name] = functools.partial(state.__getitem__, hf_name)
    sources = {name: hf_name for hf_name in tensors if (name := _canonical_name(hf_name)) is not None}
    return LazyWeights(sources, lambda hf_name, _canonical: tensors[hf_name]())


def _token_ids(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list) else [int(value)]


def _chat_template(path: Path, tokenizer_config: dict[str, Any]) -> str | None:
    jinja = path / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text()
    template = tokenizer_config.get("chat_template")
    if isinstance(template, list):  # [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default") or next(iter(named.values()), None)
    return template if isinstance(template, str) else None


def read_hf_checkpoint(path: Path) -> ParsedCheckpoint:
    config = _read_json(path / "config.json")
    args = _args(path, config)
    weights = _weights(path)  # a tied model's stray lm_head.weight is never read

    if (path / "tokenizer.json").is_file():
        tokenizer = TokenizerSpec(kind="hf-json", path=path / "tokenizer.json")
    elif (path / "original" / "tokenizer.model").is_file():
        tokenizer = TokenizerSpec(kind="llama3-tiktoken", path=path / "original" / "tokenizer.model")
    else:
        raise CheckpointError(path, "has no tokenizer.json (nor original/tokenizer.model)")
    tokenizer_config_file = path / "tokenizer_config.json"
    tokenizer_config = _read_json(tokenizer_config_file) if tokenizer_config_file.is_file() else {}
    generation_config_file = path / "generation_config.json"
    generation = _read_json(generation_config_file) if generation_config_file.is_file() else {}

    eos = _token_ids(generation.get("eos_token_id"))
    eos += [t for t in _token_ids(config.get("eos_token_id")) if t not in eos]
    bos = generation.get("bos_token_id", config.get("bos_token_id"))
    return ParsedCheckpoint(
        args=args,
        weights=weights,
        tokenizer=tokenizer,
        chat_template=_chat_template(path, tokenizer_config),
        bos_token_id=int(bos) if bos is not None else None,
        eos_token_ids=eos,
    )
