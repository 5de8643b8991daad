"""Conformance suite for the ``IndexStore`` / ``VectorIndex`` storage engines of the vector-io providers.

Plug a backend in by subclassing ``VectorIndexConformance`` in a test module (class name ``Test…``, so
pytest collects it; the base class itself is not collected) and overriding the ``store_factory`` fixture::

    class TestMyStoreConformance(VectorIndexConformance):
        @pytest.fixture
        def store_factory(self, tmp_path: Path) -> StoreFactory:
            return lambda: MyIndexStore(tmp_path / "data")

``store_factory`` returns a zero-argument callable. Each call must build a new, *uninitialised* store
over the *same* persistent location for the whole test (a file, a directory, a database schema or
table prefix, a collection prefix…): the persistence tests shut one store down and open another. The
suite calls ``initialize`` and ``shutdown`` itself. Fixtures the factory needs (a DSN, a server) go in
the overriding fixture's arguments.

Class attributes adapt the checks to the engine:

* ``approximate`` — vector search is approximate (an ANN graph): results are compared with exact numpy
  search by recall@k instead of exact order (the data is small, so a correct ANN is near-exact);
* ``score_tolerance`` — absolute tolerance on cosine scores (vectors are stored as float32);
* ``keyword_uses_idf`` — the keyword rank weighs rare terms more (BM25); ``ts_rank_cd`` does not.

What is checked: protocol conformance; vector search order and cosine scores against numpy; ``k``
bounds; upsert by id (also within one call: the later chunk wins); delete; ``delete_file`` and
``file_chunk_ids`` insertion order; ``get_chunks``; keyword search (hits share a term, term frequency
and coverage order, IDF if declared, positive descending scores, no-overlap / empty / punctuation /
stop-word-only queries → ``[]``, query syntax characters are literal, ``k``); metadata and text
round-trip (nested JSON, unicode); dimension mismatch ``ValueError`` on add (nothing written) and on
open; persistence across a restart; close and reopen; drop; isolation of two indexes in one store;
stats; concurrent calls. Data is tiny (120 chunks of 16 dimensions): a backend runs it in seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest

from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStore, ScoredChunk, VectorIndex

StoreFactory = Callable[[], IndexStore]

DIM = 16
COUNT = 120
K = 10
INDEX = "suite-main"

# Keyword corpus: the filler documents keep every query term in under half the documents, so that
# BM25's IDF stays positive (FTS5 clamps a term in most documents to ~0).
KEYWORD_DOCS = {
    "fox1": "the quick brown fox jumps over the lazy dog",
    "fox3": "one fox met another fox beside a third fox",
    "lake": "sailing boats drift on a calm mountain lake",
    "hike": "mountain hiking trails bloom in early spring",
    "physics": "quantum chromodynamics lecture notes and problem sets",
    "bread": "sourdough bread recipes for patient home bakers",
    "jazzpiano": "jazz piano improvisation techniques for beginners",
    "jazz": "jazz festival tickets sell out every summer",
    "piano": "piano tuning service for concert halls",
    "solar": "solar panels charge battery storage at noon",
}


def unit_vectors(count: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def chunk(chunk_id: str, vector: Sequence[float], content: str = "", **metadata: Any) -> IndexedChunk:
    metadata.setdefault("file_id", "")
    return IndexedChunk(chunk_id, content or f"text of {chunk_id}", metadata, [float(x) for x in vector])


def corpus(count: int = COUNT, seed: int = 0) -> tuple[list[IndexedChunk], np.ndarray]:
    vectors = unit_vectors(count, seed=seed)
    chunks = [chunk(f"c{i}", vectors[i], file_id=f"file-{i % 3}", chunk_index=i) for i in range(count)]
    return chunks, vectors


def ids(hits: Sequence[ScoredChunk]) -> list[str]:
    return [hit.chunk.chunk_id for hit in hits]


class VectorIndexConformance:
    """The suite; see the module docstring. Subclasses override ``store_factory``."""

    approximate: ClassVar[bool] = False
    score_tolerance: ClassVar[float] = 1e-4
    keyword_uses_idf: ClassVar[bool] = True

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        pytest.fail(
            f"{type(self).__name__} must override the store_factory fixture (see vector_index_suite.py)"
        )

    @pytest.fixture
    async def store(self, store_factory: StoreFactory) -> AsyncIterator[IndexStore]:
        store = store_factory()
        await store.initialize()
        yield store
        await store.shutdown()

    @pytest.fixture
    async def index(self, store: IndexStore) -> VectorIndex:
        return await store.open(INDEX, DIM)

    @pytest.fixture
    async def filled(self, index: VectorIndex) -> tuple[VectorIndex, np.ndarray]:
        chunks, vectors = corpus()
        await index.add(chunks)
        return index, vectors

    @pytest.fixture
    async def keyword_index(self, index: VectorIndex) -> VectorIndex:
        vectors = unit_vectors(len(KEYWORD_DOCS), seed=7)
        await index.add([chunk(key, vectors[i], text) for i, (key, text) in enumerate(KEYWORD_DOCS.items())])
        return index

    # --- helpers ---

    def assert_matches_exact(
        self, hits: list[ScoredChunk], vectors: np.ndarray, query: np.ndarray, k: int
    ) -> None:
        """``hits`` against exact cosine search over ``vectors`` (row ``i`` is chunk ``c{i}``)."""
        exact_scores = vectors @ query
        truth = [f"c{i}" for i in np.argsort(-exact_scores, kind="stable")[:k]]
        got = ids(hits)
        assert len(got) == min(k, len(vectors))
        if self.approximate:
            assert len(set(got) & set(truth)) >= 0.9 * len(truth)
        else:
            assert got == truth
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
        for hit in hits:
            expected = float(exact_scores[int(hit.chunk.chunk_id[1:])])
            assert hit.score == pytest.approx(expected, abs=self.score_tolerance)
            assert -1 - self.score_tolerance <= hit.score <= 1 + self.score_tolerance

    # --- tests ---

    async def test_store_and_index_satisfy_the_protocols(self, store: IndexStore, index: VectorIndex) -> None:
        assert isinstance(store, IndexStore)
        assert isinstance(index, VectorIndex)
        assert index.dimension == DIM

    async def test_empty_index(self, index: VectorIndex) -> None:
        assert await index.query_vector(unit_vectors(1)[0].tolist(), K) == []
        assert await index.query_keyword("fox", K) == []
        assert await index.get_chunks(["c0"]) == []
        assert await index.file_chunk_ids("file-0") == []
        assert await index.delete_file("file-0") == 0
        assert (await index.stats()).chunk_count == 0

    async def test_query_vector_matches_exact_cosine_search(
        self, filled: tuple[VectorIndex, np.ndarray]
    ) -> None:
        index, vectors = filled
        for query in unit_vectors(5, seed=1):
            hits = await index.query_vector(query.tolist(), K)
            self.assert_matches_exact(hits, vectors, query, K)
            first = hits[0].chunk
            assert first.content == f"text of {first.chunk_id}"
            assert first.metadata == {
                "file_id": f"file-{int(first.chunk_id[1:]) % 3}",
                "chunk_index": int(first.chunk_id[1:]),
            }

    async def test_query_vector_k_bounds(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        query = unit_vectors(1, seed=2)[0]
        everything = await index.query_vector(query.tolist(), COUNT + 50)
        assert sorted(ids(everything)) == sorted(f"c{i}" for i in range(COUNT))
        self.assert_matches_exact(await index.query_vector(query.tolist(), 1), vectors, query, 1)
        own = await index.query_vector(vectors[17].tolist(), 1)
        assert ids(own) == ["c17"]
        assert own[0].score == pytest.approx(1.0, abs=self.score_tolerance)

    async def test_add_replaces_a_chunk_with_the_same_id(
        self, filled: tuple[VectorIndex, np.ndarray]
    ) -> None:
        index, vectors = filled
        new_vector = unit_vectors(1, seed=3)[0]
        await index.add([chunk("c5", new_vector, "replacement text zeppelin", file_id="file-0", v=2)])
        assert (await index.stats()).chunk_count == COUNT
        (stored,) = await index.get_chunks(["c5"])
        assert (stored.content, stored.metadata) == (
            "replacement text zeppelin",
            {"file_id": "file-0", "v": 2},
        )
        assert np.allclose(stored.embedding, new_vector, atol=1e-6)
        top = await index.query_vector(new_vector.tolist(), 1)
        assert ids(top) == ["c5"] and top[0].score == pytest.approx(1.0, abs=self.score_tolerance)
        old = await index.query_vector(vectors[5].tolist(), 1)
        assert ids(old) != ["c5"] or old[0].score < 0.99
        assert ids(await index.query_keyword("zeppelin", K)) == ["c5"]
        assert "c5" not in await index.file_chunk_ids("file-2")  # c5 was file-2's (5 % 3)
        assert (await index.file_chunk_ids("file-0"))[-1] == "c5"  # a replaced chunk is the latest insertion

    async def test_later_duplicate_in_one_add_wins(self, index: VectorIndex) -> None:
        first, second = unit_vectors(2, seed=4)
        await index.add([chunk("dup", first, "first version"), chunk("dup", second, "second version")])
        (stored,) = await index.get_chunks(["dup"])
        assert stored.content == "second version"
        assert np.allclose(stored.embedding, second, atol=1e-6)
        assert (await index.stats()).chunk_count == 1

    async def test_delete(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        await index.delete(["c0", "c1", "unknown-id"])
        await index.delete([])
        assert (await index.stats()).chunk_count == COUNT - 2
        assert await index.get_chunks(["c0", "c1"]) == []
        assert "c0" not in ids(await index.query_vector(vectors[0].tolist(), K))
        assert await index.query_keyword("text c1", COUNT) != []  # other chunks still match "text"
        assert "c1" not in ids(await index.query_keyword("text c1", COUNT))
        rest = vectors.copy()
        rest[:2] = 0  # the deleted rows can no longer win
        query = unit_vectors(1, seed=5)[0]
        self.assert_matches_exact(await index.query_vector(query.tolist(), K), rest, query, K)

    async def test_delete_file_and_file_chunk_ids(self, index: VectorIndex) -> None:
        vectors = unit_vectors(9, seed=6)
        files = ["a", "b", "a", "", "b", "a", "a", "b", ""]
        await index.add([chunk(f"k{i}", vectors[i], file_id=f) for i, f in enumerate(files[:5])])
        await index.add([chunk(f"k{i}", vectors[i], file_id=f) for i, f in enumerate(files) if i >= 5])
        assert await index.file_chunk_ids("a") == ["k0", "k2", "k5", "k6"]
        assert await index.file_chunk_ids("b") == ["k1", "k4", "k7"]
        assert await index.file_chunk_ids("") == ["k3", "k8"]
        assert await index.file_chunk_ids("nope") == []
        assert await index.delete_file("a") == 4
        assert await index.delete_file("a") == 0
        assert await index.file_chunk_ids("a") == []
        assert (await index.stats()).chunk_count == 5
        assert sorted(ids(await index.query_vector(vectors[0].tolist(), 20))) == [
            "k1",
            "k3",
            "k4",
            "k7",
            "k8",
        ]

    async def test_get_chunks(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        got = {c.chunk_id: c for c in await index.get_chunks(["c3", "c9", "missing", "c3"])}
        assert set(got) == {"c3", "c9"}
        for name in ("c3", "c9"):
            assert len(got[name].embedding) == DIM
            assert np.allclose(got[name].embedding, vectors[int(name[1:])], atol=1e-6)
            assert got[name].content == f"text of {name}"
        assert await index.get_chunks([]) == []

    async def test_keyword_hits_share_a_term_and_rank_by_frequency(self, keyword_index: VectorIndex) -> None:
        hits = await keyword_index.query_keyword("fox", K)
        assert ids(hits) == ["fox3", "fox1"]  # same length, three occurrences beat one
        assert all(hit.score > 0 for hit in hits)
        assert hits[0].chunk.content == KEYWORD_DOCS["fox3"]
        coverage = await keyword_index.query_keyword("jazz piano", K)
        assert set(ids(coverage)) == {"jazzpiano", "jazz", "piano"}
        assert ids(coverage)[0] == "jazzpiano"  # both terms beat either alone
        scores = [hit.score for hit in coverage]
        assert scores == sorted(scores, reverse=True) and min(scores) > 0
        assert len(await keyword_index.query_keyword("jazz piano", 1)) == 1

    async def test_keyword_rare_terms_weigh_more(self, keyword_index: VectorIndex) -> None:
        if not self.keyword_uses_idf:
            pytest.skip("this backend's keyword rank has no inverse document frequency")
        # "mountain" is in two documents, "sourdough" in one: the rare word's document ranks first
        hits = await keyword_index.query_keyword("mountain sourdough", K)
        assert ids(hits)[0] == "bread"
        assert set(ids(hits)) == {"bread", "lake", "hike"}

    @pytest.mark.parametrize("query", ["xylophone", "", "   ", "?!. ,;", "the of and", "The AND of"])
    async def test_keyword_without_usable_terms_returns_nothing(
        self, keyword_index: VectorIndex, query: str
    ) -> None:
        assert await keyword_index.query_keyword(query, K) == []

    @pytest.mark.parametrize(
        "query", ['fox AND NOT "dog', "fox*", "NEAR(fox dog)", "content:fox", "-fox", "fox's | (dog"]
    )
    async def test_keyword_query_syntax_is_literal(self, keyword_index: VectorIndex, query: str) -> None:
        hits = await keyword_index.query_keyword(query, K)
        assert "fox1" in ids(hits)
        assert all(hit.score > 0 for hit in hits)

    async def test_metadata_and_text_round_trip(self, index: VectorIndex) -> None:
        metadata = {
            "file_id": "fichier-é",
            "attributes": {"author": "Zoë Ñúñez", "tags": ["α", "β", "日本語"], "score": 0.25, "flag": True},
            "nested": {"deeper": {"deepest": [1, 2, {"x": None}]}, "empty": {}, "blank": ""},
            "emoji": "🦊🚀",
            "chunk_index": 3,
        }
        text = "Naïve café in 東京 — emoji 🦊 and \"quotes\" and 'apostrophes'\nsecond line"
        vector = unit_vectors(1, seed=8)[0]
        await index.add([IndexedChunk("ünïcode-id/1", text, metadata, vector.tolist())])
        (stored,) = await index.get_chunks(["ünïcode-id/1"])
        assert (stored.content, stored.metadata) == (text, metadata)
        (hit,) = await index.query_vector(vector.tolist(), 1)
        assert (hit.chunk.chunk_id, hit.chunk.content, hit.chunk.metadata) == ("ünïcode-id/1", text, metadata)
        (word_hit,) = await index.query_keyword("café", K)
        assert word_hit.chunk.metadata == metadata
        assert await index.file_chunk_ids("fichier-é") == ["ünïcode-id/1"]

    async def test_wrong_dimension_on_add_writes_nothing(self, index: VectorIndex) -> None:
        good, other = unit_vectors(2, seed=9)
        with pytest.raises(ValueError):
            await index.add(
                [chunk("good", good), IndexedChunk("bad", "bad", {"file_id": ""}, [0.5] * (DIM + 1))]
            )
        with pytest.raises(ValueError):
            await index.add([IndexedChunk("short", "short", {"file_id": ""}, [1.0] * (DIM - 1))])
        assert (await index.stats()).chunk_count == 0
        assert await index.get_chunks(["good", "bad", "short"]) == []
        await index.add([chunk("ok", other)])
        assert ids(await index.query_vector(other.tolist(), 1)) == ["ok"]

    async def test_wrong_dimension_on_open(
        self, store: IndexStore, filled: tuple[VectorIndex, np.ndarray]
    ) -> None:
        with pytest.raises(ValueError):
            await store.open(INDEX, DIM + 1)
        again = await store.open(INDEX, DIM)
        assert (await again.stats()).chunk_count == COUNT

    async def test_persistence_across_a_restart(self, store_factory: StoreFactory) -> None:
        chunks, vectors = corpus()
        queries = unit_vectors(4, seed=10)
        store = store_factory()
        await store.initialize()
        try:
            index = await store.open(INDEX, DIM)
            await index.add(chunks)
            await index.delete(["c1", "c2"])
            await index.add([chunk("c3", vectors[3], "rewritten sentence", file_id="file-0")])
            before = [await index.query_vector(q.tolist(), K) for q in queries]
            keyword_before = await index.query_keyword("rewritten", K)
            stats_before = await index.stats()
        finally:
            await store.shutdown()
        store = store_factory()
        await store.initialize()
        try:
            index = await store.open(INDEX, DIM)
            for query, earlier in zip(queries, before, strict=True):
                hits = await index.query_vector(query.tolist(), K)
                assert ids(hits) == ids(earlier)
                assert [h.score for h in hits] == pytest.approx(
                    [h.score for h in earlier], abs=self.score_tolerance
                )
            assert ids(await index.query_keyword("rewritten", K)) == ids(keyword_before) == ["c3"]
            assert (await index.stats()).chunk_count == stats_before.chunk_count == COUNT - 2
            assert await index.get_chunks(["c1", "c2"]) == []
            (c4,) = await index.get_chunks(["c4"])
            assert np.allclose(c4.embedding, vectors[4], atol=1e-6)
            assert (await index.file_chunk_ids("file-0"))[-1] == "c3"
        finally:
            await store.shutdown()

    async def test_close_and_reopen_an_index(
        self, store: IndexStore, filled: tuple[VectorIndex, np.ndarray]
    ) -> None:
        index, vectors = filled
        await index.close()
        again = await store.open(INDEX, DIM)
        assert (await again.stats()).chunk_count == COUNT
        assert ids(await again.query_vector(vectors[7].tolist(), 1)) == ["c7"]

    async def test_drop(self, store_factory: StoreFactory) -> None:
        store = store_factory()
        await store.initialize()
        try:
            index = await store.open(INDEX, DIM)
            await index.add(corpus(20)[0])
            await store.drop(INDEX)
            await store.drop(INDEX)
            await store.drop("never-created")
            fresh = await store.open(INDEX, DIM + 4)  # a dropped id can come back with another dimension
            assert fresh.dimension == DIM + 4
            assert (await fresh.stats()).chunk_count == 0
            assert await fresh.query_keyword("text", K) == []
            await store.drop(INDEX)
        finally:
            await store.shutdown()
        store = store_factory()
        await store.initialize()
        try:
            reopened = await store.open(INDEX, DIM)
            assert (await reopened.stats()).chunk_count == 0
        finally:
            await store.shutdown()

    async def test_two_indexes_in_one_store_are_isolated(self, store: IndexStore) -> None:
        left = await store.open("suite-left", DIM)
        right = await store.open("suite-right", DIM * 2)
        left_vectors, right_vectors = unit_vectors(6, seed=11), unit_vectors(4, DIM * 2, seed=12)
        await left.add(
            [chunk(f"s{i}", v, f"left words {i}", file_id="shared") for i, v in enumerate(left_vectors)]
        )
        await right.add(
            [chunk(f"s{i}", v, f"right words {i}", file_id="shared") for i, v in enumerate(right_vectors)]
        )
        assert (await left.stats()).chunk_count == 6 and (await right.stats()).chunk_count == 4
        assert {h.chunk.content.split()[0] for h in await left.query_keyword("words", K)} == {"left"}
        assert await right.query_keyword("left", K) == []
        assert len(await left.query_vector(left_vectors[0].tolist(), K)) == 6
        assert await right.delete_file("shared") == 4
        assert await left.file_chunk_ids("shared") == [f"s{i}" for i in range(6)]
        await left.delete(["s0"])
        await right.add([chunk("s0", right_vectors[0], "back again")])
        assert (await right.get_chunks(["s0"]))[0].content == "back again"
        await store.drop("suite-right")
        assert (await left.stats()).chunk_count == 5

    async def test_stats_count_chunks(self, index: VectorIndex) -> None:
        vectors = unit_vectors(7, seed=13)
        await index.add([chunk(f"n{i}", v) for i, v in enumerate(vectors)])
        await index.add([chunk("n0", vectors[0])])
        await index.delete(["n1"])
        stats = await index.stats()
        assert stats.chunk_count == 6
        assert isinstance(stats.extra, dict)

    async def test_concurrent_calls(self, index: VectorIndex) -> None:
        vectors = unit_vectors(80, seed=14)
        batches = [[chunk(f"p{b}-{i}", vectors[b * 10 + i]) for i in range(10)] for b in range(8)]
        queries = [index.query_vector(vectors[0].tolist(), K) for _ in range(4)]
        await asyncio.gather(*(index.add(batch) for batch in batches), *queries)
        assert (await index.stats()).chunk_count == 80
        stored = await index.get_chunks([c.chunk_id for batch in batches for c in batch])
        assert len(stored) == 80
