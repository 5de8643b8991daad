"""Streaming ``multipart/form-data``: file parts go to temporary files as they arrive, never whole in memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from llama_stack_api import InvalidRequestError
from llama_stack_api.uploads import UploadFile

from ..binding import nest_form_fields

# a plain form field is a short value (a purpose, an id, a number), never content
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 64


class _Collector:
    """python-multipart callbacks: headers of the current part, then its bytes to a field or a file."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.uploads: dict[str, UploadFile] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._field: bytearray | None = None
        self._file: IO[bytes] | None = None
        self._upload: UploadFile | None = None
        self._parts = 0

    def on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise InvalidRequestError(f"a form may have at most {MAX_PARTS} parts")
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise InvalidRequestError("a form part has no name (Content-Disposition: form-data; name=...)")
        self._name = name.decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self._field = bytearray()
            return
        handle, path = tempfile.mkstemp(prefix="llama-stack-upload-")
        self._file = os.fdopen(handle, "wb")
        content_type = self._headers.get(b"content-type", b"").decode("latin-1") or None
        self._upload = UploadFile(
            Path(path), filename=filename.decode("utf-8", "replace"), content_type=content_type
        )
        self.uploads[self._name] = self._upload

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                raise InvalidRequestError(f"form field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._field is not None:
            self.fields.append((self._name, self._field.decode("utf-8", "replace")))
            self._field = None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for upload in self.uploads.values():
            upload.discard()


async def read_multipart(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    """The form as arguments (nested ``a[b]`` names, uploads as ``UploadFile``) and the uploads to discard.

    The body is read in pieces and written out as it comes; the request's size
    limit is enforced by the body-limit middleware while it streams.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidRequestError(
            "this endpoint takes multipart/form-data (with a boundary), e.g. curl -F file=@doc.pdf",
            code="invalid_content_type",
        )
    collector = _Collector()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
        },
    )
    try:
        async for piece in request.stream():
            parser.write(piece)
        parser.finalize()
    except FormParserError as exc:
        collector.discard()
        raise InvalidRequestError(f"malformed multipart body: {exc}", code="invalid_multipart") from None
    except BaseException:
        collector.discard()
        raise
    arguments: dict[str, Any] = nest_form_fields(collector.fields)
    arguments.update(collector.uploads)
    return arguments, list(collector.uploads.values())
