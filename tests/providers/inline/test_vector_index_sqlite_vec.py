"""inline::sqlite-vec storage: the conformance suite in three search modes; file layout, WAL, the mirror."""

from __future__ import annotations

import threading
from pathlib import Path

import apsw
import numpy as np
import pytest
import sqlite_vec

from llama_stack_providers.inline.vector_io.sqlite_vec.index import SqliteVecIndexStore
from llama_stack_providers.inline.vector_io.sqlite_vec.mirror import VectorMirror
from llama_stack_providers.utils.memory.index import IndexedChunk
from tests.providers.utils.vector_index_suite import (
    DIM,
    StoreFactory,
    VectorIndexConformance,
    chunk,
    corpus,
    ids,
    unit_vectors,
)


class TestSqliteVecConformance(VectorIndexConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return lambda: SqliteVecIndexStore(tmp_path / "vectors.db")


class TestSqliteVecWithoutMirrorConformance(VectorIndexConformance):
    """Queries go straight to vec0's KNN."""

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return lambda: SqliteVecIndexStore(tmp_path / "vectors.db", memory_mirror=False)


class TestSqliteVecQuantizedConformance(VectorIndexConformance):
    """The mirror's bit-code pre-filter on even the smallest index, re-ranking 30 candidates."""

    approximate = True

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return lambda: SqliteVecIndexStore(tmp_path / "vectors.db", quantized_above=0, rerank_candidates=30)


def raw_connection(path: Path) -> apsw.Connection:
    conn = apsw.Connection(str(path))
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    return conn


async def test_one_wal_database_holds_every_index(tmp_path: Path) -> None:
    store = SqliteVecIndexStore(tmp_path / "vectors.db")
    await store.initialize()
    try:
        first = await store.open("first", DIM)
        second = await store.open("second", 2 * DIM)
        await first.add(corpus(10)[0])
        await second.add([chunk("x", unit_vectors(1, 2 * DIM)[0])])
        assert {p.name for p in tmp_path.iterdir()} == {"vectors.db", "vectors.db-wal", "vectors.db-shm"}
        assert any(t.name.startswith("sqlite-vec") for t in threading.enumerate())
        conn = raw_connection(tmp_path / "vectors.db")
        assert conn.execute("PRAGMA journal_mode").fetchall() == [("wal",)]
        assert conn.execute("SELECT index_id, dimension FROM vector_indexes ORDER BY number").fetchall() == [
            ("first", DIM),
            ("second", 2 * DIM),
        ]
        tables = {
            row[0]: row[1] for row in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        }
        assert {"chunks_1", "fts_1", "vec_1", "chunks_2", "fts_2", "vec_2"} <= set(tables)
        assert f"float[{DIM}] distance_metric=cosine" in tables["vec_1"]
        # vec0 is the durable copy of the vectors: its own KNN agrees with the store
        query = unit_vectors(1, seed=3)[0]
        rows = conn.execute(
            "SELECT rowid FROM vec_1 WHERE embedding MATCH ? AND k = 3", (query.tobytes(),)
        ).fetchall()
        names = [
            conn.execute("SELECT chunk_id FROM chunks_1 WHERE rowid = ?", row).fetchone()[0] for row in rows
        ]
        assert names == ids(await first.query_vector(query.tolist(), 3))
        conn.close()
    finally:
        await store.shutdown()


async def test_mirror_and_vec0_agree_after_updates(tmp_path: Path) -> None:
    chunks, _ = corpus(200)
    store = SqliteVecIndexStore(tmp_path / "vectors.db")
    await store.initialize()
    try:
        index = await store.open("main", DIM)
        await index.add(chunks)
        await index.delete([f"c{i}" for i in range(0, 200, 7)])
        await index.add([chunk("c3", unit_vectors(1, seed=99)[0]), chunk("new", unit_vectors(1, seed=98)[0])])
        assert await index.delete_file("file-1") > 0
        queries = unit_vectors(5, seed=4)
        from_mirror = [ids(await index.query_vector(q.tolist(), 15)) for q in queries]
    finally:
        await store.shutdown()
    direct = SqliteVecIndexStore(tmp_path / "vectors.db", memory_mirror=False)
    await direct.initialize()
    try:
        index = await direct.open("main", DIM)
        assert [ids(await index.query_vector(q.tolist(), 15)) for q in queries] == from_mirror
        assert (await index.stats()).extra["search"] == "vec0"
    finally:
        await direct.shutdown()


async def test_a_failed_write_leaves_no_trace(tmp_path: Path) -> None:
    store = SqliteVecIndexStore(tmp_path / "vectors.db")
    await store.initialize()
    try:
        index = await store.open("main", DIM)
        good, other = unit_vectors(2, seed=5)
        await index.add([chunk("kept", good, "kept words")])
        unserialisable = IndexedChunk(
            "broken", "broken words", {"file_id": "", "when": object()}, other.tolist()
        )
        with pytest.raises(TypeError):
            await index.add([chunk("kept", other, "replaced words"), unserialisable])
        (kept,) = await index.get_chunks(["kept", "broken"])
        assert kept.content == "kept words"
        assert np.allclose(kept.embedding, good, atol=1e-6)
        assert ids(await index.query_vector(other.tolist(), 5)) == ["kept"]  # the mirror did not move either
        assert await index.query_keyword("broken replaced", 5) == []
    finally:
        await store.shutdown()


def test_mirror_quantized_recall_on_uniform_vectors() -> None:
    """Uniform random vectors are the pre-filter's worst case (no clusters): recall@10 must still be ≥ 0.95."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((20_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((40, 384)).astype(np.float32)
    mirror = VectorMirror(384, quantized_above=0)  # the default 3000 candidates
    mirror.add(np.arange(20_000, dtype=np.int64), vectors)
    removed = np.arange(0, 20_000, 10)
    mirror.remove(removed.tolist())  # removal moves the last slots into the holes
    live = np.setdiff1d(np.arange(20_000), removed)
    truth = live[np.argsort(-(queries @ vectors[live].T), axis=1)[:, :10]]
    found = [mirror.search(query, 10)[0] for query in queries]
    recall = np.mean([len(np.intersect1d(got, best)) / 10 for got, best in zip(found, truth, strict=True)])
    assert recall >= 0.95
    assert not np.isin(np.concatenate(found), removed).any()
    rowids, scores = mirror.search(queries[0], 10)
    unit = queries[0] / np.linalg.norm(queries[0])
    assert np.allclose(scores, vectors[rowids] @ unit, atol=1e-5)
