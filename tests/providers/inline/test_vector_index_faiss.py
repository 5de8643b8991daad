"""inline::faiss storage: conformance (flat and HNSW), crash reconciliation, atomic files, HNSW recall."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from llama_stack_providers.inline.vector_io.faiss.index import SQLITE_NAME, FaissIndexStore
from llama_stack_providers.utils.memory.chunk_sql import ChunkTable, transaction
from tests.providers.utils.vector_index_suite import (
    DIM,
    StoreFactory,
    VectorIndexConformance,
    chunk,
    corpus,
    ids,
    unit_vectors,
)


class TestFaissFlatConformance(VectorIndexConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return lambda: FaissIndexStore(tmp_path / "faiss")


class TestFaissHnswConformance(VectorIndexConformance):
    approximate = True

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        return lambda: FaissIndexStore(tmp_path / "faiss", kind="hnsw", hnsw_m=16)


def clustered(count: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around count/50 random centres: the shape of real embeddings, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, count // 50), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = centres[rng.integers(0, len(centres), count)] + 0.8 * rng.standard_normal((count, dim)).astype(
        np.float32
    ) / np.sqrt(dim)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def exact_ids(vectors: np.ndarray, query: np.ndarray, k: int, alive: np.ndarray | None = None) -> list[str]:
    scores = vectors @ query
    if alive is not None:
        scores = np.where(alive, scores, -np.inf)
    return [f"c{i}" for i in np.argsort(-scores, kind="stable")[:k]]


async def stats_extra(store: FaissIndexStore, index_id: str) -> dict[str, object]:
    return (await (await store.open(index_id, DIM)).stats()).extra


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
async def test_a_crash_before_the_faiss_save_is_reconciled_at_open(tmp_path: Path, kind: str) -> None:
    """Snapshot the directory while writes are only in SQLite (as a crash would leave it), then open the copy."""
    chunks, vectors = corpus(200)
    store = FaissIndexStore(tmp_path / "live", kind=kind, save_every=10**9, save_interval_s=float("inf"))
    await store.initialize()
    try:
        index = await store.open("main", DIM)
        await index.add(chunks[:100])
        await index.close()  # saved: the file holds c0..c99
        index = await store.open("main", DIM)
        await index.add(chunks[100:])  # in SQLite and in memory, not in the file
        await index.delete([f"c{i}" for i in range(0, 100, 4)])  # removed from SQLite, still in the file
        assert (await index.stats()).extra["unsaved_changes"] == 125
        shutil.copytree(tmp_path / "live", tmp_path / "crashed")  # db, -wal and the stale faiss file
    finally:
        await store.shutdown()
    alive = np.ones(200, dtype=bool)
    alive[0:100:4] = False
    recovered = FaissIndexStore(tmp_path / "crashed", kind=kind)
    await recovered.initialize()
    try:
        index = await recovered.open("main", DIM)
        stats = await index.stats()
        assert stats.chunk_count == 175
        assert stats.extra["ntotal"] - stats.extra["tombstones"] == 175
        assert stats.extra["unsaved_changes"] == 0  # reconciliation saved the repaired file
        for query in unit_vectors(5, seed=20):
            assert ids(await index.query_vector(query.tolist(), 10)) == exact_ids(vectors, query, 10, alive)
    finally:
        await recovered.shutdown()


async def test_sqlite_rows_without_vectors_and_vectors_without_rows(tmp_path: Path) -> None:
    """Rows written to SQLite behind the store's back are indexed at open; rows deleted there are unindexed."""
    chunks, vectors = corpus(60)
    store = FaissIndexStore(tmp_path / "faiss")
    await store.initialize()
    try:
        await (await store.open("main", DIM)).add(chunks[:40])
    finally:
        await store.shutdown()
    conn = sqlite3.connect(tmp_path / "faiss" / SQLITE_NAME, isolation_level=None)
    table = ChunkTable(conn, 1, with_embedding=True)
    with transaction(conn):
        for item in chunks[40:]:
            table.insert(item, np.asarray(item.embedding, dtype=np.float32).tobytes())
        table.delete_ids(["c0", "c1", "c2"])
    conn.close()
    store = FaissIndexStore(tmp_path / "faiss")
    await store.initialize()
    try:
        index = await store.open("main", DIM)
        assert (await index.stats()).extra["ntotal"] == 57
        alive = np.ones(60, dtype=bool)
        alive[:3] = False
        for query in [vectors[0], vectors[50], *unit_vectors(3, seed=21)]:
            assert ids(await index.query_vector(query.tolist(), 8)) == exact_ids(vectors, query, 8, alive)
    finally:
        await store.shutdown()


