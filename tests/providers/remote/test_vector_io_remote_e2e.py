"""remote::pgvector (a real PostgreSQL + pgvector) and remote::qdrant (local mode) behind a real server.

The same OpenAI vector-store flow as the embedded stores: upload, create with
files, search by vector and keyword, and everything still there after a restart.
"""

from __future__ import annotations

import pytest
from openai import OpenAI

from tests.support.server import ServeStack

DISTRIBUTION = """\
version: 2
name: vector-remote
apis: [inference, models, files, vector_io, vector_dbs]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {{embedding_dimension: 8}}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {{}}
  vector_io:
    - provider_id: {provider_id}
      provider_type: {provider_type}
      config: {config}
"""

TEXTS = {
    "owls.txt": b"Owls hunt at night and fly without a sound.",
    "bread.txt": b"Bread dough rises slowly in a warm kitchen.",
}


def _flow_survives_restart(serve_stack: ServeStack, distribution: str) -> None:
    server = serve_stack(distribution)
    sdk = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    file_ids = {
        name: sdk.files.create(file=(name, data), purpose="assistants").id for name, data in TEXTS.items()
    }
    store = sdk.vector_stores.create(name="remote", file_ids=list(file_ids.values()))
    for file_id in file_ids.values():
        while sdk.vector_stores.files.retrieve(file_id, vector_store_id=store.id).status == "in_progress":
            pass
    assert sdk.vector_stores.retrieve(store.id).file_counts.completed == 2
    exact = sdk.vector_stores.search(store.id, query=TEXTS["owls.txt"].decode())
    assert exact.data[0].file_id == file_ids["owls.txt"]
    assert exact.data[0].score == pytest.approx(1.0, abs=1e-4)
    words = sdk.vector_stores.search(store.id, query="dough kitchen", extra_body={"search_mode": "keyword"})
    assert [hit.file_id for hit in words.data] == [file_ids["bread.txt"]]
    server.stop()

    again = serve_stack(distribution)
    sdk = OpenAI(base_url=f"{again.base_url}/v1", api_key="x", max_retries=0)
    assert sdk.vector_stores.retrieve(store.id).file_counts.completed == 2
    hits = sdk.vector_stores.search(store.id, query=TEXTS["bread.txt"].decode())
    assert hits.data[0].file_id == file_ids["bread.txt"]
    assert sdk.vector_stores.delete(store.id).deleted


@pytest.mark.postgres
def test_pgvector_store_end_to_end(serve_stack: ServeStack, postgres_dsn: str) -> None:
    config = f"{{dsn: '{postgres_dsn}'}}"
    _flow_survives_restart(
        serve_stack,
        DISTRIBUTION.format(provider_id="pgvector", provider_type="remote::pgvector", config=config),
    )


def test_qdrant_local_store_end_to_end(serve_stack: ServeStack) -> None:
    _flow_survives_restart(
        serve_stack, DISTRIBUTION.format(provider_id="qdrant", provider_type="remote::qdrant", config="{}")
    )
