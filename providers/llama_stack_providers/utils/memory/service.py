"""The Vector IO API over any ``IndexStore``: what every vector-io provider shares.

A provider is its ``IndexStore`` plus this class. Records (stores, attached
files, batches) live in the provider's kv namespace; chunks and vectors in
its index. Ingestion runs in background tasks; a file is ``in_progress``
until its chunks are written, and a restart resumes what was in progress
(ingestion replaces a file's chunks, so running it twice leaves one copy).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from typing import Any, Literal

from llama_stack_api import (
    ConflictError,
    InvalidRequestError,
    KeyValueStore,
    NotFoundError,
    VectorStore,
)
from llama_stack_api.inference import InterleavedContent
from llama_stack_api.plugins import ResourceLookup
from llama_stack_api.vector_io import (
    AttributeValue,
    AutoChunkingStrategy,
    Chunk,
    ChunkingStrategy,
    QueryChunksResponse,
    SearchFilter,
    SearchMode,
    SearchRankingOptions,
    StaticChunkingStrategy,
    VectorStoreDeleteResponse,
    VectorStoreExpirationAfter,
    VectorStoreFileBatchObject,
    VectorStoreFileContentsResponse,
    VectorStoreFileCounts,
    VectorStoreFileDeleteResponse,
    VectorStoreFileObject,
    VectorStoreFilesListInBatchResponse,
    VectorStoreFileStatus,
    VectorStoreListFilesResponse,
    VectorStoreListResponse,
    VectorStoreObject,
    VectorStoreSearchResponsePage,
)

from ._ingestion import Embedder, IngestionFailed, ingest_file, normalised
from ._pagination import paginate
from ._records import BatchRecord, FileRecord, Records, StoreRecord
from ._search import SearchEngine, content_text
from .index import IndexedChunk, IndexStore, VectorIndex
from .ingest.fitted_chunks import auto_chunking

logger = logging.getLogger(__name__)

# files ingested at once per provider: enough to keep the embedding model's batches full, few enough
# that a search's query embedding does not queue behind a whole file batch
MAX_CONCURRENT_INGESTIONS = 3


class VectorStoreService:
    """Implements ``VectorIO`` and ``VectorStoresProvider`` for a provider's ``IndexStore``."""

    def __init__(
        self,
        index_store: IndexStore,
        kv: KeyValueStore,
        inference: Any,
        files: Any | None,
        resources: ResourceLookup | None = None,
    ) -> None:
        self.index_store = index_store
        self.resources = resources
        self.records = Records(kv)
        self.embedder = Embedder(inference)
        self.files = files
        self.search_engine = SearchEngine(self.embedder)
        self._indexes: dict[str, VectorIndex] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._file_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._lock = asyncio.Lock()
        self._ingestion_slots = asyncio.Semaphore(MAX_CONCURRENT_INGESTIONS)

    # --- lifecycle ---------------------------------------------------------------------------

    async def initialize(self) -> None:
        await self.index_store.initialize()

    async def stack_ready(self) -> None:
        # resuming needs the embedding models registered, which happens after every provider initialized
        await self._recover()

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for index in self._indexes.values():
            await index.close()
        self._indexes.clear()
        await self.index_store.shutdown()

    async def _recover(self) -> None:
        """Finish what a crash interrupted: deletions are completed, ingestions resumed."""
        for record in await self.records.stores():
            if record.deleting:
                await self._finish_store_deletion(record.store.id)
                continue
            for file in await self.records.files(record.store.id):
                if file.deleting:
                    await self._finish_file_deletion(record.store, file.file.id)
                elif file.file.status == "in_progress":
                    logger.info("resuming ingestion of %s into %s", file.file.id, record.store.id)
                    self._start_ingestion(record.store, file)

    # --- registry hooks ----------------------------------------------------------------------

    async def check_vector_store(self, store: VectorStore) -> VectorStore:
        existing = await self.records.store(store.provider_key)
        if existing is None:
            await self._create(
                store.provider_key,
                name=store.vector_db_name or store.identifier,
                embedding_model=store.embedding_model,
                embedding_dimension=store.embedding_dimension,
            )
        elif existing.store.embedding_dimension != store.embedding_dimension:
            raise InvalidRequestError(
                f"vector store {store.identifier!r} exists with dimension {existing.store.embedding_dimension}, "
                f"not {store.embedding_dimension}",
                code="dimension_mismatch",
            )
        return store

    async def forget_vector_store(self, store_id: str) -> None:
        if await self.records.store(store_id) is not None:
            await self.openai_delete_vector_store(store_id)

    # --- stores ------------------------------------------------------------------------------

    async def openai_create_vector_store(
        self,
        name: str | None = None,
        file_ids: list[str] | None = None,
        expires_after: VectorStoreExpirationAfter | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_model: str | None = None,
        embedding_dimension: int | None = None,
        provider_id: str | None = None,
        vector_store_id: str | None = None,
    ) -> VectorStoreObject:
        if embedding_model is None or embedding_dimension is None:
            raise InvalidRequestError("a vector store needs an embedding model and its dimension")
        store_id = vector_store_id or f"vs_{uuid.uuid4().hex}"
        if await self.records.store(store_id) is not None:
            raise ConflictError(f"vector store {store_id!r} already exists")
        store = await self._create(
            store_id,
            name=name or "",
            embedding_model=embedding_model,
            embedding_dimension=embedding_dimension,
            metadata=metadata,
            expires_after=expires_after,
            provider_id=provider_id,
        )
        if file_ids:
            await self._attach_many(store, file_ids, {}, chunking_strategy, batch_id=None)
        return await self.openai_retrieve_vector_store(store.id)

    async def _create(
        self,
        store_id: str,
        *,
        name: str,
        embedding_model: str,
        embedding_dimension: int,
        metadata: dict[str, Any] | None = None,
        expires_after: VectorStoreExpirationAfter | None = None,
        provider_id: str | None = None,
    ) -> VectorStoreObject:
        now = int(time.time())
        store = VectorStoreObject(
            id=store_id,
            created_at=now,
            name=name,
            metadata=metadata or {},
            expires_after=expires_after,
            last_active_at=now,
            embedding_model=embedding_model,
            embedding_dimension=embedding_dimension,
            provider_id=provider_id,
        )
        self._indexes[store_id] = await self.index_store.open(store_id, embedding_dimension)
        await self.records.put_store(StoreRecord(store=store))
        return store

    async def openai_list_vector_stores(
        self,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> VectorStoreListResponse:
        stores = [await self._with_counts(r.store) for r in await self.records.stores() if not r.deleting]
        page = paginate(
            stores, key=lambda s: (s.created_at, s.id), limit=limit, order=order, after=after, before=before
        )
        return VectorStoreListResponse(
            data=page.data, first_id=page.first_id, last_id=page.last_id, has_more=page.has_more
        )

    async def openai_retrieve_vector_store(self, vector_store_id: str) -> VectorStoreObject:
        return await self._with_counts((await self._store(vector_store_id)).store)

    async def openai_update_vector_store(
        self,
        vector_store_id: str,
        name: str | None = None,
        expires_after: VectorStoreExpirationAfter | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> VectorStoreObject:
        record = await self._store(vector_store_id)
        update: dict[str, Any] = {"last_active_at": int(time.time())}
        if name is not None:
            update["name"] = name
        if expires_after is not None:
            update["expires_after"] = expires_after
        if metadata is not None:
            update["metadata"] = metadata
        record.store = record.store.model_copy(update=update)
        await self.records.put_store(record)
        return await self._with_counts(record.store)

    async def openai_delete_vector_store(self, vector_store_id: str) -> VectorStoreDeleteResponse:
        record = await self._store(vector_store_id)
        record.deleting = True
        await self.records.put_store(record)
        await self._finish_store_deletion(vector_store_id)
        return VectorStoreDeleteResponse(id=vector_store_id)

    async def _finish_store_deletion(self, store_id: str) -> None:
        for key, task in list(self._file_tasks.items()):
            if key[0] == store_id:
                task.cancel()
        index = self._indexes.pop(store_id, None)
        if index is not None:
            await index.close()
        await self.index_store.drop(store_id)
        for file in await self.records.files(store_id):
            await self.records.delete_file(store_id, file.file.id)
        for batch in await self.records.batches(store_id):
            await self.records.delete_batch(store_id, batch.id)
        await self.records.delete_store(store_id)

    async def _store(self, store_id: str) -> StoreRecord:
        record = await self.records.store(store_id)
        if record is None or record.deleting:
            raise NotFoundError(f"vector store {store_id!r} does not exist", code="vector_store_not_found")
        return record

    async def _index(self, store: VectorStoreObject) -> VectorIndex:
        index = self._indexes.get(store.id)
        if index is None:
            async with self._lock:
                index = self._indexes.get(store.id)
                if index is None:
                    index = await self.index_store.open(store.id, store.embedding_dimension or 0)
                    self._indexes[store.id] = index
        return index

    async def _with_counts(self, store: VectorStoreObject) -> VectorStoreObject:
        files = [f for f in await self.records.files(store.id) if not f.deleting]
        counts = _counts(f.file.status for f in files)
        now = int(time.time())
        expires_at = None
        status: Literal["expired", "in_progress", "completed"] = (
            "in_progress" if counts.in_progress else "completed"
        )
        if store.expires_after is not None:
            expires_at = (store.last_active_at or store.created_at) + store.expires_after.days * 86400
            if expires_at <= now:
                status = "expired"
        return store.model_copy(
            update={
                "file_counts": counts,
                "usage_bytes": sum(f.file.usage_bytes for f in files),
                "status": status,
                "expires_at": expires_at,
            }
        )

    async def _touch(self, record: StoreRecord) -> None:
        record.store = record.store.model_copy(update={"last_active_at": int(time.time())})
        await self.records.put_store(record)

    # --- files -------------------------------------------------------------------------------

    async def openai_attach_file_to_vector_store(
        self,
        vector_store_id: str,
        file_id: str,
        attributes: dict[str, AttributeValue] | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
    ) -> VectorStoreFileObject:
        record = await self._store(vector_store_id)
        [attached] = await self._attach_many(
            record.store, [file_id], attributes or {}, chunking_strategy, None
        )
        return attached.file

    async def _attach_many(
        self,
        store: VectorStoreObject,
        file_ids: list[str],
        attributes: dict[str, AttributeValue],
        chunking_strategy: ChunkingStrategy | None,
        batch_id: str | None,
    ) -> list[FileRecord]:
        strategy = chunking_strategy or AutoChunkingStrategy()
        if (
            isinstance(strategy, StaticChunkingStrategy)
            and strategy.static.chunk_overlap_tokens > strategy.static.max_chunk_size_tokens // 2
        ):
            raise InvalidRequestError(
                "chunk_overlap_tokens must not exceed half of max_chunk_size_tokens",
                param="chunking_strategy",
            )
        # every file must exist before any is attached: a bad id fails the whole request
        described = [await self._describe_file(file_id) for file_id in file_ids]
        records = []
        for file_id, (filename, size) in zip(file_ids, described, strict=True):
            record = FileRecord(
                file=VectorStoreFileObject(
                    id=file_id,
                    vector_store_id=store.id,
                    created_at=int(time.time()),
                    usage_bytes=size,
                    attributes=attributes,
                    chunking_strategy=strategy,
                ),
                filename=filename,
                batch_id=batch_id,
            )
            await self.records.put_file(record)
            records.append(record)
        for record in records:
            self._start_ingestion(store, record)
        return records

    async def _describe_file(self, file_id: str) -> tuple[str, int]:
        if self.files is None:
            raise InvalidRequestError("this stack serves no files API: upload files to attach them")
        info = await self.files.openai_retrieve_file(file_id=file_id)
        return info.filename, info.bytes

    def _start_ingestion(self, store: VectorStoreObject, record: FileRecord) -> None:
        key = (store.id, record.file.id)
        previous = self._file_tasks.get(key)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._ingest(store, record))
        self._file_tasks[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(
            lambda t: self._file_tasks.pop(key, None) if self._file_tasks.get(key) is t else None
        )

    async def _ingest(self, store: VectorStoreObject, record: FileRecord) -> None:
        file_id = record.file.id
        try:
            index = await self._index(store)
            async with self._ingestion_slots:
                timings = await ingest_file(
                    record,
                    files=self.files,
                    index=index,
                    embedder=self.embedder,
                    embedding_model=store.embedding_model or "",
                    auto_sizes=auto_chunking(self.resources, store.embedding_model),
                )
        except IngestionFailed as failure:
            await self._drop_chunks(store, file_id)
            await self._set_status(store.id, file_id, "failed", failure.error)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an engine bug must mark the file failed, not leave it in progress forever
            logger.exception("ingesting %s into %s failed", file_id, store.id)
            await self._drop_chunks(store, file_id)
            from llama_stack_api.vector_io import VectorStoreFileLastError

            await self._set_status(
                store.id, file_id, "failed", VectorStoreFileLastError(code="server_error", message=str(exc))
            )
            return
        logger.info(
            "ingested %s into %s: %d chunks (read %.3fs, parse %.3fs, embed %.3fs, write %.3fs)",
            file_id,
            store.id,
            timings.chunks,
            timings.read,
            timings.parse,
            timings.embed,
            timings.write,
        )
        await self._set_status(store.id, file_id, "completed", None, chunk_count=timings.chunks)

    async def _drop_chunks(self, store: VectorStoreObject, file_id: str) -> None:
        """A failed file keeps no chunks (a crash may have left some from an interrupted ingestion)."""
        index = await self._index(store)
        await index.delete_file(file_id)

    async def _set_status(
        self, store_id: str, file_id: str, status: VectorStoreFileStatus, error: Any, chunk_count: int = 0
    ) -> None:
        current = await self.records.file(store_id, file_id)
        if current is None or current.deleting or current.file.status == "cancelled":
            return
        current.file = current.file.model_copy(update={"status": status, "last_error": error})
        current.chunk_count = chunk_count
        await self.records.put_file(current)

    async def openai_list_files_in_vector_store(
        self,
        vector_store_id: str,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
        filter: VectorStoreFileStatus | None = None,
    ) -> VectorStoreListFilesResponse:
        await self._store(vector_store_id)
        files = [
            f.file
            for f in await self.records.files(vector_store_id)
            if not f.deleting and (filter is None or f.file.status == filter)
        ]
        page = paginate(
            files, key=lambda f: (f.created_at, f.id), limit=limit, order=order, after=after, before=before
        )
        return VectorStoreListFilesResponse(
            data=page.data, first_id=page.first_id, last_id=page.last_id, has_more=page.has_more
        )

    async def openai_retrieve_vector_store_file(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileObject:
        return (await self._file(vector_store_id, file_id)).file

    async def _file(self, store_id: str, file_id: str) -> FileRecord:
        await self._store(store_id)
        record = await self.records.file(store_id, file_id)
        if record is None or record.deleting:
            raise NotFoundError(
                f"file {file_id!r} is not in vector store {store_id!r}", code="vector_store_file_not_found"
            )
        return record

    async def openai_retrieve_vector_store_file_contents(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileContentsResponse:
        record = await self._file(vector_store_id, file_id)
        index = await self._index((await self._store(vector_store_id)).store)
        chunks = await index.get_chunks(await index.file_chunk_ids(file_id))
        chunks.sort(key=lambda c: int(c.metadata.get("chunk_index", 0)))
        from llama_stack_api.vector_io import VectorStoreContent

        return VectorStoreFileContentsResponse(
            data=[VectorStoreContent(text=c.content) for c in chunks],
            file_id=file_id,
            filename=record.filename,
            attributes=record.file.attributes,
        )

    async def openai_update_vector_store_file(
        self, vector_store_id: str, file_id: str, attributes: dict[str, AttributeValue]
    ) -> VectorStoreFileObject:
        record = await self._file(vector_store_id, file_id)
        record.file = record.file.model_copy(update={"attributes": attributes})
        await self.records.put_file(record)
        # search filters read attributes from the chunks: rewrite them (cheap: no re-embedding)
        index = await self._index((await self._store(vector_store_id)).store)
        chunks = await index.get_chunks(await index.file_chunk_ids(file_id))
        if chunks:
            await index.add(
                [
                    IndexedChunk(c.chunk_id, c.content, {**c.metadata, "attributes": attributes}, c.embedding)
                    for c in chunks
                ]
            )
        return record.file

    async def openai_delete_vector_store_file(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileDeleteResponse:
        record = await self._file(vector_store_id, file_id)
        record.deleting = True
        await self.records.put_file(record)
        await self._finish_file_deletion((await self._store(vector_store_id)).store, file_id)
        return VectorStoreFileDeleteResponse(id=file_id)

    async def _finish_file_deletion(self, store: VectorStoreObject, file_id: str) -> None:
        task = self._file_tasks.pop((store.id, file_id), None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        index = await self._index(store)
        await index.delete_file(file_id)
        await self.records.delete_file(store.id, file_id)

    # --- batches -----------------------------------------------------------------------------

    async def openai_create_vector_store_file_batch(
        self,
        vector_store_id: str,
        file_ids: list[str],
        attributes: dict[str, AttributeValue] | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
    ) -> VectorStoreFileBatchObject:
        record = await self._store(vector_store_id)
        if not file_ids:
            raise InvalidRequestError("file_ids is empty", param="file_ids")
        batch = BatchRecord(
            id=f"vsfb_{uuid.uuid4().hex}",
            vector_store_id=vector_store_id,
            created_at=int(time.time()),
            file_ids=list(dict.fromkeys(file_ids)),
        )
        await self.records.put_batch(batch)
        await self._attach_many(record.store, batch.file_ids, attributes or {}, chunking_strategy, batch.id)
        return await self.openai_retrieve_vector_store_file_batch(vector_store_id, batch.id)

    async def _batch(self, store_id: str, batch_id: str) -> BatchRecord:
        await self._store(store_id)
        batch = await self.records.batch(store_id, batch_id)
        if batch is None:
            raise NotFoundError(
                f"file batch {batch_id!r} is not in vector store {store_id!r}", code="batch_not_found"
            )
        return batch

    async def _batch_files(self, batch: BatchRecord) -> list[FileRecord]:
        files = []
        for file_id in batch.file_ids:
            record = await self.records.file(batch.vector_store_id, file_id)
            if record is not None and not record.deleting and record.batch_id == batch.id:
                files.append(record)
        return files

    async def openai_retrieve_vector_store_file_batch(
        self, vector_store_id: str, batch_id: str
    ) -> VectorStoreFileBatchObject:
        batch = await self._batch(vector_store_id, batch_id)
        files = await self._batch_files(batch)
        counts = _counts(f.file.status for f in files)
        status: VectorStoreFileStatus
        if counts.in_progress:
            status = "in_progress"
        elif batch.cancelled:
            status = "cancelled"
        elif counts.total and counts.failed == counts.total:
            status = "failed"
        else:
            status = "completed"
        return VectorStoreFileBatchObject(
            id=batch.id,
            vector_store_id=vector_store_id,
            created_at=batch.created_at,
            status=status,
            file_counts=counts,
        )

    async def openai_list_files_in_vector_store_file_batch(
        self,
        vector_store_id: str,
        batch_id: str,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
        filter: VectorStoreFileStatus | None = None,
    ) -> VectorStoreFilesListInBatchResponse:
        batch = await self._batch(vector_store_id, batch_id)
        files = [f.file for f in await self._batch_files(batch) if filter is None or f.file.status == filter]
        page = paginate(
            files, key=lambda f: (f.created_at, f.id), limit=limit, order=order, after=after, before=before
        )
        return VectorStoreFilesListInBatchResponse(
            data=page.data, first_id=page.first_id, last_id=page.last_id, has_more=page.has_more
        )

    async def openai_cancel_vector_store_file_batch(
        self, vector_store_id: str, batch_id: str
    ) -> VectorStoreFileBatchObject:
        batch = await self._batch(vector_store_id, batch_id)
        batch.cancelled = True
        await self.records.put_batch(batch)
        for record in await self._batch_files(batch):
            if record.file.status != "in_progress":
                continue
            task = self._file_tasks.pop((vector_store_id, record.file.id), None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            record.file = record.file.model_copy(update={"status": "cancelled"})
            await self.records.put_file(record)
            index = await self._index((await self._store(vector_store_id)).store)
            await index.delete_file(record.file.id)
        return await self.openai_retrieve_vector_store_file_batch(vector_store_id, batch_id)

    # --- search ------------------------------------------------------------------------------

    async def openai_search_vector_store(
        self,
        vector_store_id: str,
        query: str | list[str],
        filters: SearchFilter | None = None,
        max_num_results: int | None = 10,
        ranking_options: SearchRankingOptions | None = None,
        rewrite_query: bool | None = False,
        search_mode: SearchMode | None = "vector",
    ) -> VectorStoreSearchResponsePage:
        record = await self._store(vector_store_id)
        index = await self._index(record.store)
        page = await self.search_engine.search(
            record.store,
            index,
            query,
            filters=filters,
            max_num_results=max_num_results,
            ranking_options=ranking_options,
            rewrite_query=bool(rewrite_query),
            search_mode=search_mode or "vector",
        )
        await self._touch(record)
        return page

    # --- native chunks -----------------------------------------------------------------------

    async def insert_chunks(
        self, vector_db_id: str, chunks: list[Chunk], ttl_seconds: int | None = None
    ) -> None:
        record = await self._store(vector_db_id)
        index = await self._index(record.store)
        # NUL cannot be stored by every backend (PostgreSQL text) and carries no meaning in a chunk
        texts = [content_text(c.content).replace("\x00", "") for c in chunks]
        missing = [i for i, c in enumerate(chunks) if c.embedding is None]
        computed = await self.embedder.embed(
            record.store.embedding_model or "", [texts[i] for i in missing], index.dimension
        )
        vectors: dict[int, list[float]] = dict(zip(missing, computed, strict=True))
        expires_at = time.time() + ttl_seconds if ttl_seconds else None
        indexed = []
        for position, chunk in enumerate(chunks):
            vector = vectors.get(position) or chunk.embedding or []
            if len(vector) != index.dimension:
                raise InvalidRequestError(
                    f"chunks[{position}].embedding has {len(vector)} dimensions; vector store "
                    f"{vector_db_id!r} holds {index.dimension}-dimensional vectors",
                    param=f"chunks[{position}].embedding",
                    code="dimension_mismatch",
                )
            metadata = {"file_id": "", **chunk.metadata}
            if expires_at is not None:
                metadata["expires_at"] = expires_at
            chunk_id = chunk.chunk_id or _content_id(texts[position], metadata)
            indexed.append(IndexedChunk(chunk_id, texts[position], metadata, normalised(vector)))
        await index.add(indexed)
        await self._touch(record)

    async def query_chunks(
        self, vector_db_id: str, query: InterleavedContent, params: dict[str, Any] | None = None
    ) -> QueryChunksResponse:
        record = await self._store(vector_db_id)
        index = await self._index(record.store)
        hits = await self.search_engine.query_chunks(record.store, index, content_text(query), params or {})
        return QueryChunksResponse(
            chunks=[
                Chunk(content=h.chunk.content, metadata=h.chunk.metadata, chunk_id=h.chunk.chunk_id)
                for h in hits
            ],
            scores=[h.score for h in hits],
        )


def _counts(statuses: Any) -> VectorStoreFileCounts:
    counts = VectorStoreFileCounts()
    for status in statuses:
        setattr(counts, status, getattr(counts, status) + 1)
        counts.total += 1
    return counts


def _content_id(text: str, metadata: dict[str, Any]) -> str:
    document = str(metadata.get("document_id", ""))
    return hashlib.sha256(f"{document}\0{text}".encode()).hexdigest()[:32]
