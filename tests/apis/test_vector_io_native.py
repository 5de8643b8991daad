"""The native memory APIs through llama-stack-client 0.2.12: vector DBs, vector-io, the RAG tool; and restarts."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: vector-native
apis: [inference, models, files, vector_io, vector_dbs, tool_runtime]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {embedding_dimension: 8}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {}
  vector_io:
    - provider_id: sqlite-vec
      provider_type: inline::sqlite-vec
      config: {}
    - provider_id: faiss
      provider_type: inline::faiss
      config: {}
  tool_runtime:
    - provider_id: rag
      provider_type: inline::rag-runtime
      config: {}
vector_dbs:
  - vector_db_id: declared
    provider_id: faiss
    embedding_model: fake-embed
    embedding_dimension: 8
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as sdk:
        yield sdk


@pytest.mark.parametrize("provider_id", ["sqlite-vec", "faiss"])
def test_register_insert_and_query(client: LlamaStackClient, provider_id: str) -> None:
    db_id = f"notes-{provider_id}"
    registered = client.vector_dbs.register(
        vector_db_id=db_id, embedding_model="fake-embed", embedding_dimension=8, provider_id=provider_id
    )
    assert registered.identifier == db_id and registered.embedding_dimension == 8
    assert db_id in [db.identifier for db in client.vector_dbs.list()]
    texts = ["the cat sat on the mat", "rivers flow into the sea", "bread rises in a warm oven"]
    client.vector_io.insert(
        vector_db_id=db_id,
        chunks=[{"content": t, "metadata": {"document_id": f"doc-{i}"}} for i, t in enumerate(texts)],
    )
    exact = client.vector_io.query(vector_db_id=db_id, query=texts[1])
    assert exact.chunks[0].content == texts[1] and exact.chunks[0].metadata["document_id"] == "doc-1"
    assert exact.scores[0] == pytest.approx(1.0, abs=1e-5)
    words = client.vector_io.query(vector_db_id=db_id, query="warm oven", params={"mode": "keyword"})
    assert [c.metadata["document_id"] for c in words.chunks] == ["doc-2"]
    both = client.vector_io.query(
        vector_db_id=db_id,
        query="cat mat",
        params={"mode": "hybrid", "max_chunks": 2, "ranker": {"type": "weighted", "alpha": 0.3}},
    )
    assert both.chunks[0].metadata["document_id"] == "doc-0" and len(both.chunks) == 2
    client.vector_dbs.unregister(db_id)
    with pytest.raises(llama_stack_client.NotFoundError):
        client.vector_dbs.retrieve(db_id)


def test_the_same_store_serves_both_api_generations(server: ServedStack, client: LlamaStackClient) -> None:
    assert client.vector_dbs.retrieve("declared").provider_id == "faiss"
    sdk = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    store = sdk.vector_stores.retrieve("declared")
    assert store.id == "declared"
    client.vector_io.insert(
        vector_db_id="declared", chunks=[{"content": "shared text about owls", "metadata": {}}]
    )
    hits = sdk.vector_stores.search("declared", query="owls", extra_body={"search_mode": "keyword"})
    assert hits.data[0].content[0].text == "shared text about owls"
    created = sdk.vector_stores.create(name="from-openai", extra_body={"provider_id": "sqlite-vec"})
    assert client.vector_dbs.retrieve(created.id).provider_id == "sqlite-vec"


def test_rag_tool_inserts_documents_by_content_and_url_and_answers_with_context(
    client: LlamaStackClient,
) -> None:
    client.vector_dbs.register(
        vector_db_id="rag", embedding_model="fake-embed", embedding_dimension=8, provider_id="faiss"
    )
    html = b"<html><head><title>Bees</title><style>p{}</style></head><body><p>Bees make honey from nectar.</p></body></html>"
    client.tool_runtime.rag_tool.insert(
        vector_db_id="rag",
        chunk_size_in_tokens=64,
        documents=[
            {
                "document_id": "plain",
                "content": "Owls hunt at night using silent flight.",
                "metadata": {"src": "a"},
            },
            {
                "document_id": "page",
                "content": {"uri": "data:text/html;base64," + base64.b64encode(html).decode()},
                "metadata": {},
                "mime_type": "text/html",
            },
        ],
    )
    result = client.tool_runtime.rag_tool.query(
        vector_db_ids=["rag"],
        content="honey nectar",
        query_config={
            "mode": "keyword",
            "max_chunks": 3,
            "max_tokens_in_context": 1000,
            "chunk_template": "[{index}] {chunk.content}\n",
            "query_generator_config": {"type": "default", "separator": " "},
        },
    )
    texts = [item.text for item in result.content]  # type: ignore[union-attr]
    assert texts[0].startswith("knowledge_search tool found 1 chunks")
    assert texts[1] == "[1] Bees make honey from nectar.\n"
    assert result.metadata["document_ids"] == ["page"]


def test_rag_tool_refuses_what_it_cannot_read(server: ServedStack) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/tool-runtime/rag-tool/insert",
        json={
            "vector_db_id": "declared",
            "chunk_size_in_tokens": 64,
            "documents": [{"document_id": "x", "content": {"uri": "file:///etc/passwd"}, "metadata": {}}],
        },
    )
    assert (
        response.status_code == 400 and "only http(s) and data: URLs" in response.json()["error"]["message"]
    )
    response = httpx.post(
        f"{server.base_url}/v1/vector-dbs",
        json={
            "vector_db_id": "bad",
            "embedding_model": "fake-embed",
            "embedding_dimension": 384,
            "provider_id": "faiss",
        },
    )
    assert response.status_code == 400
    assert (
        "384" in response.json()["error"]["message"]
        and "8-dimensional" in response.json()["error"]["message"]
    )
    response = httpx.post(
        f"{server.base_url}/v1/vector-io/query", json={"vector_db_id": "nope", "query": "x"}
    )
    assert response.status_code == 404


def test_stores_files_and_chunks_survive_a_restart(serve_stack: ServeStack, tmp_path: Path) -> None:
    server = serve_stack(DISTRIBUTION)
    sdk = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    file_id = sdk.files.create(file=("kept.txt", b"persistent penguins"), purpose="assistants").id
    ids = {}
    for provider_id in ("sqlite-vec", "faiss"):
        store = sdk.vector_stores.create(
            name=provider_id, file_ids=[file_id], extra_body={"provider_id": provider_id}
        )
        ids[provider_id] = store.id
        while sdk.vector_stores.files.retrieve(file_id, vector_store_id=store.id).status == "in_progress":
            pass
    server.stop()

    again = serve_stack(DISTRIBUTION)
    sdk = OpenAI(base_url=f"{again.base_url}/v1", api_key="x", max_retries=0)
    assert sdk.files.content(file_id).content == b"persistent penguins"
    for store_id in ids.values():
        assert sdk.vector_stores.retrieve(store_id).file_counts.completed == 1
        hits = sdk.vector_stores.search(store_id, query="persistent penguins")
        assert hits.data[0].score == pytest.approx(1.0, abs=1e-5)
