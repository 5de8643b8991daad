"""Chunk rows, FTS5 search and the one-thread worker shared by the SQLite-backed stores (sqlite-vec, faiss)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np

from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStats, ScoredChunk

T = TypeVar("T")

CATALOG = "vector_indexes"
# SQLite accepts 32766 bound parameters; far fewer keeps each statement cheap to prepare.
_IN_BATCH = 500
# Postgres' english.stop, as the pgvector and Qdrant stores use, so every backend ignores the same words.
_STOP_WORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can did do does doing don down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such t s than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
# FTS5's unicode61 tokenizer keeps letters and digits and splits on everything else, underscore included.
_TOKEN = re.compile(r"[^\W_]+")


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What both ``sqlite3.Connection`` (autocommit mode) and ``apsw.Connection`` offer."""

    def execute(self, sql: str, bindings: Sequence[Any] = ..., /) -> Cursor: ...


class ChunkRow(NamedTuple):
    rowid: int
    chunk_id: str
    content: str
    metadata: str

    def to_chunk(self, embedding: Sequence[float] = ()) -> IndexedChunk:
        return IndexedChunk(self.chunk_id, self.content, json.loads(self.metadata), embedding)


class SerialWorker:
    """A single thread that owns one SQLite connection: SQLite connections are not thread-safe, so every call
    on it runs there, one at a time, off the event loop."""

    def __init__(self, name: str, initializer: Callable[[], None] | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name, initializer=initializer)

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def stop(self) -> None:
        # called after the last job has completed, so the thread is idle and exits at once
        self._pool.shutdown(wait=False)


