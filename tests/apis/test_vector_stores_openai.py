"""Files and vector stores through the openai SDK against a real server (inline::localfs + inline::sqlite-vec).

Embeddings come from the fake inference provider: a hash of the text, so a
query equal to a chunk's text finds that chunk with score 1.0, and anything
else ranks arbitrarily but deterministically. Keyword search is real FTS5.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from llama_stack_providers.utils.memory.ingest.chunking import default_tokenizer
from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: vector-stores
apis: [inference, models, files, vector_io, vector_dbs]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {embedding_dimension: 8}
    # an embedding model that reads 150 tokens: `auto` chunks fit it
    - provider_id: short
      provider_type: inline::fake
      config: {llm_models: [], embedding_models: [short-embed], embedding_dimension: 8, embedding_context_length: 150, events_name: short}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {}
  vector_io:
    - provider_id: sqlite-vec
      provider_type: inline::sqlite-vec
      config: {}
server:
  limits:
    max_upload_bytes: 200000
"""

NOTES = "The lighthouse keeper trimmed the lamp wick every evening before the storm arrived."
RECIPE = "Whisk two eggs with flour and milk, then fry the pancakes in butter until golden."
TABLE = "city,country,population\nParis,France,2100000\nLyon,France,520000\n"


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as sdk:
        yield sdk


def _upload(client: OpenAI, name: str, data: bytes) -> str:
    return client.files.create(file=(name, data), purpose="assistants").id


def _wait_file(client: OpenAI, store_id: str, file_id: str) -> openai.types.vector_stores.VectorStoreFile:
    deadline = time.monotonic() + 30
    while True:
        attached = client.vector_stores.files.retrieve(file_id, vector_store_id=store_id)
        if attached.status != "in_progress" or time.monotonic() > deadline:
            return attached
        time.sleep(0.05)


def test_create_a_store_from_files_and_search_it(client: OpenAI) -> None:
    notes = _upload(client, "notes.txt", NOTES.encode())
    recipe = _upload(client, "recipe.md", f"# Pancakes\n\n{RECIPE}\n".encode())
    store = client.vector_stores.create(name="kitchen", file_ids=[notes, recipe], metadata={"team": "a"})
    assert store.name == "kitchen" and store.metadata == {"team": "a"}
    for file_id in (notes, recipe):
        attached = _wait_file(client, store.id, file_id)
        assert attached.status == "completed", attached.last_error
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.completed == 2 and store.file_counts.total == 2
    assert store.status == "completed" and store.usage_bytes > 0

    # the fake embedder maps equal texts to equal vectors: the exact chunk text scores 1.0
    hits = client.vector_stores.search(store.id, query=NOTES)
    assert hits.data[0].file_id == notes and hits.data[0].filename == "notes.txt"
    assert hits.data[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits.data[0].content[0].text == NOTES

    keyword = client.vector_stores.search(
        store.id, query="pancakes butter", extra_body={"search_mode": "keyword"}
    )
    assert [h.file_id for h in keyword.data] == [recipe]
    # the fake embedder's vectors carry no meaning: a keyword-heavy fusion, then the default one on a query
    # that both rankings agree on
    hybrid = client.vector_stores.search(
        store.id,
        query="lighthouse storm",
        extra_body={
            "search_mode": "hybrid",
            "ranking_options": {"ranker": {"type": "weighted", "alpha": 0.1}},
        },
        max_num_results=2,
    )
    assert hybrid.data[0].file_id == notes
    hybrid = client.vector_stores.search(store.id, query=NOTES, extra_body={"search_mode": "hybrid"})
    assert hybrid.data[0].file_id == notes and hybrid.data[0].score == pytest.approx(1.0, abs=1e-5)

    contents = client.vector_stores.files.content(file_id=recipe, vector_store_id=store.id)
    assert "Whisk two eggs" in "".join(part.text or "" for part in contents)
    listed = [s.id for s in client.vector_stores.list()]
    assert store.id in listed


def test_attributes_filters_and_updates(client: OpenAI) -> None:
    store = client.vector_stores.create(name="filters")
    first = _upload(client, "a.txt", b"apples grow on trees in the orchard")
    second = _upload(client, "b.txt", b"apples are pressed into cider in autumn")
    client.vector_stores.files.create(
        vector_store_id=store.id, file_id=first, attributes={"year": 2023, "kind": "farm"}
    )
    client.vector_stores.files.create(
        vector_store_id=store.id, file_id=second, attributes={"year": 2025, "kind": "drink"}
    )
    for file_id in (first, second):
        attached = _wait_file(client, store.id, file_id)
        assert attached.status == "completed", attached.last_error

    def found(filters: dict[str, object]) -> set[str]:
        page = client.vector_stores.search(
            store.id,
            query="apples",
            filters=filters,
            extra_body={"search_mode": "keyword"},  # type: ignore[arg-type]
        )
        return {hit.file_id for hit in page.data}

    assert found({"type": "eq", "key": "kind", "value": "farm"}) == {first}
    assert found({"type": "gte", "key": "year", "value": 2024}) == {second}
    assert found(
        {
            "type": "or",
            "filters": [
                {"type": "eq", "key": "kind", "value": "farm"},
                {"type": "gt", "key": "year", "value": 2024},
            ],
        }
    ) == {first, second}
    assert (
        found(
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "kind", "value": "farm"},
                    {"type": "gt", "key": "year", "value": 2024},
                ],
            }
        )
        == set()
    )
    client.vector_stores.files.update(file_id=first, vector_store_id=store.id, attributes={"kind": "drink"})
    assert found({"type": "eq", "key": "kind", "value": "drink"}) == {first, second}
    files = client.vector_stores.files.list(vector_store_id=store.id)
    assert {f.id for f in files} == {first, second}
    deleted = client.vector_stores.files.delete(file_id=first, vector_store_id=store.id)
    assert deleted.deleted
    assert found({"type": "eq", "key": "kind", "value": "drink"}) == {second}


