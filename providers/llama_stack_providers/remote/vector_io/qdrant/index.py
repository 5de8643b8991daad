"""remote::qdrant storage engine: a Qdrant collection per vector store, cosine dense + BM25 sparse vectors."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Sequence
from typing import Any, cast

import portalocker
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from llama_stack_providers.remote.vector_io.qdrant._ids import chunk_point_id, collection_name
from llama_stack_providers.remote.vector_io.qdrant._keywords import (
    SPARSE_VECTOR,
    document_vector,
    query_vector,
    shares_term,
)
from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStats, ScoredChunk

__all__ = ["QdrantIndex", "QdrantIndexStore", "chunk_point_id", "collection_name"]

DENSE_VECTOR = "dense"
_RESULT_PAYLOAD = ["chunk_id", "content", "metadata"]
_SCROLL_PAGE = 1000
# extra keyword hits fetched so that dropping a rare hash-collision hit still leaves k results
_KEYWORD_SLACK = 8
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{0,40}$")


def _check_dimension(embedding: Sequence[float], dimension: int) -> None:
    if len(embedding) != dimension:
        raise ValueError(f"embedding has {len(embedding)} dimensions, the index expects {dimension}")


def _chunk(payload: dict[str, Any] | None, embedding: Sequence[float] = ()) -> IndexedChunk:
    payload = payload or {}
    return IndexedChunk(
        chunk_id=payload["chunk_id"],
        content=payload["content"],
        metadata=payload["metadata"],
        embedding=embedding,
    )


def _check_folder_free(path: str) -> None:
    """Fail cleanly if another client holds the local-mode folder.

    qdrant-client takes an exclusive lock on ``<path>/.lock``, but only after
    loading every collection, and on failure leaks the lock file's handle
    (a ResourceWarning). Probing the same lock first avoids both.
    """
    lock_path = os.path.join(path, ".lock")
    if not os.path.exists(lock_path):
        return
    with open(lock_path, "r+") as handle:
        try:
            portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.exceptions.LockException as error:
            raise RuntimeError(
                f"the Qdrant folder {path} is in use by another client; local mode allows one at a time,"
                " use a Qdrant server (url=) to share an index"
            ) from error
        portalocker.unlock(handle)


def _dense(record: models.Record) -> list[float]:
    vectors = record.vector if isinstance(record.vector, dict) else {}
    # only the dense vector is requested, and it is a flat list of floats
    return cast(list[float], vectors.get(DENSE_VECTOR, []))


def _file_filter(file_id: str) -> models.Filter:
    return models.Filter(must=[models.FieldCondition(key="file_id", match=models.MatchValue(value=file_id))])


class QdrantIndex:
    """The chunks of one vector store: a collection whose points carry a dense and a BM25 sparse vector."""

    def __init__(
        self,
        client: AsyncQdrantClient,
        collection: str,
        dimension: int,
        *,
        local: bool,
        hnsw_ef: int,
        batch_size: int,
        last_seq: int,
    ):
        self.dimension = dimension
        self._client = client
        self._collection = collection
        self._local = local
        self._hnsw_ef = hnsw_ef
        self._batch_size = batch_size
        self._last_seq = last_seq

    def _next_seqs(self, count: int) -> int:
        # Insertion order for file_chunk_ids. Microsecond timestamps keep several writers of one server
        # collection interleaved in real order; the max with the last value keeps one writer increasing.
        start = max(self._last_seq + 1, time.time_ns() // 1000)
        self._last_seq = start + count - 1
        return start

    async def add(self, chunks: Sequence[IndexedChunk]) -> None:
        for chunk in chunks:
            _check_dimension(chunk.embedding, self.dimension)
        # the last copy of a repeated id wins, as if the chunks were added one by one
        latest = {chunk.chunk_id: chunk for chunk in chunks}
        if not latest:
            return
        seq = self._next_seqs(len(latest))
        points = [
            models.PointStruct(
                id=chunk_point_id(chunk.chunk_id),
                vector={
                    DENSE_VECTOR: [float(x) for x in chunk.embedding],
                    SPARSE_VECTOR: document_vector(chunk.content),
                },
                payload={
                    "chunk_id": chunk.chunk_id,
                    "content": chunk.content,
                    "metadata": chunk.metadata,
                    # copied to the top level for a keyword payload index (delete_file, file_chunk_ids)
                    "file_id": chunk.metadata.get("file_id", ""),
                    "seq": seq + offset,
                },
            )
            for offset, chunk in enumerate(latest.values())
        ]
        # Each point (payload + both vectors) is written whole, so a crash mid-call leaves every chunk
        # present or absent; batches bound the request size.
        for start in range(0, len(points), self._batch_size):
            await self._client.upsert(self._collection, points[start : start + self._batch_size], wait=True)

    async def delete(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        selector = models.PointIdsList(points=[chunk_point_id(chunk_id) for chunk_id in chunk_ids])
        await self._client.delete(self._collection, points_selector=selector, wait=True)

    async def _file_records(self, file_id: str, payload: list[str] | bool) -> list[models.Record]:
        records: list[models.Record] = []
        offset: models.ExtendedPointId | None = None
        while True:
            page, offset = await self._client.scroll(
                self._collection,
                scroll_filter=_file_filter(file_id),
                limit=_SCROLL_PAGE,
                offset=offset,
                with_payload=payload,
                with_vectors=False,
            )
            records.extend(page)
            if offset is None:
                return records

    async def delete_file(self, file_id: str) -> int:
        # deleting the listed ids (not by filter) makes the returned count exactly what was removed
        ids = [record.id for record in await self._file_records(file_id, False)]
        if ids:
            await self._client.delete(
                self._collection, points_selector=models.PointIdsList(points=ids), wait=True
            )
        return len(ids)

    def _search_params(self, k: int) -> models.SearchParams | None:
        # local mode searches exactly and warns about any search_params, so only a server gets the HNSW beam
        return None if self._local else models.SearchParams(hnsw_ef=max(self._hnsw_ef, k))

    async def query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        _check_dimension(embedding, self.dimension)
        if k <= 0:
            return []
        response = await self._client.query_points(
            self._collection,
            query=[float(x) for x in embedding],
            using=DENSE_VECTOR,
            limit=k,
            with_payload=_RESULT_PAYLOAD,
            search_params=self._search_params(k),
        )
        return [ScoredChunk(chunk=_chunk(point.payload), score=point.score) for point in response.points]

    async def query_keyword(self, query: str, k: int) -> list[ScoredChunk]:
        sparse = query_vector(query)
        if sparse is None or k <= 0:
            return []
        response = await self._client.query_points(
            self._collection,
            query=sparse,
            using=SPARSE_VECTOR,
            limit=k + _KEYWORD_SLACK,
            with_payload=_RESULT_PAYLOAD,
        )
        hits = [
            ScoredChunk(chunk=_chunk(point.payload), score=point.score)
            for point in response.points
            if point.score > 0 and shares_term(query, (point.payload or {}).get("content", ""))
        ]
        return hits[:k]

    async def get_chunks(self, chunk_ids: Sequence[str]) -> list[IndexedChunk]:
        if not chunk_ids:
            return []
        records = await self._client.retrieve(
            self._collection,
            ids=[chunk_point_id(chunk_id) for chunk_id in dict.fromkeys(chunk_ids)],
            with_payload=_RESULT_PAYLOAD,
            with_vectors=[DENSE_VECTOR],
        )
        return [_chunk(record.payload, _dense(record)) for record in records]

    async def file_chunk_ids(self, file_id: str) -> list[str]:
        records = await self._file_records(file_id, ["chunk_id", "seq"])
        payloads = [record.payload or {} for record in records]
        payloads.sort(key=lambda payload: (payload["seq"], payload["chunk_id"]))
        return [payload["chunk_id"] for payload in payloads]

    async def stats(self) -> IndexStats:
        count = await self._client.count(self._collection, exact=True)
        return IndexStats(
            chunk_count=count.count,
            extra={
                "backend": "qdrant",
                "collection": self._collection,
                "dimension": self.dimension,
                "local": self._local,
            },
        )

    async def close(self) -> None:
        # the points live in Qdrant (or the local folder) and the client belongs to the store
        return None


class QdrantIndexStore:
    """Indexes as Qdrant collections named ``<prefix><slug>_<hash>``, on a server or in a local folder.

    ``url`` names a Qdrant server (``api_key`` for Qdrant Cloud); ``path`` a
    local-mode folder, persisted and reloaded on open — local mode keeps all
    points in memory, searches exactly, runs on the event loop and locks its
    folder, so one process at a time; neither gives an in-memory store
    (tests). ``hnsw_ef`` is the server's search beam (raised to ``k``).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        path: str | None = None,
        api_key: str | None = None,
        prefix: str = "llama_vs_",
        hnsw_ef: int = 128,
        batch_size: int = 256,
        timeout: int | None = None,
    ):
        if url is not None and path is not None:
            raise ValueError("give QdrantIndexStore either url (a server) or path (local mode), not both")
        if not _PREFIX.match(prefix):
            raise ValueError(f"prefix must match [A-Za-z0-9_-]{{0,40}}: {prefix!r}")
        self._url = url
        self._path = path
        self._api_key = api_key
        self._prefix = prefix
        self._hnsw_ef = hnsw_ef
        self._batch_size = batch_size
        self._timeout = timeout
        self._client: AsyncQdrantClient | None = None
        # open/drop check-then-act on a collection; one at a time within this process
        self._lock = asyncio.Lock()

    @property
    def _local(self) -> bool:
        return self._url is None

    @property
    def _connected(self) -> AsyncQdrantClient:
        if self._client is None:
            raise RuntimeError("QdrantIndexStore is not initialized; call initialize() first")
        return self._client

    async def initialize(self) -> None:
        if self._client is not None:
            return
        if self._url is not None:
            self._client = AsyncQdrantClient(url=self._url, api_key=self._api_key, timeout=self._timeout)
        elif self._path is not None:
            _check_folder_free(self._path)
            self._client = AsyncQdrantClient(path=self._path)
        else:
            self._client = AsyncQdrantClient(location=":memory:")

    async def open(self, index_id: str, dimension: int) -> QdrantIndex:
        if dimension <= 0:
            raise ValueError(f"dimension must be positive, got {dimension}")
        client = self._connected
        name = collection_name(self._prefix, index_id)
        async with self._lock:
            if not await client.collection_exists(name):
                await self._create(client, name, dimension)
            await self._check_collection(client, name, index_id, dimension)
            last_seq = await self._last_seq(client, name)
        return QdrantIndex(
            client,
            name,
            dimension,
            local=self._local,
            hnsw_ef=self._hnsw_ef,
            batch_size=self._batch_size,
            last_seq=last_seq,
        )

    async def _create(self, client: AsyncQdrantClient, name: str, dimension: int) -> None:
        try:
            await client.create_collection(
                name,
                vectors_config={
                    DENSE_VECTOR: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)
                },
            )
        except UnexpectedResponse as error:
            # another process created it between our check and create; the dimension check follows
            if error.status_code != 409:
                raise
            return
        if not self._local:
            # local mode ignores payload indexes (and warns); a server needs them to filter by file and order
            await client.create_payload_index(name, "file_id", field_schema=models.PayloadSchemaType.KEYWORD)
            await client.create_payload_index(
                name,
                "seq",
                field_schema=models.IntegerIndexParams(
                    type=models.IntegerIndexType.INTEGER, lookup=False, range=True
                ),
            )

    @staticmethod
    async def _check_collection(client: AsyncQdrantClient, name: str, index_id: str, dimension: int) -> None:
        vectors = (await client.get_collection(name)).config.params.vectors
        params = vectors.get(DENSE_VECTOR) if isinstance(vectors, dict) else None
        if params is None:
            raise ValueError(f"collection {name!r} for index {index_id!r} was not created by this store")
        if params.size != dimension:
            raise ValueError(f"index {index_id!r} exists with dimension {params.size}, not {dimension}")

    @staticmethod
    async def _last_seq(client: AsyncQdrantClient, name: str) -> int:
        records, _ = await client.scroll(
            name,
            limit=1,
            order_by=models.OrderBy(key="seq", direction=models.Direction.DESC),
            with_payload=["seq"],
        )
        return int((records[0].payload or {})["seq"]) if records else 0

    async def drop(self, index_id: str) -> None:
        async with self._lock:
            # an unknown collection is fine: local mode answers False, a server answers False or 404
            try:
                await self._connected.delete_collection(collection_name(self._prefix, index_id))
            except UnexpectedResponse as error:
                if error.status_code != 404:
                    raise

    async def shutdown(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def __aenter__(self) -> QdrantIndexStore:
        await self.initialize()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.shutdown()
