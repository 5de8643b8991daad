"""Query latency and recall of the remote vector-io stores (pgvector, Qdrant) at N random chunks.

Usage: python bench/vector_query_remote.py [--chunks 10000] [--dim 384] [--queries 200] [--k 10]
                                          [--stores pgvector,qdrant] [--pg-dsn DSN] [--qdrant-path DIR]
                                          [--qdrant-url URL] [--ef-search 800] [--pg-force-hnsw]
                                          [--data uniform|clustered]

Chunks are seeded unit vectors, ``--data uniform`` (the hardest case for an ANN graph:
no clusters) or ``clustered`` (around N/50 centres, as real embeddings are), with 40-word texts drawn from a Zipf-distributed vocabulary.
For each store it inserts the chunks through ``VectorIndex.add`` in batches
of 500, then runs ``--queries`` random unit queries one at a time, and
prints the insert rate, vector-query p50/p95 latency, recall@k against exact
numpy cosine, and keyword-query p50/p95 (two vocabulary words per query).
pgvector needs ``--pg-dsn`` or ``LLAMA_STACK_TEST_POSTGRES_URL`` (start one
with ``python scripts/start_postgres.py start --dir D``); its tables use the
``bench_`` prefix and are dropped afterwards; Postgres' planner picks an
exact scan over a wide HNSW beam on small tables, ``--pg-force-hnsw``
measures the graph instead. Qdrant runs in local mode, in
memory unless ``--qdrant-path`` (persisted: each point is its own SQLite
commit, so inserts are far slower) or on a server with ``--qdrant-url``.
It asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStore

INDEX_ID = "bench-vector-query"


def make_vectors(count: int, queries: int, dim: int, seed: int, data: str) -> tuple[np.ndarray, np.ndarray]:
    """Corpus and query vectors: ``uniform`` on the sphere (no structure: the worst case for a graph
    index), or ``clustered`` around count/50 centres as real embeddings are (as bench/vector_query.py)."""
    rng = np.random.default_rng(seed)
    if data == "uniform":
        vectors = rng.standard_normal((count, dim)).astype(np.float32)
        asked = np.random.default_rng(seed + 1).standard_normal((queries, dim)).astype(np.float32)
    else:
        centres = rng.standard_normal((max(1, count // 50), dim)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)

        def around(n: int) -> np.ndarray:
            noise = rng.standard_normal((n, dim)).astype(np.float32) * (0.8 / np.sqrt(dim))
            return centres[rng.integers(0, len(centres), n)] + noise

        vectors, asked = around(count), around(queries)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    return vectors, asked


def make_corpus(count: int, dim: int, seed: int) -> tuple[np.ndarray, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    vectors = np.zeros((0, dim), dtype=np.float32)
    vocabulary = [f"term{i}" for i in range(20_000)]
    ranks = np.minimum(rng.zipf(1.3, size=(count, 40)), len(vocabulary)) - 1
    texts = [" ".join(vocabulary[r] for r in row) for row in ranks]
    return vectors, texts, vocabulary


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call()
    return time.perf_counter() - start, result


async def bench_store(name: str, store: IndexStore, args: argparse.Namespace) -> dict[str, float]:
    _, texts, vocabulary = make_corpus(args.chunks, args.dim, args.seed)
    vectors, queries = make_vectors(args.chunks, args.queries, args.dim, args.seed, args.data)
    await store.initialize()
    try:
        await store.drop(INDEX_ID)
        index = await store.open(INDEX_ID, args.dim)
        chunks = [
            IndexedChunk(f"c{i}", texts[i], {"file_id": f"f{i // 100}"}, vectors[i].tolist())
            for i in range(args.chunks)
        ]
        start = time.perf_counter()
        for offset in range(0, len(chunks), 500):
            await index.add(chunks[offset : offset + 500])
        insert_s = time.perf_counter() - start

        rng = np.random.default_rng(args.seed + 1)
        exact = np.argsort(-(queries @ vectors.T), axis=1)[:, : args.k]
        await index.query_vector(queries[0].tolist(), args.k)  # warm caches and connections
        latencies, recalls = [], []
        for query, truth in zip(queries, exact, strict=True):
            elapsed, hits = await timed(functools.partial(index.query_vector, query.tolist(), args.k))
            latencies.append(elapsed)
            found = {int(hit.chunk.chunk_id[1:]) for hit in hits}
            recalls.append(len(found & set(truth.tolist())) / args.k)

        keyword_latencies = []
        for _ in range(args.queries):
            words = " ".join(vocabulary[int(i)] for i in rng.integers(0, 200, size=2))
            elapsed, _ = await timed(functools.partial(index.query_keyword, words, args.k))
            keyword_latencies.append(elapsed)
        await store.drop(INDEX_ID)
    finally:
        await store.shutdown()
    return {
        "insert chunks/s": args.chunks / insert_s,
        "vector p50 ms": percentile(latencies, 50) * 1000,
        "vector p95 ms": percentile(latencies, 95) * 1000,
        f"recall@{args.k}": statistics.fmean(recalls),
        f"min recall@{args.k}": min(recalls),
        "keyword p50 ms": percentile(keyword_latencies, 50) * 1000,
        "keyword p95 ms": percentile(keyword_latencies, 95) * 1000,
    }


def build_store(name: str, args: argparse.Namespace) -> IndexStore:
    if name == "pgvector":
        from llama_stack_providers.remote.vector_io.pgvector.index import PGVectorIndexStore

        dsn = args.pg_dsn or os.environ.get("LLAMA_STACK_TEST_POSTGRES_URL", "")
        if not dsn:
            raise SystemExit("pgvector needs --pg-dsn or LLAMA_STACK_TEST_POSTGRES_URL")
        # the planner prefers an exact scan over a wide HNSW beam on small tables; this measures the graph
        settings = {"enable_seqscan": "off"} if args.pg_force_hnsw else None
        return PGVectorIndexStore(dsn, prefix="bench_", ef_search=args.ef_search, server_settings=settings)
    if name == "qdrant":
        from llama_stack_providers.remote.vector_io.qdrant.index import QdrantIndexStore

        if args.qdrant_url:
            return QdrantIndexStore(args.qdrant_url, prefix="bench_")
        return QdrantIndexStore(path=args.qdrant_path or None, prefix="bench_")
    raise SystemExit(f"unknown store {name!r}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", choices=["uniform", "clustered"], default="uniform")
    parser.add_argument("--stores", default="pgvector,qdrant")
    parser.add_argument("--pg-dsn", default="")
    parser.add_argument("--ef-search", type=int, default=800)
    parser.add_argument("--pg-force-hnsw", action="store_true", help="disable pgvector's exact seq scans")
    parser.add_argument("--qdrant-path", default="")
    parser.add_argument("--qdrant-url", default="")
    args = parser.parse_args()
    print(f"{args.chunks} chunks, {args.dim}-d {args.data} unit vectors, {args.queries} queries, k={args.k}")
    for name in args.stores.split(","):
        results = await bench_store(name, build_store(name, args), args)
        print(f"{name:>9}: " + ", ".join(f"{key} {value:.3f}" for key, value in results.items()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
