"""Tokenizers for chunking: the Llama 3 BPE via tiktoken when available, else a regex word tokenizer."""

from __future__ import annotations

import base64
import functools
import importlib.util
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import tiktoken

logger = logging.getLogger(__name__)


class Tokenizer(Protocol):
    """What the chunker needs: text to token ids and back."""

    def encode(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


# Copied from llama_models.llama3.tokenizer.Tokenizer.pat_str (llama-models 0.3.0): the split pattern
# must match the one the ranks were trained with, or token counts drift from the model's.
_LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_LLAMA3_NUM_RESERVED_SPECIAL_TOKENS = 256
_LLAMA3_SPECIAL_TOKENS = (
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
)

# tiktoken's regex stack-overflows (a Rust panic, not an exception) on very long whitespace runs, and
# BPE cost grows super-linearly with the length of one pre-token, so long runs are cut first.
# The limits are llama_models' own, so that counts match its tokenizer on such text too.
_MAX_RUN_CHARS = 25_000
_MAX_SEGMENT_CHARS = 400_000
# The lookbehinds anchor each match at the start of a run, so the scan stays linear.
_LONG_RUN = re.compile(rf"(?<!\s)\s{{{_MAX_RUN_CHARS + 1},}}|(?<!\S)\S{{{_MAX_RUN_CHARS + 1},}}")


def _safe_segments(text: str) -> list[str]:
    """Cut ``text`` so that no run of (non-)whitespace and no segment is too long for tiktoken."""
    cuts: list[int] = []
    for match in _LONG_RUN.finditer(text):
        cuts.extend(range(match.start() + _MAX_RUN_CHARS, match.end(), _MAX_RUN_CHARS))
    segments: list[str] = []
    pos = 0
    for cut in [*cuts, len(text)]:
        while cut - pos > _MAX_SEGMENT_CHARS:
            # Cut just before a space so that the words on both sides tokenize as they would whole.
            split = text.rfind(" ", pos + _MAX_SEGMENT_CHARS // 2, pos + _MAX_SEGMENT_CHARS)
            if split <= pos:
                split = pos + _MAX_SEGMENT_CHARS
            segments.append(text[pos:split])
            pos = split
        if cut > pos:
            segments.append(text[pos:cut])
            pos = cut
    return segments


class TiktokenTokenizer:
    """A ``tiktoken.Encoding`` with ordinary encoding (special-token text is plain text) and safe splitting."""

    def __init__(self, encoding: tiktoken.Encoding, name: str) -> None:
        self.encoding = encoding
        self.name = name

    def encode(self, text: str) -> list[int]:
        if len(text) <= _MAX_RUN_CHARS:
            return self.encoding.encode_ordinary(text)
        # Not encode_ordinary_batch: it starts a thread pool per call, and callers already run us in one.
        tokens: list[int] = []
        for segment in _safe_segments(text):
            tokens.extend(self.encoding.encode_ordinary(segment))
        return tokens

    def decode(self, tokens: list[int]) -> str:
        return self.encoding.decode(tokens)

    def token_bytes(self, tokens: list[int]) -> list[bytes]:
        """The raw bytes of each token: a token may hold part of a multi-byte UTF-8 character."""
        return self.encoding.decode_tokens_bytes(tokens)


# Pre-tokens of roughly BPE size: a short ASCII word with its leading space, up to 3 digits, one
# non-ASCII letter (CJK is about one BPE token per character), a few symbols, newline or blank runs.
# The final ``(?s:.)`` guarantees that every character is covered, so decode(encode(t)) == t.
_WORD_PIECES = re.compile(
    r" ?[A-Za-z]{1,12}| ?[0-9]{1,3}| ?[^\W\d_]|\d| ?[^\w\s]{1,4}|_{1,4}|\n{1,8}|[^\S\n]{1,16}|(?s:.)"
)


class RegexTokenizer:
    """Fallback when tiktoken or the Llama 3 BPE file is not installed: stateless word/punctuation pieces.

    A token id is the piece's UTF-8 bytes read as one integer (after a 0x01 marker byte that keeps
    leading zero bytes), so any id decodes without a vocabulary and the tokenizer holds no state.
    Counts approximate a BPE tokenizer's on English (one per short word or punctuation run) and
    overestimate on accented text, which only makes chunks smaller.
    """

    name = "regex"

    def encode(self, text: str) -> list[int]:
        return [
            int.from_bytes(b"\x01" + piece.encode("utf-8", "surrogatepass"), "big")
            for piece in _WORD_PIECES.findall(text)
        ]

    def decode(self, tokens: list[int]) -> str:
        return b"".join(self.token_bytes(tokens)).decode("utf-8", "replace")

    def token_bytes(self, tokens: list[int]) -> list[bytes]:
        """The UTF-8 bytes of each token (always whole characters)."""
        return [token.to_bytes((token.bit_length() + 7) // 8, "big")[1:] for token in tokens]


def _llama3_model_path() -> Path | None:
    """Where llama-models keeps the Llama 3 BPE ranks, found without importing the package (or torch)."""
    try:
        spec = importlib.util.find_spec("llama_models")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "llama3" / "tokenizer.model"
        if path.is_file():
            return path
    return None


def _load_llama3_tokenizer() -> TiktokenTokenizer | None:
    """Build the Llama 3 encoding as ``llama_models.llama3.tokenizer`` does, or None if it is unavailable."""
    path = _llama3_model_path()
    if path is None:
        return None
    try:
        import tiktoken
    except ImportError:
        return None
    ranks: dict[bytes, int] = {}
    try:
        for line in path.read_bytes().splitlines():
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    except (OSError, ValueError) as exc:  # binascii.Error is a ValueError
        logger.warning(
            "cannot read the Llama 3 tokenizer at %s (%s); chunking with a regex tokenizer", path, exc
        )
        return None
    reserved = [
        f"<|reserved_special_token_{2 + i}|>"
        for i in range(_LLAMA3_NUM_RESERVED_SPECIAL_TOKENS - len(_LLAMA3_SPECIAL_TOKENS))
    ]
    special = {token: len(ranks) + i for i, token in enumerate([*_LLAMA3_SPECIAL_TOKENS, *reserved])}
    encoding = tiktoken.Encoding(
        name="llama3", pat_str=_LLAMA3_PATTERN, mergeable_ranks=ranks, special_tokens=special
    )
    return TiktokenTokenizer(encoding, name="llama3")


_BUILD_LOCK = threading.Lock()


def default_tokenizer() -> Tokenizer:
    """The Llama 3 tokenizer when ``tiktoken`` and ``llama-models`` are installed, else ``RegexTokenizer``.

    Built once per process: loading the 128k BPE ranks takes a few hundred milliseconds, and a
    file batch parses on several threads at once, which must not each build their own.
    """
    with _BUILD_LOCK:
        return _build_default_tokenizer()


@functools.cache
def _build_default_tokenizer() -> Tokenizer:
    tokenizer = _load_llama3_tokenizer()
    if tokenizer is not None:
        return tokenizer
    logger.info("tiktoken or llama-models is not installed: chunk sizes are counted with a regex tokenizer")
    return RegexTokenizer()


# tests swap the environment (no llama-models) and rebuild the tokenizer
default_tokenizer.cache_clear = _build_default_tokenizer.cache_clear  # type: ignore[attr-defined]
