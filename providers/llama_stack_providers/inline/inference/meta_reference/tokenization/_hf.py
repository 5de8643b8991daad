"""Tokenizers built with the ``tokenizers`` library: an HF ``tokenizer.json``, or one rebuilt from a GGUF vocab."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer as HFBackend

_BYTE_FALLBACK = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


@lru_cache(maxsize=1)
def byte_level_decoder() -> dict[str, int]:
    """GPT-2's printable-character alphabet for bytes, inverted: ``"Ġ"`` -> 0x20 and so on."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class HFTokenizer:
    """A ``tokenizers.Tokenizer`` behind the provider's interface.

    BOS is never added by the backend's post-processor (``add_special_tokens``
    is always off); ``encode(add_bos=True)`` prepends ``bos_id`` itself, so
    every vocabulary behaves alike whatever its ``tokenizer.json`` says.
    """

    def __init__(self, backend: HFBackend, *, bos_id: int | None = None) -> None:
        self._backend = backend
        # encoding user text without turning "<|im_end|>" into the control token needs the
        # backend's `encode_special_tokens` switch; a second instance keeps it thread-safe
        self._literal_backend: HFBackend | None = None
        self._literal_lock = threading.Lock()
        self.vocab_size: int = backend.get_vocab_size(with_added_tokens=True)
        self.bos_id: int | None = bos_id
        added = backend.get_added_tokens_decoder()
        self._special: dict[int, str] = {i: t.content for i, t in added.items() if t.special}
        self._added: dict[int, str] = {i: t.content for i, t in added.items()}
        self._special_ids: dict[str, int] = {c: i for i, c in self._special.items()}
        spec = json.loads(backend.to_str())
        model = spec.get("model") or {}
        self._byte_fallback = bool(model.get("byte_fallback"))
        decoder_types = _decoder_types(spec.get("decoder"))
        self._byte_level = "ByteLevel" in decoder_types
        self.strip_leading_space: bool = _strips_leading_space(spec.get("decoder"))
        self._bytes_cache: dict[int, bytes] = {}

    @classmethod
    def from_file(cls, path: Path, *, bos_id: int | None = None) -> HFTokenizer:
        return cls(HFBackend.from_file(str(path)), bos_id=bos_id)

    @property
    def backend(self) -> HFBackend:
        return self._backend

    def encode(self, text: str, *, add_bos: bool = False, parse_special: bool = False) -> list[int]:
        backend = self._backend if parse_special else self._literal()
        ids: list[int] = backend.encode(text, add_special_tokens=False).ids
        if add_bos and self.bos_id is not None and ids[:1] != [self.bos_id]:
            ids.insert(0, self.bos_id)
        return ids

    def _literal(self) -> HFBackend:
        with self._literal_lock:
            if self._literal_backend is None:
                literal = HFBackend.from_str(self._backend.to_str())
                literal.encode_special_tokens = True
                self._literal_backend = literal
            return self._literal_backend

    def decode(self, ids: Sequence[int], *, skip_special: bool = False) -> str:
        return str(self._backend.decode(list(ids), skip_special_tokens=skip_special))

    def token_bytes(self, token_id: int) -> bytes:
        cached = self._bytes_cache.get(token_id)
        if cached is None:
            cached = self._bytes_cache[token_id] = self._compute_bytes(token_id)
        return cached

    def _compute_bytes(self, token_id: int) -> bytes:
        added = self._added.get(token_id)
        if added is not None:
            return added.encode()
        piece = self.piece(token_id)
        if self._byte_fallback:
            match = _BYTE_FALLBACK.match(piece)
            if match:
                return bytes([int(match.group(1), 16)])
        if self._byte_level:
            table = byte_level_decoder()
            if all(ch in table for ch in piece):
                return bytes(table[ch] for ch in piece)
        return piece.replace("▁", " ").encode()

    def piece(self, token_id: int) -> str:
        piece = self._backend.id_to_token(token_id)
        if piece is None:
            raise IndexError(f"token id {token_id} is outside the vocabulary (size {self.vocab_size})")
        return str(piece)

    def is_special(self, token_id: int) -> bool:
        return token_id in self._special

    def special_id(self, text: str) -> int | None:
        return self._special_ids.get(text)


def _decoder_types(decoder: dict[str, Any] | None) -> list[str]:
    if not decoder:
        return []
    if decoder.get("type") == "Sequence":
        return [t for d in decoder.get("decoders", []) for t in _decoder_types(d)]
    return [str(decoder.get("type"))]


def _strips_leading_space(decoder: dict[str, Any] | None) -> bool:
    """Whether the decoder drops the space a SentencePiece vocab puts before the first word."""
    if not decoder:
        return False
    if decoder.get("type") == "Sequence":
        return any(_strips_leading_space(d) for d in decoder.get("decoders", []))
    if decoder.get("type") == "Strip":
        return decoder.get("content") == " " and int(decoder.get("start", 0)) > 0
    if decoder.get("type") == "Metaspace":
        return decoder.get("prepend_scheme", "always") in ("always", "first") or bool(
            decoder.get("add_prefix_space")
        )
    return False
