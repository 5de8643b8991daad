"""remote::qdrant storage: the conformance suite in local mode (and on a server if named), BM25 and ids."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient

from llama_stack_providers.remote.vector_io.qdrant import _keywords
from llama_stack_providers.remote.vector_io.qdrant.index import (
    QdrantIndexStore,
    chunk_point_id,
    collection_name,
)
from tests.providers.utils.vector_index_suite import (
    DIM,
    StoreFactory,
    VectorIndexConformance,
    chunk,
    ids,
    unit_vectors,
)

QDRANT_URL_ENV = "LLAMA_STACK_TEST_QDRANT_URL"


@pytest.fixture
def folder(tmp_path: Path) -> str:
    return str(tmp_path / "qdrant")


class TestQdrantLocalConformance(VectorIndexConformance):
    @pytest.fixture
    def store_factory(self, folder: str) -> StoreFactory:
        return lambda: QdrantIndexStore(path=folder)


class TestQdrantServerConformance(VectorIndexConformance):
    """The suite on a Qdrant server named by ``LLAMA_STACK_TEST_QDRANT_URL`` (skipped without one)."""

    approximate = True  # HNSW, though exact below the server's full-scan threshold

    @pytest.fixture
    async def store_factory(self) -> AsyncIterator[StoreFactory]:
        url = os.environ.get(QDRANT_URL_ENV, "").strip()
        if not url:
            pytest.skip(f"{QDRANT_URL_ENV} is not set (a Qdrant server for the server-mode runs)")
        prefix = f"test_{uuid.uuid4().hex[:8]}_"
        yield lambda: QdrantIndexStore(url, prefix=prefix)
        client = AsyncQdrantClient(url=url)
        try:
            for collection in (await client.get_collections()).collections:
                if collection.name.startswith(prefix):
                    await client.delete_collection(collection.name)
        finally:
            await client.close()


@pytest.fixture
async def store() -> AsyncIterator[QdrantIndexStore]:
    # in memory: the local-mode engine without the folder's SQLite commit per point
    async with QdrantIndexStore() as opened:
        yield opened


async def test_large_file_pages_through_scroll(store: QdrantIndexStore) -> None:
    index = await store.open("big", 4)
    vectors = unit_vectors(2100, dim=4)
    chunk_ids = [f"chunk-{i:05d}" for i in range(2100)]
    await index.add([chunk(cid, v, file_id="f") for cid, v in zip(chunk_ids, vectors, strict=True)])
    assert await index.file_chunk_ids("f") == chunk_ids
    assert await index.delete_file("f") == 2100
    assert (await index.stats()).chunk_count == 0


async def test_query_vector_dimension_mismatch(store: QdrantIndexStore) -> None:
    index = await store.open("dims", DIM)
    with pytest.raises(ValueError, match="dimension"):
        await index.query_vector([1.0] * (DIM + 1), 3)


async def test_keyword_weights_follow_bm25(store: QdrantIndexStore) -> None:
    index = await store.open("bm25", DIM)
    vectors = unit_vectors(4)
    texts = {
        "short": "llama wool",
        "long": "llama " + " ".join(f"filler{i}" for i in range(60)),
        "twice": "llama llama " + " ".join(f"other{i}" for i in range(60)),
        "none": "alpaca fleece",
    }
    await index.add([chunk(cid, v, text) for (cid, text), v in zip(texts.items(), vectors, strict=True)])
    hits = await index.query_keyword("llama", 10)
    # "long" loses to a shorter chunk with the same count (length normalisation) and to one of its length
    # with the term twice (term frequency); "none" shares no term
    assert set(ids(hits)) == {"short", "twice", "long"} and ids(hits)[-1] == "long"
    assert all(hit.score > 0 for hit in hits)


async def test_keyword_drops_hash_collisions(
    store: QdrantIndexStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await store.open("collide", DIM)
    vectors = unit_vectors(2)
    # every term in one slot: the sparse dot product now matches everything, the content check must not
    monkeypatch.setattr(_keywords, "term_index", lambda term: 7)
    await index.add([chunk("apple", vectors[0], "apple pie"), chunk("pear", vectors[1], "pear tart")])
    assert ids(await index.query_keyword("apple", 5)) == ["apple"]


def test_tokenizer_and_weights_are_stable() -> None:
    assert _keywords.tokenize("The Straße's CAFÉ, don't stop: ２０２４!") == [
        "strasse",
        "café",
        "stop",
        "2024",
    ]
    # persisted in every collection: a change here needs a new SPARSE_VECTOR name
    assert _keywords.term_index("llama") == int.from_bytes(
        hashlib.blake2b(b"llama", digest_size=4).digest(), "big"
    )
    short, long = _keywords.document_vector("llama"), _keywords.document_vector("llama " + "word " * 300)
    llama = _keywords.term_index("llama")
    assert short.values[short.indices.index(llama)] > long.values[long.indices.index(llama)] > 0
    assert _keywords.document_vector("the of and").indices == []
    repeated = _keywords.query_vector("llama llama LLAMA")
    assert repeated is not None and repeated.values == [1.0]
    assert _keywords.query_vector("the") is None


async def test_a_folder_is_locked_to_one_client(folder: str) -> None:
    async with QdrantIndexStore(path=folder):
        with pytest.raises(RuntimeError, match="in use by another client"):
            await QdrantIndexStore(path=folder).initialize()
    async with QdrantIndexStore(path=folder) as again:  # released on shutdown
        assert (await (await again.open("x", DIM)).stats()).chunk_count == 0


async def test_ids_map_to_uuids_and_names_are_safe(store: QdrantIndexStore) -> None:
    assert chunk_point_id("chunk-1") == chunk_point_id("chunk-1") != chunk_point_id("chunk-2")
    assert uuid.UUID(chunk_point_id("any text / at all")).version == 5
    hostile = ["../../etc", "日本語 ストア", "a" * 500, "", "UPPER/lower"]
    names = {collection_name("llama_vs_", index_id) for index_id in hostile}
    assert len(names) == len(hostile)
    assert all(len(name) <= 64 and name.replace("_", "").isalnum() and name.isascii() for name in names)
    for position, index_id in enumerate(hostile):
        index = await store.open(index_id, DIM)
        await index.add([chunk("c", unit_vectors(1, seed=position)[0])])
        assert (await index.stats()).chunk_count == 1
        assert (await index.stats()).extra["collection"] == collection_name("llama_vs_", index_id)


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="not both"):
        QdrantIndexStore("http://localhost:6333", path="/tmp/x")
    with pytest.raises(ValueError, match="prefix"):
        QdrantIndexStore(prefix="bad/prefix")


async def test_use_before_initialize_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="initialize"):
        await QdrantIndexStore().open("a", DIM)
