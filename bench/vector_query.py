"""Query latency, recall and insert rate of the inline vector-io stores (sqlite-vec, faiss flat, faiss HNSW).

Usage: python bench/vector_query.py [--sizes 10000,100000] [--data uniform,clustered] [--dim 384]
                                   [--queries 200] [--k 10] [--stores sqlite-vec,faiss-flat,faiss-hnsw]

For each data set and size it builds seeded unit vectors with a short text each (12 words from a
Zipf-distributed vocabulary), inserts them through ``VectorIndex.add`` in batches of 1000 (chunks/s:
the SQLite commits, FTS5, vec0 or faiss, and sqlite-vec's in-memory mirror), then times ``--queries``
vector queries one at a time (p50/p95, recall@k against exact numpy cosine) and as many two-word
keyword queries. Data sets: ``uniform`` — random unit vectors, the worst case for every approximate
method (no clusters: HNSW's graph and the SimHash pre-filter have no structure to exploit);
``clustered`` — unit vectors around size/50 random centres, queries drawn the same way, closer to real
embeddings. sqlite-vec is measured in three query modes over one database: its default (the mirror,
exact up to 20k vectors, SimHash pre-filter + exact re-rank above), the mirror forced exact, and vec0's
own KNN without the mirror ("open s" is the time to open the index, i.e. to load the mirror).
The machine's load average is printed: on a shared machine, compare rows of one run only.
It asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llama_stack_providers.inline.vector_io.faiss.index import FaissIndexStore
from llama_stack_providers.inline.vector_io.sqlite_vec.index import SqliteVecIndexStore
from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStore, VectorIndex

INDEX_ID = "bench"
BATCH = 1000


@dataclass
class Corpus:
    vectors: np.ndarray
    texts: list[str]
    queries: np.ndarray
    keyword_queries: list[str]
    truth: np.ndarray  # exact top-k ids per query


@dataclass
class Row:
    data: str
    size: int
    store: str
    insert_rate: float | None
    open_s: float
    p50_ms: float
    p95_ms: float
    recall: float
    kw_p50_ms: float | None = None
    kw_p95_ms: float | None = None


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def make_corpus(data: str, size: int, dim: int, queries: int, k: int, seed: int) -> Corpus:
    rng = np.random.default_rng(seed)
    if data == "uniform":
        vectors = unit(rng.standard_normal((size, dim), dtype=np.float32))
        query_vectors = unit(rng.standard_normal((queries, dim), dtype=np.float32))
    else:
        centres = unit(rng.standard_normal((max(1, size // 50), dim), dtype=np.float32))

        def around(count: int) -> np.ndarray:
            noise = rng.standard_normal((count, dim), dtype=np.float32) * (0.8 / np.sqrt(dim))
            return unit(centres[rng.integers(0, len(centres), count)] + noise)

        vectors, query_vectors = around(size), around(queries)
    vocabulary = [f"w{i}" for i in range(5000)]
    ranks = np.minimum(rng.zipf(1.2, size=(size, 12)), len(vocabulary)) - 1
    texts = [" ".join(vocabulary[r] for r in row) for row in ranks]
    # mid-frequency words: common enough to match, rare enough to rank
    keyword_queries = [f"w{a} w{b}" for a, b in rng.integers(5, 200, size=(queries, 2))]
    truth = np.empty((queries, k), dtype=np.int64)
    for start in range(0, queries, 50):
        scores = query_vectors[start : start + 50] @ vectors.T
        truth[start : start + 50] = np.argsort(-scores, axis=1)[:, :k]
    return Corpus(vectors, texts, query_vectors, keyword_queries, truth)


def batches(corpus: Corpus) -> Iterator[list[IndexedChunk]]:
    for start in range(0, len(corpus.texts), BATCH):
        end = min(start + BATCH, len(corpus.texts))
        rows = corpus.vectors[start:end].tolist()
        yield [
            IndexedChunk(f"c{i}", corpus.texts[i], {"file_id": f"f{i // 100}"}, rows[i - start])
            for i in range(start, end)
        ]


async def insert(index: VectorIndex, corpus: Corpus) -> float:
    elapsed = 0.0
    for batch in batches(corpus):  # building the chunk objects is the caller's cost, not the store's
        start = time.perf_counter()
        await index.add(batch)
        elapsed += time.perf_counter() - start
    return len(corpus.texts) / elapsed


def percentiles(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)) * 1000, float(np.percentile(samples, 95)) * 1000


async def measure(index: VectorIndex, corpus: Corpus, k: int, keywords: bool) -> tuple[float, ...]:
    await index.query_vector(corpus.queries[0].tolist(), k)  # warm caches
    latencies, recalls = [], []
    for query, truth in zip(corpus.queries, corpus.truth, strict=True):
        start = time.perf_counter()
        hits = await index.query_vector(query.tolist(), k)
        latencies.append(time.perf_counter() - start)
        found = {int(hit.chunk.chunk_id[1:]) for hit in hits}
        recalls.append(len(found & set(truth.tolist())) / k)
    p50, p95 = percentiles(latencies)
    if not keywords:
        return p50, p95, float(np.mean(recalls))
    keyword_latencies = []
    for text in corpus.keyword_queries:
        start = time.perf_counter()
        await index.query_keyword(text, k)
        keyword_latencies.append(time.perf_counter() - start)
    return p50, p95, float(np.mean(recalls)), *percentiles(keyword_latencies)


async def run_store(
    name: str,
    make: Callable[[], IndexStore],
    corpus: Corpus,
    args: argparse.Namespace,
    label: tuple[str, int],
) -> list[Row]:
    rows = []
    store = make()
    await store.initialize()
    try:
        index = await store.open(INDEX_ID, args.dim)
        rate = await insert(index, corpus)
        await index.close()  # faiss saves its file here; reopening measures the load
        start = time.perf_counter()
        index = await store.open(INDEX_ID, args.dim)
        open_s = time.perf_counter() - start
        rows.append(Row(*label, name, rate, open_s, *await measure(index, corpus, args.k, keywords=True)))
        print(f"  {label[0]} {label[1]}: {name} done", flush=True)
    finally:
        await store.shutdown()
    return rows


async def run_sqlite_vec_modes(
    path: Path, corpus: Corpus, args: argparse.Namespace, label: tuple[str, int]
) -> list[Row]:
    """The same database, reopened with the mirror forced exact and without the mirror."""
    rows = []
    for name, options in (
        ("sqlite-vec mirror exact", {"quantized_above": 10**12}),
        ("sqlite-vec vec0 only", {"memory_mirror": False}),
    ):
        store = SqliteVecIndexStore(path, **options)  # type: ignore[arg-type]
        await store.initialize()
        try:
            start = time.perf_counter()
            index = await store.open(INDEX_ID, args.dim)
            open_s = time.perf_counter() - start
            rows.append(
                Row(*label, name, None, open_s, *await measure(index, corpus, args.k, keywords=False))
            )
        finally:
            await store.shutdown()
    return rows


async def main(args: argparse.Namespace) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    rows: list[Row] = []
    stores = set(args.stores.split(","))
    for data in args.data.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            corpus = make_corpus(data, size, args.dim, args.queries, args.k, args.seed)
            label = (data, size)
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "vectors.db"
                if "sqlite-vec" in stores:
                    rows += await run_store(
                        "sqlite-vec", functools.partial(SqliteVecIndexStore, db), corpus, args, label
                    )
                    rows += await run_sqlite_vec_modes(db, corpus, args, label)
                if "faiss-flat" in stores:
                    make = functools.partial(FaissIndexStore, Path(tmp) / "flat")
                    rows += await run_store("faiss flat", make, corpus, args, label)
                if "faiss-hnsw" in stores:
                    make = functools.partial(
                        FaissIndexStore, Path(tmp) / "hnsw", kind="hnsw", ef_search=args.ef_search
                    )
                    rows += await run_store(f"faiss hnsw ef={args.ef_search}", make, corpus, args, label)
    print_rows(rows)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def print_rows(rows: list[Row]) -> None:
    if not rows:
        return
    header = (
        f"{'data':<10}{'chunks':>8}  {'store':<26}{'insert/s':>9}{'open s':>8}"
        f"{'vec p50':>9}{'vec p95':>9}{'recall':>8}{'kw p50':>8}{'kw p95':>8}"
    )
    print(header)
    print("-" * len(header))

    def fmt(value: float | None, spec: str) -> str:
        return format(value, spec) if value is not None else "-"

    for r in rows:
        print(
            f"{r.data:<10}{r.size:>8}  {r.store:<26}{fmt(r.insert_rate, '.0f'):>9}{r.open_s:>8.2f}"
            f"{r.p50_ms:>9.2f}{r.p95_ms:>9.2f}{r.recall:>8.3f}{fmt(r.kw_p50_ms, '.2f'):>8}{fmt(r.kw_p95_ms, '.2f'):>8}"
        )
    print("(latencies in ms; recall@k against exact numpy cosine)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--data", default="uniform,clustered")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--stores", default="sqlite-vec,faiss-flat,faiss-hnsw")
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
