"""``inline::localfs``: file contents in a folder, their records in the distribution's kv store.

Contents are stored under the file's id (never under a client-given name, so
``../../etc/passwd`` is just a display name). An upload is written to a
temporary name and renamed into place, then its record is written: a file is
listed only once its content is whole. After a crash, startup removes content
without a record and records without content.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from llama_stack_api import (
    InvalidRequestError,
    KeyValueStore,
    NotFoundError,
    PayloadTooLargeError,
    ProviderContext,
)
from llama_stack_api.files import (
    ExpiresAfter,
    ListOpenAIFileResponse,
    OpenAIFileDeleteResponse,
    OpenAIFileObject,
    OpenAIFilePurpose,
)
from llama_stack_api.uploads import BinaryContent, UploadFile

from .config import LocalFSFilesConfig

logger = logging.getLogger(__name__)

_RECORD = "file:"
MAX_LIST_LIMIT = 10_000
MAX_FILENAME_CHARS = 255


class LocalFSFiles:
    """Implements ``Files``."""

    def __init__(self, config: LocalFSFilesConfig, context: ProviderContext) -> None:
        self.config = config
        self.provider_id = context.provider_id
        self.directory = Path(config.storage_dir) if config.storage_dir else context.state_dir / "files"
        self.records: KeyValueStore = context.kvstore
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
        await self._reconcile()

    async def shutdown(self) -> None:
        return None

    # --- the API -----------------------------------------------------------------------------

    async def openai_upload_file(
        self, file: UploadFile, purpose: OpenAIFilePurpose, expires_after: ExpiresAfter | None = None
    ) -> OpenAIFileObject:
        size = await asyncio.to_thread(lambda: file.size)
        if self.config.max_file_bytes is not None and size > self.config.max_file_bytes:
            raise PayloadTooLargeError(
                f"file is {size} bytes; this files provider accepts at most {self.config.max_file_bytes}",
                code="file_too_large",
            )
        file_id = f"file-{uuid.uuid4().hex}"
        created = int(time.time())
        record = OpenAIFileObject(
            id=file_id,
            bytes=size,
            created_at=created,
            expires_at=created + expires_after.seconds if expires_after else None,
            filename=safe_filename(file.filename),
            purpose=purpose,
        )
        await asyncio.to_thread(file.save_to, self._content_path(file_id))
        await self.records.set(_RECORD + file_id, record.model_dump_json())
        return record

    async def openai_list_files(
        self,
        after: str | None = None,
        limit: int | None = 10000,
        order: Literal["asc", "desc"] | None = "desc",
        purpose: OpenAIFilePurpose | None = None,
    ) -> ListOpenAIFileResponse:
        limit = MAX_LIST_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidRequestError(f"limit must be between 1 and {MAX_LIST_LIMIT}", param="limit")
        files = [f for f in await self._all() if purpose is None or f.purpose == purpose]
        files.sort(key=lambda f: (f.created_at, f.id), reverse=(order or "desc") == "desc")
        if after is not None:
            ids = [f.id for f in files]
            if after not in ids:
                raise InvalidRequestError(f"`after`: no file {after!r} in this listing", param="after")
            files = files[ids.index(after) + 1 :]
        page = files[:limit]
        return ListOpenAIFileResponse(
            data=page,
            has_more=len(files) > limit,
            first_id=page[0].id if page else None,
            last_id=page[-1].id if page else None,
        )

    async def openai_retrieve_file(self, file_id: str) -> OpenAIFileObject:
        return await self._get(file_id)

    async def openai_retrieve_file_content(self, file_id: str) -> BinaryContent:
        record = await self._get(file_id)
        path = self._content_path(file_id)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFoundError(f"file {file_id!r} has no content on disk", code="file_not_found") from None
        return BinaryContent(data=data, media_type=_media_type(record.filename), filename=record.filename)

    async def openai_delete_file(self, file_id: str) -> OpenAIFileDeleteResponse:
        await self._get(file_id)
        await self._remove(file_id)
        return OpenAIFileDeleteResponse(id=file_id)

    # --- for other providers in this process (vector stores read contents by path) -----------

    def content_path(self, file_id: str) -> Path:
        return self._content_path(file_id)

    # --- internals ---------------------------------------------------------------------------

    def _content_path(self, file_id: str) -> Path:
        if not file_id.startswith("file-") or not file_id[5:].isalnum():
            raise NotFoundError(f"file {file_id!r} does not exist", code="file_not_found")
        return self.directory / file_id

    async def _get(self, file_id: str) -> OpenAIFileObject:
        self._content_path(file_id)  # refuses ids that cannot be ours
        raw = await self.records.get(_RECORD + file_id)
        if raw is None:
            raise NotFoundError(f"file {file_id!r} does not exist", param="file_id", code="file_not_found")
        record = OpenAIFileObject.model_validate_json(raw)
        if _expired(record):
            await self._remove(file_id)
            raise NotFoundError(f"file {file_id!r} expired", param="file_id", code="file_not_found")
        return record

    async def _all(self) -> list[OpenAIFileObject]:
        records = [
            OpenAIFileObject.model_validate_json(raw)
            for _, raw in await self.records.items_with_prefix(_RECORD)
        ]
        live = []
        for record in records:
            if _expired(record):
                await self._remove(record.id)
            else:
                live.append(record)
        return live

    async def _remove(self, file_id: str) -> None:
        # the record first: a crash in between leaves content without a record, which startup removes
        await self.records.delete(_RECORD + file_id)
        await asyncio.to_thread(self._content_path(file_id).unlink, True)

    async def _reconcile(self) -> None:
        recorded = {key[len(_RECORD) :] for key, _ in await self.records.items_with_prefix(_RECORD)}
        on_disk = await asyncio.to_thread(lambda: {p.name: p for p in self.directory.iterdir()})
        for name, path in on_disk.items():
            if name not in recorded:  # a partial upload, or content whose record was deleted
                logger.info("%s: removing %s, which has no file record", self.provider_id, path)
                await asyncio.to_thread(path.unlink, True)
        for file_id in recorded - set(on_disk):
            logger.warning("%s: file %s lost its content; removing the record", self.provider_id, file_id)
            await self.records.delete(_RECORD + file_id)


def safe_filename(name: str) -> str:
    """A display name: no directories (either separator), no control characters, bounded length."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    cleaned = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    cleaned = cleaned.strip().strip(".") or "upload"
    return cleaned[:MAX_FILENAME_CHARS]


def _expired(record: OpenAIFileObject) -> bool:
    return record.expires_at is not None and record.expires_at <= time.time()


_MEDIA_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".csv": "text/csv",
    ".pdf": "application/pdf",
}


def _media_type(filename: str) -> str:
    return _MEDIA_TYPES.get(PurePosixPath(filename).suffix.lower(), "application/octet-stream")


async def create(config: LocalFSFilesConfig, deps: dict[Any, Any], context: ProviderContext) -> LocalFSFiles:
    return LocalFSFiles(config, context)
