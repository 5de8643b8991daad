"""Token-window chunking with overlap (OpenAI's static strategy), ending chunks at natural boundaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._tokenizers import RegexTokenizer, TiktokenTokenizer, Tokenizer, default_tokenizer

__all__ = [
    "DEFAULT_CHUNK_OVERLAP_TOKENS",
    "DEFAULT_MAX_CHUNK_SIZE_TOKENS",
    "MAX_CHUNK_SIZE_TOKENS",
    "MIN_CHUNK_SIZE_TOKENS",
    "RegexTokenizer",
    "TextChunk",
    "TiktokenTokenizer",
    "Tokenizer",
    "chunk_text",
    "default_tokenizer",
    "validate_chunking",
]

# OpenAI's vector-store chunking_strategy: "auto" is static 800/400; static allows 100..4096 tokens with
# an overlap of at most half the chunk.
DEFAULT_MAX_CHUNK_SIZE_TOKENS = 800
DEFAULT_CHUNK_OVERLAP_TOKENS = 400
MIN_CHUNK_SIZE_TOKENS = 100
MAX_CHUNK_SIZE_TOKENS = 4096

# A chunk may end this much before its full size when that lands it on a paragraph or sentence end.
_BOUNDARY_WINDOW = 0.15
# How far a chunk edge may move to avoid cutting a multi-byte character (a UTF-8 character is at most
# 4 bytes, but byte-level BPE may spread it over tokens that also hold neighbouring bytes).
_MAX_CHAR_REALIGN_TOKENS = 8

_PARAGRAPH, _LINE, _SENTENCE, _WORD, _ANY = 4, 3, 2, 1, 0
_SENTENCE_ENDS = (b".", b"!", b"?", "。".encode(), "！".encode(), "？".encode(), "…".encode())
_CJK_SENTENCE_ENDS = _SENTENCE_ENDS[3:]
_CLOSERS = b"\"')]}\xe2\x80\x9d\xe2\x80\x99"  # quotes and brackets that may follow a sentence's full stop


@dataclass(frozen=True)
class TextChunk:
    """A window of the document's tokens."""

    text: str
    token_count: int
    start_token: int  # offset of the chunk's first token in the document
    index: int  # 0-based ordinal