async def test_saves_are_atomic_and_leftovers_are_cleaned(tmp_path: Path) -> None:
    directory = tmp_path / "faiss"
    store = FaissIndexStore(directory, save_every=50)
    await store.initialize()
    try:
        index = await store.open("main", DIM)
        await index.add(corpus(60)[0])  # past save_every: saved at once
        assert (await index.stats()).extra["unsaved_changes"] == 0
        assert sorted(p.name for p in directory.iterdir() if "faiss" in p.name) == ["index_1.faiss"]
        await store.open("other", DIM)
        await store.drop("other")
        assert not (directory / "index_2.faiss").exists()
    finally:
        await store.shutdown()
    (directory / "index_1.faiss.tmp").write_bytes(b"half a save")
    (directory / "index_7.faiss").write_bytes(b"an index dropped mid-way")
    (directory / "index_1.faiss").write_bytes(b"corrupt")  # unreadable: rebuilt from SQLite
    store = FaissIndexStore(directory)
    await store.initialize()
    try:
        assert sorted(p.name for p in directory.iterdir() if "faiss" in p.name) == ["index_1.faiss"]
        index = await store.open("main", DIM)
        assert (await index.stats()).extra["ntotal"] == 60
        assert ids(await index.query_vector(corpus(60)[1][9].tolist(), 1)) == ["c9"]
    finally:
        await store.shutdown()


async def test_changing_kind_rebuilds_the_index(tmp_path: Path) -> None:
    chunks, vectors = corpus(100)
    flat = FaissIndexStore(tmp_path / "faiss")
    await flat.initialize()
    try:
        await (await flat.open("main", DIM)).add(chunks)
    finally:
        await flat.shutdown()
    hnsw = FaissIndexStore(tmp_path / "faiss", kind="hnsw")
    await hnsw.initialize()
    try:
        index = await hnsw.open("main", DIM)
        assert (await index.stats()).extra["kind"] == "hnsw"
        assert ids(await index.query_vector(vectors[42].tolist(), 1)) == ["c42"]
    finally:
        await hnsw.shutdown()


async def test_hnsw_recall_and_tombstones(tmp_path: Path) -> None:
    dim, count = 64, 3000
    vectors = clustered(count, dim, seed=1)
    queries = clustered(100, dim, seed=2)
    store = FaissIndexStore(tmp_path / "faiss", kind="hnsw")  # defaults: M=32, ef_search=64
    await store.initialize()
    try:
        index = await store.open("main", dim)
        await index.add([chunk(f"c{i}", v) for i, v in enumerate(vectors)])
        alive = np.ones(count, dtype=bool)

        async def recall() -> float:
            found = []
            for query in queries:
                truth = exact_ids(vectors, query, 10, alive)
                found.append(len(set(ids(await index.query_vector(query.tolist(), 10))) & set(truth)) / 10)
            return float(np.mean(found))

        assert await recall() >= 0.95
        deleted = [f"c{i}" for i in range(0, count, 10)]  # 10%: kept as tombstones
        await index.delete(deleted)
        alive[::10] = False
        assert (await index.stats()).extra["tombstones"] == len(deleted)
        assert await recall() >= 0.95
        await index.delete_file("")  # every chunk: past a quarter, the graph is rebuilt
        stats = await index.stats()
        assert (stats.chunk_count, stats.extra["ntotal"], stats.extra["tombstones"]) == (0, 0, 0)
    finally:
        await store.shutdown()
