"""Uploaded file to text: detect the type from name, declared type and content, then read it per format."""

from __future__ import annotations

import codecs
import mimetypes
from pathlib import PurePosixPath

from ._common import (
    DEFAULT_MAX_CHARS,
    ExtractedText,
    ExtractionError,
    TextBudget,
    UnsupportedFileType,
    charset_param,
    clean_text,
    decode_text,
)
from ._html import extract_html
from ._pdf import extract_pdf
from ._structured import extract_csv, extract_json, extract_json_lines

__all__ = [
    "DEFAULT_MAX_CHARS",
    "SUPPORTED_MIME_TYPES",
    "ExtractedText",
    "ExtractionError",
    "UnsupportedFileType",
    "detect_mime_type",
    "extract_text",
]

TEXT, MARKDOWN, HTML = "text/plain", "text/markdown", "text/html"
JSON, JSONL, CSV, TSV, PDF = (
    "application/json",
    "application/x-ndjson",
    "text/csv",
    "text/tab-separated-values",
    "application/pdf",
)
SUPPORTED_MIME_TYPES: tuple[str, ...] = (TEXT, MARKDOWN, HTML, JSON, JSONL, CSV, TSV, PDF)
OCTET_STREAM = "application/octet-stream"

# Other names clients send for the supported types (Windows browsers send Excel's type for .csv).
_ALIASES = {
    "text/x-markdown": MARKDOWN,
    "application/xhtml+xml": HTML,
    "text/json": JSON,
    "application/x-json": JSON,
    "application/jsonl": JSONL,
    "application/jsonlines": JSONL,
    "application/x-jsonlines": JSONL,
    "application/x-jsonl": JSONL,
    "application/ndjson": JSONL,
    "application/csv": CSV,
    "text/x-csv": CSV,
    "text/comma-separated-values": CSV,
    "text/tsv": TSV,
    # Text formats without an extractor of their own are read as plain text, markup and all.
    "application/xml": TEXT,
    "application/javascript": TEXT,
    "application/x-javascript": TEXT,
    "application/x-yaml": TEXT,
    "application/yaml": TEXT,
    "application/toml": TEXT,
    "application/x-sh": TEXT,
    "application/sql": TEXT,
    "application/x-tex": TEXT,
}
# Types that say nothing about the content.
_GENERIC = frozenset(
    {"", OCTET_STREAM, "binary/octet-stream", "application/unknown", "application/binary", "*/*"}
)

_EXTENSIONS = {
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".mdx": MARKDOWN,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".json": JSON,
    ".jsonl": JSONL,
    ".ndjson": JSONL,
    ".csv": CSV,
    ".tsv": TSV,
    ".pdf": PDF,
    # Plain text, source code and configuration (OpenAI's file search accepts these as text too).
    **dict.fromkeys(
        (
            *(".txt", ".text", ".log", ".rst", ".adoc", ".org", ".tex", ".xml", ".yaml", ".yml", ".toml"),
            *(".ini", ".cfg", ".conf", ".env", ".properties", ".sql", ".css", ".scss", ".proto", ".graphql"),
            *(".py", ".pyi", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".vue", ".svelte", ".java", ".kt"),
            *(".scala", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".pl"),
            *(".swift", ".m", ".r", ".jl", ".lua", ".sh", ".bash", ".zsh", ".ps1", ".bat"),
        ),
        TEXT,
    ),
}
# Office formats are ZIP containers; a ZIP's magic number alone would call them application/zip.
_OFFICE_EXTENSIONS = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".epub": "application/epub+zip",
}
# Magic numbers of binary formats: content that starts with one of these is that format, whatever
# the name or declared type say.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .ppt
    (b"\x7fELF", "application/x-executable"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
)
_SNIFF_BYTES = 2048


def _normalize(content_type: str | None) -> str:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base.startswith("application/"):  # structured-syntax suffixes (RFC 6839): application/ld+json ...
        if base.endswith("+json"):
            return JSON
        if base.endswith("+xml") and base != "application/xhtml+xml":
            return TEXT
    return _ALIASES.get(base, base)


def _magic(data: bytes, suffix: str) -> str | None:
    head = data[:_SNIFF_BYTES]
    if head.lstrip()[:5] == b"%PDF-":
        return PDF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return _OFFICE_EXTENSIONS.get(suffix, mime) if mime == "application/zip" else mime
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A sample cut inside a multi-byte character is still text.
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _starts_like_html(head: bytes) -> bool:
    rest = head.lstrip()
    while rest.startswith(b"<!--"):  # a loop, not a regex: nested quantifiers over comments backtrack badly
        end = rest.find(b"-->")
        if end < 0:
            return False
        rest = rest[end + 3 :].lstrip()
    return rest[:14].lower().startswith((b"<!doctype html", b"<html", b"<head"))


