"""Turning files into text chunks: extraction per format, token-aware chunking."""

from __future__ import annotations

from .chunking import TextChunk, Tokenizer, chunk_text, default_tokenizer, validate_chunking
from .extract import (
    SUPPORTED_MIME_TYPES,
    ExtractedText,
    ExtractionError,
    UnsupportedFileType,
    detect_mime_type,
    extract_text,
)

__all__ = [
    "SUPPORTED_MIME_TYPES",
    "ExtractedText",
    "ExtractionError",
    "TextChunk",
    "Tokenizer",
    "UnsupportedFileType",
    "chunk_text",
    "default_tokenizer",
    "detect_mime_type",
    "extract_text",
    "validate_chunking",
]
