"""inline::faiss storage: per index a faiss file (IndexIDMap2, inner product) beside a SQLite file of chunks.

Layout of ``directory``: ``chunks.sqlite`` (stdlib sqlite3, WAL) holds the catalog and, per index ``<n>``,
``chunks_<n>`` — text, JSON metadata, file id and the embedding as float32 bytes — with ``fts_<n>``
(FTS5, BM25) over the text; ``index_<n>.faiss`` holds the vectors, keyed by the chunk's row id
(``chunk_sql.ChunkTable``: ids only grow and are never reused). Vectors are L2-normalised before they
enter faiss, so inner product is cosine.

Durability comes from SQLite alone: a write is one transaction (``synchronous=FULL``) holding text,
metadata and embedding, committed before faiss is touched. The faiss file is a cache of those
embeddings, saved atomically (temp file, fsync, ``os.replace``, fsync of the directory) once
``save_every`` vector changes are pending or ``save_interval_s`` has passed since the last save
(checked after each write), and on close (``files.py``). Saving after every write would rewrite the
whole file (150 MB at 100k×384) per batch. After a crash, open reconciles: chunks in SQLite but not in
the file are re-added from their stored embeddings, vectors without a SQLite row are removed.

HNSW cannot remove vectors, so there a removed id becomes a tombstone, excluded from searches by an
``IDSelector`` (the graph still routes through it), and the index is rebuilt from SQLite once
tombstones exceed a quarter of it. ``ef_search`` (at least k) sets the accuracy of an HNSW query:
at the default 64 recall@10 is 1.00 at 100k clustered 384-d vectors (~1 ms a query), but on uniform
random vectors, which have no neighbourhood structure, it collapses (0.14 at 100k; 0.38 even at
ef=256) — there, or whenever exactness matters, use ``flat`` (~8 ms at 100k, single-threaded).

Threads: one worker thread per store owns the SQLite connection and every faiss index. OpenMP's
thread count is per calling thread, so the worker searches single-threaded — on two cores OpenMP's
fan-out makes one flat query at 100k ~40 ms instead of ~7 ms — and only HNSW inserts use all cores.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import faiss
import numpy as np

from llama_stack_providers.inline.vector_io.faiss.files import (
    Kind,
    SearchParametersHNSW,
    fits,
    index_path,
    new_index,
    read_or_none,
    save_atomically,
    stale_files,
    unit_rows,
)
from llama_stack_providers.utils.memory.chunk_sql import (
    ChunkTable,
    SerialWorker,
    WorkerIndex,
    check_dimensions,
    create_catalog,
    dedupe_last,
    embedding_matrix,
    index_numbers,
    lookup_index,
    query_array,
    register_index,
    transaction,
    unregister_index,
)
from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStats, ScoredChunk

T = TypeVar("T")

SQLITE_NAME = "chunks.sqlite"
_TOMBSTONE_FRACTION = 0.25


class FaissIndex(WorkerIndex):
    """One vector store: its SQLite tables and its faiss index; see the module docstring."""

    def __init__(
        self, store: FaissIndexStore, conn: sqlite3.Connection, index_id: str, number: int, dimension: int
    ) -> None:
        self.dimension = dimension
        self.index_id = index_id
        self.path = index_path(store.directory, number)
        self._store = store
        self._conn = conn
        self._table = ChunkTable(conn, number, with_embedding=True)
        self._index = self._new_index()
        self._tombstones: set[int] = set()
        self._selector: tuple[Any, Any] | None = None  # (IDSelectorNot, its IDSelectorBatch): both kept alive
        self._pending = 0
        self._last_save = time.monotonic()
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
            for row, chunk in enumerate(unique):
                rowids[row] = self._table.insert(chunk, matrix[row].tobytes())
        # faiss follows only a committed transaction; if the process dies here, open() catches up from SQLite
        self._remove_vectors(removed)
        self._add_vectors(rowids, matrix)
        self._after_write(len(removed) + len(unique))

    def _delete_where(self, select: Callable[[], list[int]]) -> int:
        with transaction(self._conn):
            removed = select()
        self._remove_vectors(removed)
        self._after_write(len(removed))
        return len(removed)

    # --- reads ---

    def _query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        query = unit_rows(query_array(embedding, self.dimension))
        k = min(k, self._index.ntotal - len(self._tombstones))
        if k <= 0:
            return []
        if self._store.kind == "hnsw":
            params = SearchParametersHNSW()
            params.efSearch = max(self._store.ef_search, k)
            if self._tombstones:
                params.sel = self._live_selector()
            scores, labels = self._index.search(query, k, params=params)
        else:
            scores, labels = self._index.search(query, k)
        hits = [
            (int(rowid), float(score))
            for rowid, score in zip(labels[0], scores[0], strict=True)
            if rowid >= 0
        ]
        found = self._table.rows_by_rowid([rowid for rowid, _ in hits])
        return [ScoredChunk(found[rowid].to_chunk(), score) for rowid, score in hits if rowid in found]

    async def get_chunks(self, chunk_ids: Sequence[str]) -> list[IndexedChunk]:
        rows = await self._run(lambda: self._table.rows_by_chunk_id(list(chunk_ids)))
        return [row.to_chunk(np.frombuffer(blob or b"", dtype=np.float32).tolist()) for row, blob in rows]

    def _stats(self) -> IndexStats:
        extra = {
            "backend": "faiss",
            "kind": self._store.kind,
            "dimension": self.dimension,
            "ntotal": int(self._index.ntotal),
            "tombstones": len(self._tombstones),
            "unsaved_changes": self._pending,
            "file": str(self.path),
        }
        return IndexStats(chunk_count=self._table.count(), extra=extra)

    # --- the faiss side, on the worker ---

    def _new_index(self) -> Any:
        store = self._store
        return new_index(self.dimension, store.kind, store.hnsw_m, store.ef_construction)

    def _add_vectors(self, rowids: np.ndarray, matrix: np.ndarray) -> None:
        if len(rowids) == 0:
            return
        hnsw = self._store.kind == "hnsw"
        # an HNSW insert is worth spreading over the cores; searches stay single-threaded (module docstring)
        faiss.omp_set_num_threads((os.cpu_count() or 1) if hnsw else 1)
        try:
            self._index.add_with_ids(unit_rows(matrix), np.ascontiguousarray(rowids, dtype=np.int64))
        finally:
            faiss.omp_set_num_threads(1)

    def _remove_vectors(self, rowids: Sequence[int] | np.ndarray) -> None:
        if len(rowids) == 0:
            return
        if self._store.kind == "hnsw":
            self._tombstones.update(int(rowid) for rowid in rowids)
            self._selector = None
        else:
            self._index.remove_ids(np.asarray(rowids, dtype=np.int64))

    def _live_selector(self) -> Any:
        if self._selector is None:
            batch = faiss.IDSelectorBatch(
                np.fromiter(self._tombstones, dtype=np.int64, count=len(self._tombstones))
            )
            self._selector = (faiss.IDSelectorNot(batch), batch)
        return self._selector[0]

    def _rebuild(self) -> None:
        self._index = self._new_index()
        self._tombstones.clear()
        self._selector = None
        for rowids, matrix in self._table.all_embeddings():
            self._add_vectors(rowids, matrix)

    def _compact(self) -> None:
        if len(self._tombstones) > _TOMBSTONE_FRACTION * self._index.ntotal:
            self._rebuild()

    def _after_write(self, changes: int) -> None:
        self._pending += changes
        self._compact()
        store = self._store
        if self._pending >= store.save_every or (
            self._pending and time.monotonic() - self._last_save >= store.save_interval_s
        ):
            self.save()

    def save(self) -> None:
        save_atomically(self._index, self.path)
        self._pending = 0
        self._last_save = time.monotonic()

    def load(self) -> None:
        """Read the file (rebuilding from SQLite if it is missing, unreadable or of other settings), then reconcile."""
        loaded = read_or_none(self.path)
        if loaded is None or not fits(loaded, self.dimension, self._store.kind, self._store.hnsw_m):
            self._rebuild()
            self.save()
            return
        self._index = loaded
        stored = self._table.rowids()
        indexed = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        extra = np.setdiff1d(indexed, stored)
        missing = np.setdiff1d(stored, indexed)
        self._remove_vectors(extra)
        for start in range(0, len(missing), 8192):
            self._add_vectors(*self._table.embeddings(missing[start : start + 8192].tolist()))
        if len(extra) or len(missing):
            self._compact()
            self.save()

    def release(self) -> None:
        if self._pending and not self._closed:
            self.save()
        self._closed = True
        self._index = None
        self._store.forget(self)

    def discard(self) -> None:
        """Forget the index without saving (it is being dropped)."""
        self._pending = 0
        self.release()


class FaissIndexStore:
    """All indexes of one inline::faiss provider, under ``directory``; see the module docstring."""

    def __init__(
        self,
        directory: str | Path,
        *,
        kind: Kind = "flat",
        hnsw_m: int = 32,
        ef_search: int = 64,
        ef_construction: int = 40,
        save_every: int = 20_000,
        save_interval_s: float = 60.0,
    ) -> None:
        if kind not in ("flat", "hnsw"):
            raise ValueError(f"kind must be 'flat' or 'hnsw', not {kind!r}")
        self.directory = Path(directory)
        self.kind: Kind = kind
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self.save_every = save_every
        self.save_interval_s = save_interval_s
        self._worker: SerialWorker | None = None
        self._conn: sqlite3.Connection | None = None
        self._indexes: dict[str, FaissIndex] = {}

    def worker(self) -> SerialWorker:
        if self._worker is None:
            raise RuntimeError("FaissIndexStore is not initialized (or was shut down)")
        return self._worker

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("FaissIndexStore is not initialized (or was shut down)")
        return self._conn

    async def initialize(self) -> None:
        if self._worker is not None:
            return
        self._worker = SerialWorker("faiss", initializer=lambda: faiss.omp_set_num_threads(1))
        await self._worker.run(self._connect)

    def _connect(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit (chunk_sql.transaction)
        conn = sqlite3.connect(self.directory / SQLITE_NAME, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("PRAGMA synchronous=FULL")
        create_catalog(conn)
        self._conn = conn
        for path in stale_files(self.directory, index_numbers(conn)):
            path.unlink()

    async def open(self, index_id: str, dimension: int) -> FaissIndex:
        if dimension <= 0:
            raise ValueError(f"dimension must be positive, got {dimension}")
        await self.initialize()
        return await self.worker().run(lambda: self._open(index_id, dimension))

    def _open(self, index_id: str, dimension: int) -> FaissIndex:
        # the open-index table is only touched on the worker, so two concurrent opens share one index object
        index = self._indexes.get(index_id)
        if index is None:
            conn = self._connection()
            with transaction(conn):
                found = lookup_index(conn, index_id)
                if found is None:
                    found = (register_index(conn, index_id, dimension), dimension)
                    ChunkTable(conn, found[0], with_embedding=True).create()
            if found[1] != dimension:
                raise ValueError(f"vector index {index_id!r} has dimension {found[1]}, not {dimension}")
            index = FaissIndex(self, conn, index_id, *found)
            index.load()
            self._indexes[index_id] = index
        elif index.dimension != dimension:
            raise ValueError(f"vector index {index_id!r} has dimension {index.dimension}, not {dimension}")
        return index

    def forget(self, index: FaissIndex) -> None:
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
            ChunkTable(conn, found[0], with_embedding=True).drop()
            unregister_index(conn, index_id)
        if (opened := self._indexes.get(index_id)) is not None:
            opened.discard()
        # after the commit: if this unlink is lost, initialize() removes the orphan file
        index_path(self.directory, found[0]).unlink(missing_ok=True)

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
