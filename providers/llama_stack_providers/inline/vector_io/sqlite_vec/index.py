"""inline::sqlite-vec storage: all indexes in one SQLite file (WAL), vectors in vec0, text in FTS5.

Schema, ``<n>`` being the index's number in the ``vector_indexes`` catalog (``chunk_sql.py``):

* ``chunks_<n>`` — chunk id, file id, text, JSON metadata; ``fts_<n>`` — FTS5 over the text, fed by triggers;
* ``vec_<n>`` — ``vec0(embedding float[<dim>] distance_metric=cosine)``, keyed by the chunk's row id.

Tables per index rather than one table keyed by index id: vec0 fixes the dimension per table, and
FTS5's BM25 statistics (document frequencies, mean length) must not mix the texts of different indexes.

Every write is one ``BEGIN IMMEDIATE`` transaction covering text, metadata and vector, with
``synchronous=FULL`` so it is durable when the call returns. All SQLite work runs on one worker thread
per store, which owns the (apsw) connection; apsw rather than the stdlib because pyenv's ``sqlite3``
cannot load extensions, and apsw ships wheels for every platform.

Queries: vec0's brute-force KNN is ~80 ms at 100k×384 here, so by default each open index keeps a
``VectorMirror`` (``mirror.py``) loaded from its vec0 table: exact cosine up to ``quantized_above``
vectors, above that a 1024-bit SimHash pre-filter with exact re-ranking (recall@10 ≥ 0.95 even on
uniform random vectors). vec0 stays the durable copy; ``memory_mirror=False`` queries it directly
(exact, no extra memory, k ≤ 4096).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import apsw
import numpy as np
import sqlite_vec

from llama_stack_providers.inline.vector_io.sqlite_vec.mirror import VectorMirror
from llama_stack_providers.utils.memory.chunk_sql import (
    ChunkTable,
    SerialWorker,
    WorkerIndex,
    blobs_to_matrix,
    check_dimensions,
    create_catalog,
    dedupe_last,
    embedding_matrix,
    lookup_index,
    query_array,
    register_index,
    transaction,
    unregister_index,
)
from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStats, ScoredChunk

T = TypeVar("T")

# vec0 refuses a KNN query with k above this
_VEC0_MAX_K = 4096
_LOAD_BATCH = 8192


class SqliteVecIndex(WorkerIndex):
    """One vector store's chunks in the store's database; see the module docstring."""

    def __init__(
        self,
        store: SqliteVecIndexStore,
        conn: apsw.Connection,
        index_id: str,
        number: int,
        dimension: int,
        mirror: VectorMirror | None,
    ) -> None:
        self.dimension = dimension
        self.index_id = index_id
        self._store = store
        self._conn = conn
        self._table = ChunkTable(conn, number, with_embedding=False)
        self._vec = f"vec_{number}"
        self._mirror = mirror
        self._closed = False

    def _worker(self) -> SerialWorker:
        return self._store.worker()

    # --- writes ---

    def _add(self, chunks: Sequence[IndexedChunk]) -> None:
        check_dimensions(chunks, self.dimension)
        unique = dedupe_last(chunks)
        matrix = embedding_matrix(unique, self.dimension)
        rowids = np.empty(len(unique), dtype=np.int64)
        with transaction(self._conn):
            removed = self._table.delete_ids([chunk.chunk_id for chunk in unique])
            self._delete_vectors(removed)
            insert = f"INSERT INTO {self._vec} (rowid, embedding) VALUES (?, ?)"
            for row, chunk in enumerate(unique):
                rowids[row] = self._table.insert(chunk)
                self._conn.execute(insert, (int(rowids[row]), matrix[row].tobytes()))
        # the mirror follows only a committed transaction, so a failed write leaves it in step with the db
        if self._mirror is not None:
            self._mirror.remove(removed)
            self._mirror.add(rowids, matrix)

    def _delete_vectors(self, rowids: Sequence[int]) -> None:
        # one statement per row: vec0 resolves ``rowid = ?`` by a point lookup, ``IN (…)`` by a scan
        for rowid in rowids:
            self._conn.execute(f"DELETE FROM {self._vec} WHERE rowid = ?", (rowid,))

    def _delete_where(self, select: Callable[[], list[int]]) -> int:
        with transaction(self._conn):
            removed = select()
            self._delete_vectors(removed)
        if self._mirror is not None:
            self._mirror.remove(removed)
        return len(removed)

    # --- reads ---

    def _query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        query = query_array(embedding, self.dimension)
        if k <= 0:
            return []
        hits: list[tuple[int, float]]
        if self._mirror is not None:
            ids, scores = self._mirror.search(query, k)
            hits = list(zip(ids.tolist(), scores.tolist(), strict=True))
        else:
            sql = f"SELECT rowid, distance FROM {self._vec} WHERE embedding MATCH ? AND k = ?"
            rows = self._conn.execute(sql, (query.tobytes(), min(k, _VEC0_MAX_K))).fetchall()
            hits = []
            for rowid, distance in rows:
                # a vec0 KNN row is (INTEGER rowid, REAL distance); apsw types columns as any SQLite value
                assert isinstance(rowid, int) and isinstance(distance, float)
                hits.append((rowid, 1.0 - distance))
        found = self._table.rows_by_rowid([rowid for rowid, _ in hits])
        return [ScoredChunk(found[rowid].to_chunk(), score) for rowid, score in hits if rowid in found]

    async def get_chunks(self, chunk_ids: Sequence[str]) -> list[IndexedChunk]:
        return await self._run(lambda: self._get_chunks(chunk_ids))

    def _get_chunks(self, chunk_ids: Sequence[str]) -> list[IndexedChunk]:
        chunks = []
        for row, _ in self._table.rows_by_chunk_id(list(chunk_ids)):
            found = self._conn.execute(
                f"SELECT embedding FROM {self._vec} WHERE rowid = ?", (row.rowid,)
            ).fetchone()
            embedding = np.frombuffer(found[0], dtype=np.float32).tolist() if found else []
            chunks.append(row.to_chunk(embedding))
        return chunks

    def _stats(self) -> IndexStats:
        extra: dict[str, Any] = {"backend": "sqlite-vec", "dimension": self.dimension, "table": self._vec}
        if self._mirror is None:
            extra["search"] = "vec0"
        else:
            quantized = len(self._mirror) > self._mirror.quantized_above
            extra["search"] = "mirror-quantized" if quantized else "mirror-exact"
            extra["mirror_bytes"] = self._mirror.nbytes
        return IndexStats(chunk_count=self._table.count(), extra=extra)

    # --- used by the store, on the worker ---

    def load_mirror(self) -> None:
        if self._mirror is None:
            return
        cursor = iter(self._conn.execute(f"SELECT rowid, embedding FROM {self._vec}", ()))
        while batch := list(itertools.islice(cursor, _LOAD_BATCH)):
            ids = np.array([row[0] for row in batch], dtype=np.int64)
            self._mirror.add(ids, blobs_to_matrix([row[1] for row in batch], self.dimension))

    def release(self) -> None:
        self._closed = True
        self._mirror = None
        self._store.forget(self)


class SqliteVecIndexStore:
    """All indexes of one inline::sqlite-vec provider, in the SQLite file ``db_path``.

    ``memory_mirror``, ``quantized_above``, ``code_bits`` and ``rerank_candidates`` tune the in-memory
    search (see ``mirror.py``); they change nothing on disk.
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        memory_mirror: bool = True,
        quantized_above: int = 20_000,
        code_bits: int = 1024,
        rerank_candidates: int = 3000,
    ) -> None:
        self.db_path = Path(db_path)
        self.memory_mirror = memory_mirror
        self._mirror_options = {
            "quantized_above": quantized_above,
            "code_bits": code_bits,
            "rerank_candidates": rerank_candidates,
        }
        self._worker: SerialWorker | None = None
        self._conn: apsw.Connection | None = None
        self._indexes: dict[str, SqliteVecIndex] = {}

    def worker(self) -> SerialWorker:
        if self._worker is None:
            raise RuntimeError("SqliteVecIndexStore is not initialized (or was shut down)")
        return self._worker

    def _connection(self) -> apsw.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteVecIndexStore is not initialized (or was shut down)")
        return self._conn

    async def initialize(self) -> None:
        if self._worker is not None:
            return
        self._worker = SerialWorker("sqlite-vec")
        await self._worker.run(self._connect)

    def _connect(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = apsw.Connection(str(self.db_path))
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        conn.enable_load_extension(False)
        # another process (a second server, a backup) may hold the lock for a moment
        conn.set_busy_timeout(10_000)
        conn.execute("PRAGMA journal_mode=WAL", ()).fetchall()
        # FULL: a commit is on disk when it returns (NORMAL may lose the last commits on power loss)
        conn.execute("PRAGMA synchronous=FULL", ())
        create_catalog(conn)
        self._conn = conn

    async def open(self, index_id: str, dimension: int) -> SqliteVecIndex:
        if dimension <= 0:
            raise ValueError(f"dimension must be positive, got {dimension}")
        await self.initialize()
        return await self.worker().run(lambda: self._open(index_id, dimension))

    def _open(self, index_id: str, dimension: int) -> SqliteVecIndex:
        # the open-index table is only touched on the worker, so two concurrent opens share one index object
        index = self._indexes.get(index_id)
        if index is None:
            conn = self._connection()
            with transaction(conn):
                found = lookup_index(conn, index_id)
                if found is None:
                    number = register_index(conn, index_id, dimension)
                    ChunkTable(conn, number, with_embedding=False).create()
                    conn.execute(
                        f"CREATE VIRTUAL TABLE vec_{number} USING vec0(embedding float[{dimension}]"
                        " distance_metric=cosine)",
                        (),
                    )
                    found = (number, dimension)
            number, stored_dimension = found
            if stored_dimension != dimension:
                raise ValueError(
                    f"vector index {index_id!r} has dimension {stored_dimension}, not {dimension}"
                )
            mirror = VectorMirror(dimension, **self._mirror_options) if self.memory_mirror else None
            index = SqliteVecIndex(self, conn, index_id, number, dimension, mirror)
            index.load_mirror()
            self._indexes[index_id] = index
        elif index.dimension != dimension:
            raise ValueError(f"vector index {index_id!r} has dimension {index.dimension}, not {dimension}")
        return index

    def forget(self, index: SqliteVecIndex) -> None:
        if self._indexes.get(index.index_id) is index:
            del self._indexes[index.index_id]

    async def drop(self, index_id: str) -> None:
        await self.initialize()
        await self.worker().run(lambda: self._drop(index_id))

    def _drop(self, index_id: str) -> None:
        conn = self._connection()
        with transaction(conn):
            found = lookup_index(conn, index_id)
            if found is None:
                return
            ChunkTable(conn, found[0], with_embedding=False).drop()
            conn.execute(f"DROP TABLE IF EXISTS vec_{found[0]}", ())
            unregister_index(conn, index_id)
        if (opened := self._indexes.get(index_id)) is not None:
            opened.release()

    async def shutdown(self) -> None:
        if self._worker is None:
            return
        await self._worker.run(self._close)
        self._worker.stop()
        self._worker = None

    def _close(self) -> None:
        for index in list(self._indexes.values()):
            index.release()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