@contextmanager
def transaction(conn: Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: the write lock up front, so a writer never fails half-way on a busy db."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def fts_match_expression(query: str) -> str | None:
    """The FTS5 MATCH expression for ``query``: its non-stop words, quoted, OR-ed; ``None`` if it has none."""
    words = _TOKEN.findall(unicodedata.normalize("NFKC", query).lower())
    # quoting makes every word a plain string, so FTS5 operators (AND, NEAR, ^, *) in user text are inert
    terms = dict.fromkeys(f'"{word}"' for word in words if word not in STOP_WORDS)
    return " OR ".join(terms) if terms else None


def dedupe_last(chunks: Sequence[IndexedChunk]) -> list[IndexedChunk]:
    """Later chunks with the same id win, as if added one by one (so a replaced chunk moves to the end)."""
    latest = {chunk.chunk_id: position for position, chunk in enumerate(chunks)}
    return [chunk for position, chunk in enumerate(chunks) if latest[chunk.chunk_id] == position]


def check_dimensions(chunks: Sequence[IndexedChunk], dimension: int) -> None:
    """``ValueError`` unless every embedding has ``dimension`` components (checked before anything is written)."""
    for chunk in chunks:
        if len(chunk.embedding) != dimension:
            raise ValueError(
                f"chunk {chunk.chunk_id!r} has a {len(chunk.embedding)}-dimensional embedding; the index has {dimension}"
            )


def embedding_matrix(chunks: Sequence[IndexedChunk], dimension: int) -> np.ndarray:
    """The chunks' embeddings (already checked) as a float32 ``(n, dimension)`` matrix."""
    matrix = np.empty((len(chunks), dimension), dtype=np.float32)
    for row, chunk in enumerate(chunks):
        matrix[row] = chunk.embedding
    return matrix


def query_array(embedding: Sequence[float], dimension: int) -> np.ndarray:
    query = np.asarray(embedding, dtype=np.float32).reshape(-1)
    if query.shape[0] != dimension:
        raise ValueError(f"query has {query.shape[0]} dimensions; the index has {dimension}")
    return query


def batched(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _IN_BATCH):
        yield items[start : start + _IN_BATCH]


def marks(count: int) -> str:
    return ",".join("?" * count)


# --- the catalog: one row per index; its integer id names the index's tables (and files) ---


def create_catalog(conn: Connection) -> None:
    # AUTOINCREMENT: a dropped index's number is never reused, so no leftover table or file can be mistaken for it
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {CATALOG} (number INTEGER PRIMARY KEY AUTOINCREMENT,"
        " index_id TEXT NOT NULL UNIQUE, dimension INTEGER NOT NULL)"
    )


def lookup_index(conn: Connection, index_id: str) -> tuple[int, int] | None:
    """``(number, dimension)`` of ``index_id``, or ``None``."""
    row = conn.execute(f"SELECT number, dimension FROM {CATALOG} WHERE index_id = ?", (index_id,)).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def register_index(conn: Connection, index_id: str, dimension: int) -> int:
    row = conn.execute(
        f"INSERT INTO {CATALOG} (index_id, dimension) VALUES (?, ?) RETURNING number", (index_id, dimension)
    ).fetchone()
    return int(row[0])


def unregister_index(conn: Connection, index_id: str) -> None:
    conn.execute(f"DELETE FROM {CATALOG} WHERE index_id = ?", (index_id,))


def index_numbers(conn: Connection) -> set[int]:
    return {int(row[0]) for row in conn.execute(f"SELECT number FROM {CATALOG}", ()).fetchall()}


class ChunkTable:
    """The rows of one index (``chunks_<n>``) and their FTS5 index (``fts_<n>``), kept in step by triggers.

    Row ids come from AUTOINCREMENT: they only grow, so they order a file's chunks by insertion, and a
    removed chunk's id is never given to another — the vector side can key its vectors by row id and
    tell a stale vector from a live one.
    """

    def __init__(self, conn: Connection, number: int, *, with_embedding: bool) -> None:
        self._conn = conn
        self.chunks = f"chunks_{number}"
        self.fts = f"fts_{number}"
        self._with_embedding = with_embedding

    def create(self) -> None:
        embedding = ", embedding BLOB NOT NULL" if self._with_embedding else ""
        statements = [
            f"CREATE TABLE {self.chunks} (rowid INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE,"
            f" file_id TEXT NOT NULL, content TEXT NOT NULL, metadata TEXT NOT NULL{embedding})",
            f"CREATE INDEX {self.chunks}_file ON {self.chunks} (file_id, rowid)",
            # external content: the text is stored once, in the chunk table; remove_diacritics folds é to e
            f"CREATE VIRTUAL TABLE {self.fts} USING fts5(content, content='{self.chunks}', content_rowid='rowid',"
            " tokenize='unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER {self.chunks}_ai AFTER INSERT ON {self.chunks} BEGIN"
            f" INSERT INTO {self.fts} (rowid, content) VALUES (new.rowid, new.content); END",
            f"CREATE TRIGGER {self.chunks}_ad AFTER DELETE ON {self.chunks} BEGIN"
            f" INSERT INTO {self.fts} ({self.fts}, rowid, content) VALUES ('delete', old.rowid, old.content); END",
        ]
        for statement in statements:
            self._conn.execute(statement, ())

    def drop(self) -> None:
        # the triggers and the file index go with their table
        self._conn.execute(f"DROP TABLE IF EXISTS {self.fts}", ())
        self._conn.execute(f"DROP TABLE IF EXISTS {self.chunks}", ())

    def insert(self, chunk: IndexedChunk, embedding: bytes | None = None) -> int:
        metadata = json.dumps(chunk.metadata, ensure_ascii=False, separators=(",", ":"))
        file_id = str(chunk.metadata.get("file_id", ""))
        values: tuple[Any, ...] = (chunk.chunk_id, file_id, chunk.content, metadata)
        columns = "chunk_id, file_id, content, metadata"
        if self._with_embedding:
            values += (embedding,)
            columns += ", embedding"
        sql = f"INSERT INTO {self.chunks} ({columns}) VALUES ({marks(len(values))}) RETURNING rowid"
        return int(self._conn.execute(sql, values).fetchone()[0])

    def delete_ids(self, chunk_ids: Sequence[str]) -> list[int]:
        """Delete these chunks; the row ids that were removed."""
        removed: list[int] = []
        for batch in batched(chunk_ids):
            sql = f"DELETE FROM {self.chunks} WHERE chunk_id IN ({marks(len(batch))}) RETURNING rowid"
            removed.extend(int(row[0]) for row in self._conn.execute(sql, tuple(batch)).fetchall())
        return removed

    def delete_file(self, file_id: str) -> list[int]:
        sql = f"DELETE FROM {self.chunks} WHERE file_id = ? RETURNING rowid"
        return [int(row[0]) for row in self._conn.execute(sql, (file_id,)).fetchall()]

    def file_chunk_ids(self, file_id: str) -> list[str]:
        sql = f"SELECT chunk_id FROM {self.chunks} WHERE file_id = ? ORDER BY rowid"
        return [str(row[0]) for row in self._conn.execute(sql, (file_id,)).fetchall()]

    def rows_by_rowid(self, rowids: Sequence[int]) -> dict[int, ChunkRow]:
        found: dict[int, ChunkRow] = {}
        for batch in batched(rowids):
            sql = f"SELECT rowid, chunk_id, content, metadata FROM {self.chunks} WHERE rowid IN ({marks(len(batch))})"
            for row in self._conn.execute(sql, tuple(batch)).fetchall():
                found[int(row[0])] = ChunkRow(*row)
        return found

    def rows_by_chunk_id(self, chunk_ids: Sequence[str]) -> list[tuple[ChunkRow, bytes | None]]:
        """The rows with these ids, each with its stored embedding (``None`` where the vector lives elsewhere)."""
        embedding = "embedding" if self._with_embedding else "NULL"
        found: list[tuple[ChunkRow, bytes | None]] = []
        for batch in batched(list(dict.fromkeys(chunk_ids))):
            sql = (
                f"SELECT rowid, chunk_id, content, metadata, {embedding} FROM {self.chunks}"
                f" WHERE chunk_id IN ({marks(len(batch))})"
            )
            found.extend(
                (ChunkRow(*row[:4]), row[4]) for row in self._conn.execute(sql, tuple(batch)).fetchall()
            )
        return found

    def keyword(self, query: str, k: int) -> list[tuple[ChunkRow, float]]:
        """BM25 matches, best first; FTS5's ``rank`` is bm25(), lower is better, so the score is its negation."""
        expression = fts_match_expression(query)
        if expression is None or k <= 0:
            return []
        sql = (
            f"SELECT c.rowid, c.chunk_id, c.content, c.metadata, -f.rank FROM {self.fts} AS f"
            f" JOIN {self.chunks} AS c ON c.rowid = f.rowid WHERE {self.fts} MATCH ? ORDER BY f.rank LIMIT ?"
        )
        return [
            (ChunkRow(*row[:4]), float(row[4])) for row in self._conn.execute(sql, (expression, k)).fetchall()
        ]

    def count(self) -> int:
        return int(self._conn.execute(f"SELECT count(*) FROM {self.chunks}", ()).fetchone()[0])

    def rowids(self) -> np.ndarray:
        rows = self._conn.execute(f"SELECT rowid FROM {self.chunks}", ()).fetchall()
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def embeddings(self, rowids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(rowids, float32 matrix)`` of the stored embeddings of these rows (those that exist)."""
        ids: list[int] = []
        blobs: list[bytes] = []
        for batch in batched(rowids):
            sql = f"SELECT rowid, embedding FROM {self.chunks} WHERE rowid IN ({marks(len(batch))})"
            for rowid, blob in self._conn.execute(sql, tuple(batch)).fetchall():
                ids.append(int(rowid))
                blobs.append(blob)
        return np.array(ids, dtype=np.int64), blobs_to_matrix(blobs)

    def all_embeddings(self, batch_size: int = 8192) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every stored embedding, ``batch_size`` rows at a time, so a rebuild never holds all the blobs at once."""
        cursor = iter(self._conn.execute(f"SELECT rowid, embedding FROM {self.chunks} ORDER BY rowid", ()))
        while batch := list(itertools.islice(cursor, batch_size)):
            yield (
                np.array([row[0] for row in batch], dtype=np.int64),
                blobs_to_matrix([row[1] for row in batch]),
            )


def blobs_to_matrix(blobs: Sequence[bytes], dimension: int | None = None) -> np.ndarray:
    if not blobs:
        return np.empty((0, dimension or 0), dtype=np.float32)
    flat = np.frombuffer(b"".join(blobs), dtype=np.float32)
    return flat.reshape(len(blobs), -1).copy()


class WorkerIndex(ABC):
    """The async surface both SQLite-backed indexes share: every call runs on the store's one worker thread,
    and none once the index is closed. Subclasses do the work on the worker: ``_add``, ``_delete_where``
    (delete the rowids ``select`` returns, in a transaction), ``_query_vector``, ``_stats``, ``release``."""

    index_id: str
    dimension: int
    _table: ChunkTable
    _closed: bool

    @abstractmethod
    def _worker(self) -> SerialWorker:
        """The store's worker thread."""

    async def _run(self, fn: Callable[[], T]) -> T:
        def guarded() -> T:
            # checked on the worker, so a call queued behind close() or drop() cannot touch a released index
            if self._closed:
                raise RuntimeError(f"vector index {self.index_id!r} is closed")
            return fn()

        return await self._worker().run(guarded)

    @abstractmethod
    def _add(self, chunks: Sequence[IndexedChunk]) -> None: ...

    @abstractmethod
    def _delete_where(self, select: Callable[[], list[int]]) -> int: ...

    @abstractmethod
    def _query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]: ...

    @abstractmethod
    def _stats(self) -> IndexStats: ...

    @abstractmethod
    def release(self) -> None: ...

    async def add(self, chunks: Sequence[IndexedChunk]) -> None:
        await self._run(lambda: self._add(chunks))

    async def delete(self, chunk_ids: Sequence[str]) -> None:
        await self._run(lambda: self._delete_where(lambda: self._table.delete_ids(list(chunk_ids))))

    async def delete_file(self, file_id: str) -> int:
        return await self._run(lambda: self._delete_where(lambda: self._table.delete_file(file_id)))

    async def query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        return await self._run(lambda: self._query_vector(embedding, k))

    async def query_keyword(self, query: str, k: int) -> list[ScoredChunk]:
        hits = await self._run(lambda: self._table.keyword(query, k))
        return [ScoredChunk(row.to_chunk(), score) for row, score in hits]

    async def file_chunk_ids(self, file_id: str) -> list[str]:
        return await self._run(lambda: self._table.file_chunk_ids(file_id))

    async def stats(self) -> IndexStats:
        return await self._run(self._stats)

    async def close(self) -> None:
        await self._run(self.release)
