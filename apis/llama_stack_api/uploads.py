"""Bytes on the wire: files that arrive in multipart requests, and raw (non-JSON) responses.

A method parameter typed ``UploadFile`` makes its route take
``multipart/form-data``; a method returning ``BinaryContent`` answers with
the bytes themselves. The server spools an upload to a temporary file while
it streams in (never whole in memory) and hands the method this object; the
library client builds one from bytes or a path.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

_READ_SIZE = 1 << 20


class UploadFile:
    """An uploaded file: its name and type as the client sent them, and the bytes (spooled on disk)."""

    def __init__(self, path: Path, *, filename: str, content_type: str | None = None) -> None:
        self.path = path
        self.filename = filename
        self.content_type = content_type

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.is_instance_schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "binary"}

    @classmethod
    def from_bytes(cls, data: bytes, *, filename: str, content_type: str | None = None) -> UploadFile:
        """An upload held in a temporary file (removed by ``discard``)."""
        handle, name = tempfile.mkstemp(prefix="llama-stack-upload-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return cls(Path(name), filename=filename, content_type=content_type)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    async def chunks(self, size: int = _READ_SIZE) -> AsyncIterator[bytes]:
        """The content in pieces of at most ``size`` bytes, read off the event loop."""
        with self.path.open("rb") as source:
            while True:
                piece = await asyncio.to_thread(source.read, size)
                if not piece:
                    return
                yield piece

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def save_to(self, destination: Path) -> None:
        """Place the content at ``destination`` atomically: a reader sees the whole file or none.

        Copied to a temporary name beside ``destination``, synced, then renamed
        over it. Blocking: call it in a thread.
        """
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{destination.name}.partial")
        try:
            shutil.copyfile(self.path, partial)
            with partial.open("rb+") as synced:
                os.fsync(synced.fileno())
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the spooled bytes (the server does this after the request)."""
        self.path.unlink(missing_ok=True)


class BinaryContent(BaseModel):
    """A raw response body: the bytes, their media type, and a file name for ``Content-Disposition``."""

    model_config = ConfigDict(frozen=True)

    data: bytes
    media_type: str = "application/octet-stream"
    filename: str | None = None
