"""The Llama 3 tokenizer: Meta's tiktoken BPE (``tokenizer.model``) with its 256 special tokens."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import llama_models
from llama_models.llama3.tokenizer import Tokenizer as MetaLlama3Tokenizer

LLAMA3_TOKENIZER_PATH = Path(llama_models.__file__).parent / "llama3" / "tokenizer.model"
"""The ``tokenizer.model`` that llama-models ships (the same file every Llama 3.x checkpoint has)."""


class Llama3Tokenizer:
    """llama-models' ``Tokenizer`` behind the provider's interface.

    Special tokens (ids from 128,000 up) are only produced by ``encode`` when
    ``parse_special`` is set; chat formatting inserts them by id, so a user who
    types ``<|eot_id|>`` gets those characters, not an end of turn.
    """

    strip_leading_space = False

    def __init__(self, path: Path | None = None) -> None:
        self._meta = MetaLlama3Tokenizer(path or LLAMA3_TOKENIZER_PATH)
        self._special_by_id: dict[int, str] = {int(i): str(s) for s, i in self._meta.special_tokens.items()}
        self.vocab_size: int = self._meta.n_words
        self.bos_id: int | None = self._meta.bos_id
        self.num_base_tokens = self.vocab_size - len(self._special_by_id)

    @property
    def meta(self) -> MetaLlama3Tokenizer:
        """The wrapped llama-models tokenizer (for ``ChatFormat`` comparisons in tests)."""
        return self._meta

    def encode(self, text: str, *, add_bos: bool = False, parse_special: bool = False) -> list[int]:
        if parse_special:
            ids: list[int] = self._meta.encode(text, bos=False, eos=False, allowed_special="all")
            if add_bos and ids[:1] != [self._meta.bos_id]:
                ids.insert(0, self._meta.bos_id)
            return ids
        plain: list[int] = self._meta.encode(text, bos=add_bos, eos=False)
        return plain

    def decode(self, ids: Sequence[int], *, skip_special: bool = False) -> str:
        if skip_special:
            ids = [i for i in ids if i not in self._special_by_id]
        return str(self._meta.decode(list(ids)))

    def token_bytes(self, token_id: int) -> bytes:
        special: str | None = self._special_by_id.get(token_id)
        if special is not None:
            return special.encode()
        return bytes(self._meta.model.decode_single_token_bytes(token_id))

    def piece(self, token_id: int) -> str:
        return self.token_bytes(token_id).decode("utf-8", errors="replace")

    def is_special(self, token_id: int) -> bool:
        return token_id in self._special_by_id

    def special_id(self, text: str) -> int | None:
        found = self._meta.special_tokens.get(text)
        return int(found) if found is not None else None
