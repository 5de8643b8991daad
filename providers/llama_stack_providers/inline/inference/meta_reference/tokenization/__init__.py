"""Tokenizers of the meta-reference provider: Llama 3 (tiktoken), HF ``tokenizer.json``, GGUF vocabularies."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ._base import Tokenizer, token_text
from ._gguf import PRE_TOKENIZERS, gguf_tokenizer, read_gguf_tokenizer_metadata
from ._hf import HFTokenizer
from ._llama3 import LLAMA3_TOKENIZER_PATH, Llama3Tokenizer

__all__ = [
    "LLAMA3_TOKENIZER_PATH",
    "PRE_TOKENIZERS",
    "HFTokenizer",
    "Llama3Tokenizer",
    "Tokenizer",
    "TokenizerSource",
    "build_tokenizer",
    "gguf_tokenizer",
    "read_gguf_tokenizer_metadata",
    "token_text",
]


class TokenizerSource(Protocol):
    """What the engine's ``TokenizerSpec`` says about a checkpoint's tokenizer."""

    @property
    def kind(self) -> str: ...

    @property
    def path(self) -> Path | None: ...

    @property
    def gguf_metadata(self) -> dict[str, Any] | None: ...


def build_tokenizer(source: TokenizerSource, *, bos_id: int | None = None) -> Tokenizer:
    """The tokenizer a checkpoint declares: ``llama3-tiktoken``, ``hf-json`` or ``gguf``.

    Raises ``ValueError`` for an unknown kind or a vocabulary we cannot rebuild.
    """
    if source.kind == "llama3-tiktoken":
        return Llama3Tokenizer(Path(source.path) if source.path else None)
    if source.kind == "hf-json":
        if source.path is None:
            raise ValueError("an hf-json tokenizer needs the path of its tokenizer.json")
        return HFTokenizer.from_file(Path(source.path), bos_id=bos_id)
    if source.kind == "gguf":
        metadata = source.gguf_metadata
        if metadata is None:
            if source.path is None:
                raise ValueError("a gguf tokenizer needs the GGUF metadata or the file's path")
            metadata = read_gguf_tokenizer_metadata(Path(source.path))
        tokenizer = gguf_tokenizer(metadata)
        if bos_id is not None:
            tokenizer.bos_id = bos_id
        return tokenizer
    raise ValueError(f"unknown tokenizer kind {source.kind!r}; expected llama3-tiktoken, hf-json or gguf")