def _sniff(data: bytes) -> str:
    head = data[:_SNIFF_BYTES]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TEXT  # UTF-16 (or UTF-32) text; decoding checks the rest
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"[") and data.rstrip()[-1:] in (b"}", b"]"):
        return JSON  # JSON Lines is recognised while reading: json.loads reports "Extra data"
    if _starts_like_html(head):
        return HTML
    return TEXT if _looks_like_text(head) else OCTET_STREAM


def detect_mime_type(filename: str, data: bytes, declared: str | None = None) -> str:
    """The type a file will be read as, or what it is when unsupported.

    Precedence: the magic number of a binary format (a PDF or PNG is one whatever it is called);
    then a specific declared type; then the extension (which also beats a declared ``text/plain``,
    the default of many clients); then sniffing the content (JSON, HTML, else text if it decodes).
    ``application/octet-stream`` and similar declared types count as no declaration.
    """
    return _detect(filename, data, declared)[0]


def _detect(filename: str, data: bytes, declared: str | None) -> tuple[str, bool]:
    """``detect_mime_type``, and whether the type was only guessed from the content's first bytes."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    magic = _magic(data, suffix)
    if magic is not None:
        return magic, False
    declared_type = _normalize(declared)
    if declared_type.startswith("text/") and declared_type not in SUPPORTED_MIME_TYPES:
        declared_type = TEXT  # text/x-python, text/css ...: any text/* subtype is readable as text
    by_extension = _EXTENSIONS.get(suffix) or _OFFICE_EXTENSIONS.get(suffix)
    if declared_type in SUPPORTED_MIME_TYPES and declared_type != TEXT:
        return declared_type, False
    if by_extension is not None:
        return by_extension, False
    if declared_type == TEXT:
        return TEXT, False
    if declared_type not in _GENERIC:
        return declared_type, False
    if suffix:
        guessed, _ = mimetypes.guess_type(f"file{suffix}", strict=False)
        if guessed is not None and not guessed.startswith("text/"):
            return _normalize(guessed), False
    return _sniff(data), True


def _markdown_title(text: str) -> str | None:
    """The first level-1 ATX heading outside fenced code, as a title."""
    in_fence = False
    for line in text.split("\n", 2000)[:2000]:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            return line[2:].strip().rstrip("#").strip() or None
    return None


def extract_text(
    data: bytes, *, filename: str, mime_type: str | None = None, max_chars: int = DEFAULT_MAX_CHARS
) -> ExtractedText:
    """Read an uploaded file as text; ``mime_type`` is the declared Content-Type, if any.

    Synchronous and CPU-bound: call it in a worker thread. Raises UnsupportedFileType for a type
    with no extractor and ExtractionError for a supported file that cannot be read or whose text
    would exceed ``max_chars``.
    """
    detected, sniffed = _detect(filename, data, mime_type)
    if detected not in SUPPORTED_MIME_TYPES:
        raise UnsupportedFileType(
            f"cannot extract text from {filename!r}: type {detected} is not supported "
            f"(supported: {', '.join(SUPPORTED_MIME_TYPES)}, and source code or other plain text)"
        )
    budget = TextBudget(max_chars)
    charset = charset_param(mime_type)
    metadata: dict[str, object]
    if detected == PDF:
        text, metadata = extract_pdf(data, budget)
    elif detected == HTML:
        text, html_metadata = extract_html(data, charset, budget)
        metadata = dict(html_metadata)
    else:
        text, encoding = decode_text(data, charset)
        metadata = {"encoding": encoding}
        if detected in (TEXT, MARKDOWN):
            budget.spend(len(text))
            if detected == MARKDOWN and (title := _markdown_title(text)):
                metadata["title"] = title
        elif detected == JSON:
            try:
                text, was_json_lines = extract_json(text, budget)
                detected = JSONL if was_json_lines else JSON
            except ExtractionError:
                if not sniffed or budget.used:  # spent: it parsed, and its rendering is over the limit
                    raise
                # Only its first and last bytes made it look like JSON: "[draft] ... [end]" is text.
                budget.spend(len(text))
                detected = TEXT
        elif detected == JSONL:
            text = extract_json_lines(text, budget)
        else:
            text, table_metadata = extract_csv(text, budget, delimiter="\t" if detected == TSV else None)
            metadata.update(table_metadata)
    return ExtractedText(text=clean_text(text), mime_type=detected, metadata=metadata)
