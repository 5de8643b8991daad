"""What loading a checkpoint yields: the model, its args, its tokenizer and chat template, its stop tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from ._args import ModelArgs
from ._model import LlamaModel


@dataclass
class TokenizerSpec:
    """Where a checkpoint's tokenizer lives; the provider builds the tokenizer from it.

    - ``llama3-tiktoken``: ``path`` is a Meta ``tokenizer.model`` (``None``: the
      Llama 3 one bundled with llama-models).
    - ``hf-json``: ``path`` is a ``tokenizer.json``.
    - ``gguf``: ``path`` is the ``.gguf`` file and ``gguf_metadata`` holds its
      ``tokenizer.*`` keys exactly as GGUF names them (``tokenizer.ggml.tokens``,
      ``tokenizer.ggml.merges``, ``tokenizer.ggml.token_type``,
      ``tokenizer.ggml.model``, ``tokenizer.ggml.pre``, ``tokenizer.ggml.*_token_id``,
      ``tokenizer.chat_template``, ...), values as Python str/int/float/bool/lists.
    """

    kind: Literal["llama3-tiktoken", "hf-json", "gguf"]
    path: Path | None = None
    gguf_metadata: dict[str, Any] | None = None


@dataclass
class LoadedCheckpoint:
    """A model ready to run, and what a provider needs to talk to it.

    ``eos_token_ids`` are every token that ends a reply (Llama 3: end_of_text,
    eom, eot); ``chat_template`` is the checkpoint's Jinja template if it ships one.
    """

    model: LlamaModel
    args: ModelArgs
    tokenizer: TokenizerSpec
    chat_template: str | None
    bos_token_id: int | None
    eos_token_ids: list[int]
    source_format: Literal["meta", "hf", "gguf"]
    path: Path


class LazyWeights(Mapping[str, torch.Tensor]):
    """Canonical name -> tensor, each produced on first (and only) access: memory stays near one model copy."""

    def __init__(self, sources: dict[str, str], load: Callable[[str, str], torch.Tensor]) -> None:
        """``sources``: canonical name -> the name in the file; ``load(source, canonical)`` reads one."""
        self._sources = sources
        self._load = load

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._load(self._sources[name], name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


@dataclass
class ParsedCheckpoint:
    """What a format reader hands the loader: args, lazily readable canonical weights, tokenizer facts."""

    args: ModelArgs
    weights: Mapping[str, torch.Tensor]
    tokenizer: TokenizerSpec
    chat_template: str | None
    bos_token_id: int | None
    eos_token_ids: list[int] = field(default_factory=list)


def interleaved_to_half_split(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Reorder Q or K rows from RoPE on adjacent pairs (Meta, GGUF) to RoPE on split halves (HF, the engine).

    This is the permutation Hugging Face's Llama converter applies, and the
    inverse of the one llama.cpp's converter applies to HF weights.
    """
    rows, cols = weight.shape
    head_dim = rows // n_heads
    return weight.reshape(n_heads, head_dim // 2, 2, cols).transpose(1, 2).reshape(rows, cols)
