"""The one small interface every tokenizer of the meta-reference provider implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Tokenizer(Protocol):
    """Text <-> token ids for one checkpoint, plus what streaming and logprobs need per token.

    ``token_bytes`` is the exact byte string a token stands for (a byte-level BPE
    piece mapped back to bytes, a ``<0xNN>`` byte-fallback piece as one byte, a
    special token as its UTF-8 text), so a detokenizer can join tokens without
    ever cutting a UTF-8 character in half.
    """

    vocab_size: int
    bos_id: int | None
    # SentencePiece-style vocabularies spell a leading space into the first piece ("▁Hello");
    # decoding a whole sequence drops it, so incremental decoding must too
    strip_leading_space: bool

    def encode(self, text: str, *, add_bos: bool = False, parse_special: bool = False) -> list[int]:
        """Token ids of ``text``; ``parse_special`` turns text like ``<|eot_id|>`` into that special token
        (otherwise it is encoded as ordinary characters)."""
        ...

    def decode(self, ids: Sequence[int], *, skip_special: bool = False) -> str:
        """The text of ``ids``; invalid UTF-8 becomes U+FFFD."""
        ...

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes ``token_id`` stands for."""
        ...

    def piece(self, token_id: int) -> str:
        """The vocabulary entry of ``token_id`` as stored (e.g. ``Ġthe``, ``▁the``, ``<|eot_id|>``)."""
        ...

    def is_special(self, token_id: int) -> bool:
        """Whether ``token_id`` is a control token (never shown as generated text)."""
        ...

    def special_id(self, text: str) -> int | None:
        """The id of the special token spelled ``text``, or ``None`` when the vocabulary has none."""
        ...


def token_text(tokenizer: Tokenizer, token_id: int) -> str:
    """A token's text for logprobs: its bytes decoded, with U+FFFD for a partial character."""
    return tokenizer.token_bytes(token_id).decode("utf-8", errors="replace")