def validate_chunking(
    max_chunk_size_tokens: int,
    chunk_overlap_tokens: int,
    *,
    min_chunk_size_tokens: int = MIN_CHUNK_SIZE_TOKENS,
) -> None:
    """Raise ValueError, with a message fit for a 400 response, unless the static settings are valid.

    ``min_chunk_size_tokens`` is OpenAI's floor (100) unless a caller with other rules lowers it
    (the RAG tool of llama-stack-client takes any ``chunk_size_in_tokens``).
    """
    for name, value in (
        ("max_chunk_size_tokens", max_chunk_size_tokens),
        ("chunk_overlap_tokens", chunk_overlap_tokens),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if not min_chunk_size_tokens <= max_chunk_size_tokens <= MAX_CHUNK_SIZE_TOKENS:
        raise ValueError(
            f"max_chunk_size_tokens must be between {min_chunk_size_tokens} and {MAX_CHUNK_SIZE_TOKENS}, "
            f"got {max_chunk_size_tokens}"
        )
    if chunk_overlap_tokens < 0:
        raise ValueError(f"chunk_overlap_tokens must not be negative, got {chunk_overlap_tokens}")
    if chunk_overlap_tokens > max_chunk_size_tokens // 2:
        raise ValueError(
            f"chunk_overlap_tokens must not exceed half of max_chunk_size_tokens "
            f"({max_chunk_size_tokens // 2}), got {chunk_overlap_tokens}"
        )


class _Pieces:
    """The bytes of each token; tells character-clean and natural chunk edges apart, and decodes windows."""

    def __init__(self, tokenizer: Tokenizer, tokens: list[int]) -> None:
        self._tokenizer = tokenizer
        self._tokens = tokens
        # Bytes of tokens[_base : _base + len(_buffer)]: a sliding window, so that each token is
        # converted once and memory stays proportional to a chunk, not to the document.
        self._base = 0
        self._buffer: list[bytes] = []
        self._token_bytes: Callable[[list[int]], list[bytes]] | None = None
        if isinstance(tokenizer, TiktokenTokenizer | RegexTokenizer):
            self._token_bytes = tokenizer.token_bytes
        self._exact = self._token_bytes is not None

    def _convert(self, tokens: list[int]) -> list[bytes]:
        if self._token_bytes is not None:
            return self._token_bytes(tokens)
        # A generic tokenizer only decodes to str: a token holding part of a character decodes to
        # U+FFFD (as tiktoken does) or is whole (word-level), which is all the checks below need.
        return [self._tokenizer.decode([token]).encode("utf-8", "surrogatepass") for token in tokens]

    def advance(self, start: int) -> None:
        """Forget tokens before ``start``: no later window edge looks back that far."""
        drop = start - self._base
        if drop > 0:
            del self._buffer[:drop]
            self._base = start

    def piece(self, i: int) -> bytes:
        loaded = self._base + len(self._buffer)
        if i >= loaded:
            # Load ahead to the end of a full window; windows only move forward.
            self._buffer.extend(
                self._convert(self._tokens[loaded : max(i + 1, loaded + MAX_CHUNK_SIZE_TOKENS)])
            )
        return self._buffer[i - self._base]

    def decode(self, start: int, end: int) -> str:
        if self._exact:
            self.piece(end - 1)
            return b"".join(self._buffer[start - self._base : end - self._base]).decode("utf-8", "replace")
        return self._tokenizer.decode(self._tokens[start:end])

    def starts_character(self, i: int) -> bool:
        """Whether a chunk edge before token ``i`` falls between two characters."""
        if i <= 0 or i >= len(self._tokens):
            return True
        piece = self.piece(i)
        if not piece:
            return True
        if self._exact:
            return not 0x80 <= piece[0] <= 0xBF  # UTF-8 continuation bytes never start a character
        return not piece.startswith("\ufffd".encode())

    def boundary_score(self, i: int) -> int:
        """How natural an edge before token ``i`` is: paragraph > line > sentence > word > anywhere."""
        before, after = self.piece(i - 1), self.piece(i)
        trimmed = before.rstrip(b" \t")
        if trimmed.endswith((b"\n\n", b"\r\n\r\n")) or (trimmed.endswith(b"\n") and after.startswith(b"\n")):
            return _PARAGRAPH
        if trimmed.endswith(b"\n"):
            return _LINE
        body = before.rstrip().rstrip(_CLOSERS)
        if body.endswith(_CJK_SENTENCE_ENDS):
            return _SENTENCE
        spaced = before[-1:].isspace() or after[:1].isspace()
        if body.endswith(_SENTENCE_ENDS) and spaced:
            return _SENTENCE
        return _WORD if spaced else _ANY


def _choose_end(pieces: _Pieces, start: int, end: int, max_size: int) -> int:
    """Pull ``end`` back to the most natural clean boundary in the last ~15% of the window."""
    lowest = max(start + 1, end - max(1, int(max_size * _BOUNDARY_WINDOW)))
    best, best_score = -1, -1
    for candidate in range(end, lowest - 1, -1):
        if not pieces.starts_character(candidate):
            continue
        score = pieces.boundary_score(candidate)
        if score > best_score:  # strict: among equals the latest (largest chunk) wins
            best, best_score = candidate, score
            if score == _PARAGRAPH:
                break
    if best >= 0:
        return best
    # No clean edge in the window (pathological byte soup): look a little further back, then give up.
    for candidate in range(lowest - 1, max(start, lowest - _MAX_CHAR_REALIGN_TOKENS) - 1, -1):
        if candidate > start and pieces.starts_character(candidate):
            return candidate
    return end


def _align_start(pieces: _Pieces, start: int, previous_start: int, previous_end: int) -> int:
    """Move an overlap start onto a character boundary: back first (more overlap), else forward."""
    for candidate in range(start, max(previous_start + 1, start - _MAX_CHAR_REALIGN_TOKENS) - 1, -1):
        if pieces.starts_character(candidate):
            return candidate
    for candidate in range(start + 1, min(previous_end, start + _MAX_CHAR_REALIGN_TOKENS) + 1):
        if pieces.starts_character(candidate):
            return candidate
    return start


def chunk_text(
    text: str,
    *,
    max_chunk_size_tokens: int = DEFAULT_MAX_CHUNK_SIZE_TOKENS,
    chunk_overlap_tokens: int = DEFAULT_CHUNK_OVERLAP_TOKENS,
    tokenizer: Tokenizer | None = None,
    min_chunk_size_tokens: int = MIN_CHUNK_SIZE_TOKENS,
) -> list[TextChunk]:
    """Split ``text`` into windows of at most ``max_chunk_size_tokens`` tokens that overlap by
    ``chunk_overlap_tokens``.

    A window that does not reach the end of the text ends at the most natural boundary (paragraph,
    line, sentence, word) within its last 15%, and no window edge cuts a multi-byte character, so
    chunks may be slightly shorter than the maximum and overlaps a few tokens longer. Windows that
    hold only whitespace are dropped. Raises ValueError for settings outside OpenAI's static bounds.
    """
    validate_chunking(
        max_chunk_size_tokens, chunk_overlap_tokens, min_chunk_size_tokens=min_chunk_size_tokens
    )
    if not text or text.isspace():
        return []
    tokenizer = tokenizer or default_tokenizer()
    tokens = tokenizer.encode(text)
    pieces = _Pieces(tokenizer, tokens)
    chunks: list[TextChunk] = []
    start, total = 0, len(tokens)
    while start < total:
        end = min(start + max_chunk_size_tokens, total)
        if end < total:
            end = _choose_end(pieces, start, end, max_chunk_size_tokens)
        chunk = pieces.decode(start, end)
        if chunk.strip():
            chunks.append(
                TextChunk(text=chunk, token_count=end - start, start_token=start, index=len(chunks))
            )
        if end >= total:
            break
        pieces.advance(start + 1)  # the next start, and any realignment of it, lies past this one
        # The chosen end lies in the window's last 15% and the overlap is at most half: this advances.
        start = _align_start(pieces, end - chunk_overlap_tokens, start, end) if chunk_overlap_tokens else end
    return chunks
