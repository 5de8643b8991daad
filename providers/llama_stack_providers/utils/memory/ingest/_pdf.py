"""PDF text with pypdf: each page's text, pages joined by blank lines; page count and title in metadata."""

from __future__ import annotations

import io
import logging
from typing import Any

from ._common import ExtractionError, TextBudget

logger = logging.getLogger(__name__)

try:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, DeprecationError, PyPdfError
except ImportError:  # extraction of other formats must still work without pypdf
    PdfReader = None  # type: ignore[assignment,misc]

# pypdf raises its own errors for most broken files, but not for all: fuzzing pypdf 7 with mutated PDFs
# also raised these from its parser, filters and RC4 fallback (e.g. TypeError in xref recovery,
# NotImplementedError for an unknown /Filter, ZeroDivisionError for a zero-length key). DeprecationError
# is what it raises for filter abbreviations it dropped, and DependencyError for a filter or cipher
# whose optional package (brotli, jbig2dec, cryptography) is missing. LookupError and ArithmeticError
# cover KeyError/IndexError and ZeroDivisionError/OverflowError.
_BROKEN_PDF: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    NotImplementedError,
    RecursionError,
)
if PdfReader is not None:
    _BROKEN_PDF = (PyPdfError, DeprecationError, DependencyError, *_BROKEN_PDF)


def _open(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        # Many PDFs are encrypted only to restrict printing or copying, with an empty user password.
        try:
            decrypted = reader.decrypt("")
        except DependencyError as exc:
            raise ExtractionError(
                "the PDF is encrypted with AES, which needs the 'cryptography' package to read"
            ) from exc
        if decrypted == PasswordType.NOT_DECRYPTED:
            raise ExtractionError("the PDF is password-protected")
    return reader


def _title(reader: PdfReader) -> str | None:
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except _BROKEN_PDF:  # a broken /Info dictionary should not cost the text
        return None
    if not title:
        return None
    return " ".join(str(title).split()) or None


def extract_pdf(data: bytes, budget: TextBudget) -> tuple[str, dict[str, Any]]:
    """Text of every page that yields some, and ``pages`` (plus ``title``, ``failed_pages``) metadata."""
    if PdfReader is None:
        raise ExtractionError("reading PDF needs the 'pypdf' package, which is not installed")
    try:
        reader = _open(data)
        page_count = len(reader.pages)
    except ExtractionError:
        raise
    except _BROKEN_PDF as exc:
        raise ExtractionError(f"cannot read the PDF: {exc or type(exc).__name__}") from exc
    texts: list[str] = []
    failed: list[int] = []
    first_error: BaseException | None = None
    for number in range(page_count):
        try:
            text = reader.pages[number].extract_text()
        except _BROKEN_PDF as exc:
            # One bad content stream should not lose the other pages; the count says something is missing.
            logger.debug("page %d of a PDF has no readable text: %r", number + 1, exc)
            failed.append(number + 1)
            first_error = first_error or exc
            continue
        text = text.strip()
        if text:
            budget.spend(len(text) + 2)
            texts.append(text)
    if failed and len(failed) == page_count:
        raise ExtractionError(f"cannot read any page of the PDF: {first_error or 'unknown error'}")
    metadata: dict[str, Any] = {"pages": page_count}
    title = _title(reader)
    if title:
        metadata["title"] = title
    if failed:
        metadata["failed_pages"] = failed
    return "\n\n".join(texts), metadata
