"""What every extractor shares: the result and error types, an output budget, and bytes-to-text decoding."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any


class UnsupportedFileType(ValueError):
    """The file's type has no extractor (images, archives, office documents ...)."""


class ExtractionError(ValueError):
    """The file's type is supported but its content cannot be read (corrupt, encrypted, badly encoded)."""


@dataclass(frozen=True)
class ExtractedText:
    """The text of a file, the type it was read as, and what extraction learned (pages, title, encoding)."""

    text: str
    mime_type: str
    metadata: dict[str, Any] = field(default_factory=dict)


# OpenAI's file search takes at most 5M tokens per file; at ~4 characters a token this is that, with
# headroom. It also bounds what a small but expanding input (PDF streams, deep JSON paths) can cost.
DEFAULT_MAX_CHARS = 20_000_000


class TextBudget:
    """Counts output characters and stops extraction, rather than truncating silently, past the limit."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.max_chars:
            raise ExtractionError(f"the extracted text exceeds the limit of {self.max_chars:,} characters")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Windows-1252 is accepted for text that is not UTF-8 only when its non-ASCII bytes are mostly single
# (an accented letter between ASCII ones); legacy CJK and Cyrillic encodings put them in runs, and
# would decode to silent mojibake.
_MAX_CLUSTERED_HIGH_BYTES = 0.5
_HIGH_BYTE_RUNS = re.compile(rb"[\x80-\xff]{2,}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")


def charset_param(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type value, if it names a codec Python knows."""
    if not content_type:
        return None
    match = re.search(r";\s*charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 written without a BOM shows as a NUL in every other byte of ASCII-heavy text."""
    if len(data) < 4 or len(data) % 2:
        return None
    for codec, zeros in (("utf-16-le", data[1::2]), ("utf-16-be", data[::2])):
        if zeros.count(0) >= 0.9 * len(zeros):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def decode_text(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Decode a text file: a BOM wins, then UTF-8, then the declared ``charset``, then (sparingly) Windows-1252.

    UTF-8 goes before a declared charset because mislabelled UTF-8 (a stale ``<meta charset>``) is common,
    while legacy text that happens to be valid UTF-8 is vanishingly rare. Returns the text, newlines
    normalised to ``\n``, and the codec used. Raises ExtractionError for binary data (NUL bytes) and for
    text in no encoding we can tell apart from mojibake.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return normalize_newlines(data[len(bom) :].decode(codec)), codec
            except UnicodeDecodeError as exc:
                raise ExtractionError(
                    f"the file starts with a {codec} byte-order mark but is not {codec}: {exc}"
                ) from exc
    candidates = ["utf-8"]
    if charset and charset != "utf-8":
        # UTF-16/32 text is full of NUL bytes, so a declared wide encoding has to be tried first.
        wide = charset.startswith(("utf-16", "utf-32"))
        candidates.insert(0 if wide else 1, charset)
    if b"\x00" in data and not candidates[0].startswith(("utf-16", "utf-32")):
        text = _utf16_without_bom(data)
        if text is None:
            raise ExtractionError("the file contains NUL bytes: binary data, not text")
        return normalize_newlines(text), "utf-16"
    first_error: UnicodeDecodeError | None = None
    for codec in candidates:
        try:
            return normalize_newlines(data.decode(codec)), codec
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    clustered = sum(match.end() - match.start() for match in _HIGH_BYTE_RUNS.finditer(data))
    if clustered <= _MAX_CLUSTERED_HIGH_BYTES * high:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            if not _CONTROL_CHARS.search(text):
                return normalize_newlines(text), "cp1252"
    assert first_error is not None
    raise ExtractionError(
        f"the text is not valid {first_error.encoding.upper()} (byte 0x{data[first_error.start]:02x} at offset "
        f"{first_error.start}) and does not look like Windows-1252 either; re-save it as UTF-8"
    )


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def clean_text(text: str) -> str:
    """Drop what text columns and tokenizers reject: NULs (PostgreSQL) and lone surrogates (UTF-8)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _LONE_SURROGATES.sub("\ufffd", text)
