"""remote::pgvector storage on a real PostgreSQL: the conformance suite, plus HNSW, tsquery, SQL safety."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import numpy as np
import pytest

from llama_stack_providers.remote.vector_io.pgvector.index import PGVectorIndex, PGVectorIndexStore
from tests.providers.utils.vector_index_suite import (
    DIM,
    StoreFactory,
    VectorIndexConformance,
    chunk,
    ids,
    unit_vectors,
)

pytestmark = pytest.mark.postgres


class TestPGVectorConformance(VectorIndexConformance):
    # HNSW is an ANN graph (though on the suite's 120 rows the planner prefers an exact scan)
    approximate = True
    # ts_rank_cd counts cover density, with no inverse document frequency
    keyword_uses_idf = False

    @pytest.fixture
    def store_factory(self, postgres_dsn: str) -> StoreFactory:
        return lambda: PGVectorIndexStore(postgres_dsn, max_pool_size=4)


@pytest.fixture
async def store(postgres_dsn: str) -> AsyncIterator[PGVectorIndexStore]:
    async with PGVectorIndexStore(postgres_dsn, max_pool_size=4) as opened:
        yield opened


@pytest.fixture
async def index(store: PGVectorIndexStore) -> PGVectorIndex:
    return await store.open("vs_1", DIM)


async def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def test_hnsw_search_recall_and_beam_wider_than_k(postgres_dsn: str) -> None:
    # seq scans off: the planner would answer these small tables exactly, and this is about the graph
    settings = {"enable_seqscan": "off"}
    vectors = unit_vectors(600)
    queries = unit_vectors(10, seed=1)
    for ef_search in (800, 5):  # 5 < k: the beam is widened to k for the query, in a transaction
        async with PGVectorIndexStore(postgres_dsn, ef_search=ef_search, server_settings=settings) as store:
            index = await store.open("hnsw", DIM)
            if ef_search == 800:
                await index.add([chunk(f"c{i}", v) for i, v in enumerate(vectors)])
            recalls = []
            for query in queries:
                hits = await index.query_vector(query.tolist(), 20)
                assert len(hits) == 20
                truth = {f"c{i}" for i in np.argsort(-(vectors @ query))[:20]}
                recalls.append(len(set(ids(hits)) & truth) / 20)
                for hit in hits:
                    assert hit.score == pytest.approx(
                        float(vectors[int(hit.chunk.chunk_id[1:])] @ query), abs=1e-5
                    )
            assert sum(recalls) / len(recalls) >= 0.95


async def test_k_beyond_what_hnsw_can_return_scans_exactly(index: PGVectorIndex) -> None:
    vectors = unit_vectors(5)
    await index.add([chunk(f"c{i}", v) for i, v in enumerate(vectors)])
    hits = await index.query_vector(vectors[3].tolist(), 2000)  # hnsw.ef_search tops out at 1000
    assert len(hits) == 5 and hits[0].chunk.chunk_id == "c3"
    assert await index.query_vector(vectors[0].tolist(), 0) == []


async def test_query_vector_dimension_mismatch(index: PGVectorIndex) -> None:
    with pytest.raises(ValueError, match="dimension"):
        await index.query_vector([1.0] * (DIM + 1), 3)


async def test_keyword_uses_english_stems_and_matches_any_term(index: PGVectorIndex) -> None:
    vectors = unit_vectors(4)
    texts = {
        "both": "Solar panels convert sunlight; solar efficiency keeps rising.",
        "one": "Solar eclipses are rare.",
        "stem": "A panel discussion.",
        "none": "Wind turbines spin in the storm.",
    }
    await index.add([chunk(cid, v, text) for (cid, text), v in zip(texts.items(), vectors, strict=True)])
    hits = await index.query_keyword("solar panel", 10)
    # OR-ed lexemes, not plainto_tsquery's AND; "panels" and "panel" share the stem "panel"
    assert ids(hits)[0] == "both"
    assert set(ids(hits)) == {"both", "one", "stem"}
    assert ids(await index.query_keyword("eclipse", 10)) == ["one"]


async def test_keyword_lexemes_with_quotes_and_backslashes(index: PGVectorIndex) -> None:
    vectors = unit_vectors(2)
    await index.add(
        [
            chunk("url", vectors[0], "see http://example.com/a'b\\c for details"),
            chunk("x", vectors[1], "cats"),
        ]
    )
    # the parser keeps "/a'b" as a lexeme: quoted for the tsquery syntax, it still matches itself
    assert ids(await index.query_keyword("http://example.com/a'b\\c", 5)) == ["url"]
    for query in ["'", "\\", "''", "a & | (", "dogs <-> birds", "cats:*", "'; DROP TABLE x; --"]:
        assert all(hit.score > 0 for hit in await index.query_keyword(query, 5))


async def test_nul_characters_are_refused_before_writing(index: PGVectorIndex) -> None:
    vectors = unit_vectors(2)
    with pytest.raises(ValueError, match="NUL"):
        await index.add([chunk("ok", vectors[0]), chunk("bad", vectors[1], "pdf\x00text")])
    with pytest.raises(ValueError, match="NUL"):
        await index.add([chunk("bad", vectors[1], attributes={"title": "a\x00b"})])
    assert (await index.stats()).chunk_count == 0


async def test_table_layout(index: PGVectorIndex, postgres_dsn: str) -> None:
    stats = await index.stats()
    assert stats.extra["backend"] == "pgvector" and stats.extra["hnsw"] is True
    table = stats.extra["table"]
    definitions = [
        r["indexdef"]
        for r in await fetch(postgres_dsn, "SELECT indexdef FROM pg_indexes WHERE tablename = $1", table)
    ]
    assert any("USING hnsw (embedding vector_cosine_ops)" in d for d in definitions)
    assert any("USING gin (tsv)" in d for d in definitions)
    assert any("((metadata ->> 'file_id'::text)), seq)" in d for d in definitions)
    storage = await fetch(
        postgres_dsn,
        "SELECT attstorage FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'",
        table,
    )
    assert storage[0]["attstorage"] == b"m"  # kept inline (MAIN), not TOASTed away from the row


async def test_untrusted_index_ids_become_safe_table_names(
    store: PGVectorIndexStore, postgres_dsn: str
) -> None:
    hostile = [
        'x"; DROP TABLE llama_vs_indexes; --',
        "日本語 ストア",
        "a" * 500,
        "",
        "UPPER/lower",
        "Robert'); --",
    ]
    for position, index_id in enumerate(hostile):
        index = await store.open(index_id, DIM)
        await index.add([chunk("c", unit_vectors(1, seed=position)[0], "hostile text")])
        assert (await index.stats()).chunk_count == 1
    assert set(await store.list_indexes()) == set(hostile)
    tables = [
        r["tablename"]
        for r in await fetch(postgres_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    assert len(tables) == len(hostile) + 1  # plus the registry
    for name in tables:
        assert name.isascii() and len(name) <= 63 and name.replace("_", "").isalnum()
    for index_id in hostile:
        await store.drop(index_id)
    tables = [
        r["tablename"]
        for r in await fetch(postgres_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    assert tables == ["llama_vs_indexes"] and await store.list_indexes() == {}


async def test_concurrent_opens_of_one_index(store: PGVectorIndexStore) -> None:
    indexes = await asyncio.gather(*(store.open("shared", DIM) for _ in range(4)))
    await indexes[0].add([chunk("a", unit_vectors(1)[0])])
    assert (await indexes[3].stats()).chunk_count == 1
    assert await store.list_indexes() == {"shared": DIM}


async def test_schema_option_and_wide_vectors_without_hnsw(postgres_dsn: str) -> None:
    wide = 2048  # past pgvector's 2,000-dimension HNSW limit: searched exactly
    async with PGVectorIndexStore(postgres_dsn, schema="vs_private", prefix="t_") as store:
        index = await store.open("wide", wide)
        vectors = unit_vectors(20, dim=wide)
        await index.add([chunk(f"c{i}", v) for i, v in enumerate(vectors)])
        hits = await index.query_vector(vectors[7].tolist(), 3)
        assert hits[0].chunk.chunk_id == "c7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
        assert (await index.stats()).extra["hnsw"] is False
    rows = await fetch(postgres_dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'vs_private'")
    await fetch(postgres_dsn, "DROP SCHEMA vs_private CASCADE")
    assert "t_indexes" in {r["tablename"] for r in rows} and len(rows) == 2


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="schema"):
        PGVectorIndexStore("postgresql://x", schema="public; DROP")
    with pytest.raises(ValueError, match="prefix"):
        PGVectorIndexStore("postgresql://x", prefix="a" * 30)
    with pytest.raises(ValueError, match="text_search_config"):
        PGVectorIndexStore("postgresql://x", text_search_config="english'")
    with pytest.raises(ValueError, match="ef_search"):
        PGVectorIndexStore("postgresql://x", ef_search=5000)


async def test_use_before_initialize_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="initialize"):
        await PGVectorIndexStore("postgresql://x").open("a", DIM)