def test_file_batches_report_counts_and_failures(client: OpenAI) -> None:
    store = client.vector_stores.create(name="batch")
    good = [_upload(client, f"doc{i}.txt", f"document number {i} about rivers".encode()) for i in range(3)]
    table = _upload(client, "cities.csv", TABLE.encode())
    image = _upload(client, "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[*good, table, image])
    assert batch.file_counts.total == 5
    deadline = time.monotonic() + 30
    while batch.status == "in_progress" and time.monotonic() < deadline:
        time.sleep(0.05)
        batch = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    assert batch.status == "completed"
    assert (batch.file_counts.completed, batch.file_counts.failed) == (4, 1)
    failed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="failed")
    [bad] = list(failed)
    assert bad.id == image and bad.last_error is not None
    assert bad.last_error.code == "unsupported_file" and "image/png" in bad.last_error.message
    hits = client.vector_stores.search(
        store.id, query="Lyon population", extra_body={"search_mode": "keyword"}
    )
    assert hits.data and hits.data[0].file_id == table


def test_client_mistakes(server: ServedStack, client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve("vs_missing")
    store = client.vector_stores.create(name="mistakes")
    with pytest.raises(openai.NotFoundError, match="file-0"):
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-0")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.search(store.id, query="x", max_num_results=500)
    with pytest.raises(openai.APIStatusError) as too_big:
        client.files.create(file=("big.txt", b"x" * 300_000), purpose="assistants")
    assert too_big.value.status_code == 413
    # a path in the name is only a display name: the content lives under the file id
    sneaky = client.files.create(file=("../../etc/passwd", b"root"), purpose="assistants")
    assert sneaky.filename == "passwd"
    assert client.files.content(sneaky.id).content == b"root"
    response = httpx.post(
        f"{server.base_url}/v1/vector-io/insert",
        json={
            "vector_db_id": store.id,
            "chunks": [{"content": "x", "metadata": {}, "embedding": [0.1, 0.2]}],
        },
    )
    assert response.status_code == 400
    assert (
        "2 dimensions" in response.json()["error"]["message"]
        and "8-dimensional" in response.json()["error"]["message"]
    )


def test_delete_a_store(client: OpenAI) -> None:
    store = client.vector_stores.create(name="short-lived")
    assert client.vector_stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)


def test_auto_chunks_fit_the_embedding_models_context(client: OpenAI) -> None:
    text = " ".join(f"Sentence number {i} describes another small fact about lighthouses." for i in range(60))
    file_id = _upload(client, "facts.txt", text.encode())
    chunks_by_model = {}
    for model in ("fake-embed", "short-embed"):
        store = client.vector_stores.create(name=model, extra_body={"embedding_model": model})
        client.vector_stores.files.create(vector_store_id=store.id, file_id=file_id)
        attached = _wait_file(client, store.id, file_id)
        assert attached.status == "completed", attached.last_error
        content = client.vector_stores.files.content(file_id, vector_store_id=store.id)
        chunks_by_model[model] = [part.text for part in content.data]
    tokenizer = default_tokenizer()
    # no context declared: OpenAI's 800 tokens; 150 declared: 120 tokens (80 % of it), overlapping by 30
    assert all(len(tokenizer.encode(c)) <= 800 for c in chunks_by_model["fake-embed"])
    assert len(chunks_by_model["short-embed"]) > len(chunks_by_model["fake-embed"])
    assert all(len(tokenizer.encode(c)) <= 120 for c in chunks_by_model["short-embed"])
