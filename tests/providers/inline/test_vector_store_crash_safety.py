"""Vector stores survive a crash: SIGKILL mid file batch resumes cleanly; interrupted deletions finish at startup."""

from __future__ import annotations

import asyncio
import math
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI
from openai.types.vector_stores import VectorStoreFile

from llama_stack.storage import KVStore, ProviderKVStore, SqliteKVStoreConfig, kvstore_from_config
from llama_stack_api import Api, Model, NotFoundError, ProviderContext
from llama_stack_api.uploads import UploadFile
from llama_stack_api.vector_io import StaticChunkingConfig, StaticChunkingStrategy
from llama_stack_providers.inline.files.localfs.config import LocalFSFilesConfig
from llama_stack_providers.inline.files.localfs.provider import create as create_localfs
from llama_stack_providers.inline.vector_io.faiss.config import FaissVectorIOConfig
from llama_stack_providers.inline.vector_io.faiss.index import FaissIndexStore
from llama_stack_providers.inline.vector_io.faiss.provider import create as create_faiss
from llama_stack_providers.inline.vector_io.sqlite_vec.config import SqliteVecVectorIOConfig
from llama_stack_providers.inline.vector_io.sqlite_vec.index import SqliteVecIndexStore
from llama_stack_providers.inline.vector_io.sqlite_vec.provider import create as create_sqlite_vec
from llama_stack_providers.utils.memory._ingestion import EMBEDDING_BATCH
from llama_stack_providers.utils.memory.index import IndexStore
from llama_stack_providers.utils.memory.ingest.chunking import chunk_text
from llama_stack_providers.utils.memory.provider import VectorIOProvider
from tests.fakes.inference import FakeInference, FakeInferenceConfig
from tests.fixtures.cli import FAKE_PLUGIN, Cli
from tests.support.server import ServeStack

PROVIDERS = ["inline::sqlite-vec", "inline::faiss"]
DIMENSION = 32  # hash vectors: a chunk's own text scores 1.0, any other text far less
EMBEDDING_DELAY_S = 0.2
CHUNK_TOKENS = 100
CHUNKING: dict[str, Any] = {
    "type": "static",
    "static": {"max_chunk_size_tokens": CHUNK_TOKENS, "chunk_overlap_tokens": 0},
}
# embedding requests per file (one per EMBEDDING_BATCH chunks): five files finish after one delay,
# the others take three or four, so a kill can land with some files done and some in progress
EMBED_CALLS = [1, 1, 1, 1, 1, 3, 3, 4, 4, 4]
SETTLE_TIMEOUT_S = 30.0

DISTRIBUTION = """\
version: 2
name: crash
apis: [inference, models, files, vector_io, vector_dbs]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {{embedding_dimension: {dimension}, embedding_delay_s: {delay}}}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {{}}
  vector_io:
    - provider_id: vectors
      provider_type: {provider_type}
      config: {{}}
"""


def _document(number: int, calls: int) -> str:
    """Text whose static 100-token chunking needs ``calls`` embedding requests; unique to ``number``."""
    target = 3 if calls == 1 else (calls - 1) * EMBEDDING_BATCH + 3
    sentences = round(target * 5.8)  # each sentence is about 17 tokens
    text = " ".join(
        f"Document {number} sentence {i} says the lighthouse keeper trimmed the wick at dusk."
        for i in range(sentences)
    )
    chunks = chunk_text(text, max_chunk_size_tokens=CHUNK_TOKENS, chunk_overlap_tokens=0)
    assert math.ceil(len(chunks) / EMBEDDING_BATCH) == calls, (number, len(chunks))
    return text


def _statuses(client: OpenAI, store_id: str, batch_id: str) -> dict[str, VectorStoreFile]:
    page = client.vector_stores.file_batches.list_files(batch_id, vector_store_id=store_id, limit=100)
    return {f.id: f for f in page.data}


def _wait_batch(client: OpenAI, store_id: str, batch_id: str) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while (
        client.vector_stores.file_batches.retrieve(batch_id, vector_store_id=store_id).status == "in_progress"
    ):
        statuses = {f: s.status for f, s in _statuses(client, store_id, batch_id).items()}
        assert time.monotonic() < deadline, f"batch {batch_id} still in progress: {statuses}"
        time.sleep(0.05)


def _contents(client: OpenAI, store_id: str, file_ids: list[str]) -> dict[str, list[str]]:
    def content(file_id: str) -> list[str]:
        parts = client.vector_stores.files.content(file_id, vector_store_id=store_id)
        return [part.text or "" for part in parts]

    with ThreadPoolExecutor(len(file_ids)) as pool:
        return dict(zip(file_ids, pool.map(content, file_ids), strict=True))


def _exact_hits(client: OpenAI, store_id: str, queries: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """For each file, the (file_id, text) of the hits scoring ~1.0 for ``queries[file]`` (its first chunk)."""

    def search(query: str) -> list[tuple[str, str]]:
        hits = client.vector_stores.search(store_id, query=query, max_num_results=5).data
        return [(h.file_id, h.content[0].text) for h in hits if h.score > 0.999]

    with ThreadPoolExecutor(len(queries)) as pool:
        return dict(zip(queries, pool.map(search, queries.values()), strict=True))


def _counts(statuses: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(("in_progress", "completed", "failed", "cancelled"), 0)
    for status in statuses:
        counts[status] += 1
    return {**counts, "total": len(statuses)}


def _open_index_store(provider_type: str, state_dir: Path) -> IndexStore:
    if provider_type == "inline::sqlite-vec":
        return SqliteVecIndexStore(state_dir / "sqlite_vec.db")
    return FaissIndexStore(state_dir)


@pytest.mark.slow
@pytest.mark.parametrize("provider_type", PROVIDERS)
async def test_sigkill_during_a_file_batch_leaves_every_file_settled_and_indexed_once(
    cli: Cli, provider_type: str
) -> None:
    path = cli.cwd / "crash.yaml"
    path.write_text(
        DISTRIBUTION.format(dimension=DIMENSION, delay=EMBEDDING_DELAY_S, provider_type=provider_type)
    )
    documents = [_document(n, calls) for n, calls in enumerate(EMBED_CALLS)]

    # --- first run: start the batch, SIGKILL the server with some files done and some in progress
    with cli.serve(path, plugins=[FAKE_PLUGIN]) as server:
        server.wait_healthy()
        with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as client:
            file_ids = [
                client.files.create(file=(f"doc{n}.txt", text.encode()), purpose="assistants").id
                for n, text in enumerate(documents)
            ]
            store = client.vector_stores.create(name="crash")
            batch = client.vector_stores.file_batches.create(
                vector_store_id=store.id,
                file_ids=file_ids,
                chunking_strategy=CHUNKING,  # type: ignore[arg-type]
            )
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while True:
                before = {f: s.status for f, s in _statuses(client, store.id, batch.id).items()}
                done = {f for f, s in before.items() if s == "completed"}
                pending = {f for f, s in before.items() if s == "in_progress"}
                if done and pending:
                    break
                assert pending, f"every file finished before the kill could land: {before}"
                assert time.monotonic() < deadline, before
                time.sleep(0.01)
        exit_code = server.stop(signal.SIGKILL, timeout=10)
    assert exit_code == -signal.SIGKILL  # the server process itself (no shell in between), killed
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/v1/health", timeout=2)
    assert sorted(before) == sorted(file_ids) and len(done) + len(pending) == len(file_ids), before

    # --- second run: same home, so the same kv store, index files and uploads
    with cli.serve(path, plugins=[FAKE_PLUGIN]) as restarted:
        restarted.wait_healthy()
        with OpenAI(base_url=f"{restarted.base_url}/v1", api_key="x", max_retries=0) as client:
            _wait_batch(client, store.id, batch.id)
            after = _statuses(client, store.id, batch.id)
            settled_batch = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
            settled_store = client.vector_stores.retrieve(store.id)
            listed = {f.id: f.status for f in client.vector_stores.files.list(store.id, limit=100).data}
            contents = _contents(client, store.id, file_ids)

            # what one clean ingestion of each file gives, in a fresh store of the same server
            reference = client.vector_stores.create(name="reference")
            clean = client.vector_stores.file_batches.create(
                vector_store_id=reference.id,
                file_ids=file_ids,
                chunking_strategy=CHUNKING,  # type: ignore[arg-type]
            )
            _wait_batch(client, reference.id, clean.id)
            expected = _contents(client, reference.id, file_ids)
            exact = _exact_hits(client, store.id, {f: expected[f][0] for f in file_ids})
        assert restarted.stop(signal.SIGTERM, timeout=15) == 0, restarted.stderr
    assert "Traceback" not in restarted.stderr, restarted.stderr[-4000:]

    # nothing is stuck: the files in progress at the kill were resumed, the finished ones kept
    statuses = {f: s.status for f, s in after.items()}
    assert sorted(statuses) == sorted(file_ids)
    resumed = {f for f in file_ids if f"resuming ingestion of {f} into {store.id}" in restarted.stderr}
    assert resumed and resumed <= pending and not resumed & done, (resumed, pending, done)
    problems = {f: (s.status, s.last_error) for f, s in after.items() if s.status != "completed"}
    assert not problems, problems

    # the batch and the store count exactly what the files say
    counts = _counts(list(statuses.values()))
    assert settled_batch.file_counts.model_dump() == counts
    assert settled_batch.status == "completed"
    assert settled_store.file_counts.model_dump() == counts
    assert settled_store.status == "completed"
    assert listed == statuses

    # each file holds the chunks of one ingestion, in order: no duplicate, none missing, none extra
    for n, file_id in enumerate(file_ids):
        assert expected[file_id], f"doc{n} has no chunks in the reference store"
        assert contents[file_id] == expected[file_id], (
            f"doc{n} ({'resumed' if file_id in resumed else 'done before the kill'}): "
            f"{len(contents[file_id])} chunks after the crash, {len(expected[file_id])} from a clean ingestion"
        )
        # its first chunk's own text finds that chunk, once
        assert exact[file_id] == [(file_id, expected[file_id][0])], (n, exact[file_id])

    # and the index itself holds nothing else: no orphan from the killed run, no second copy
    state_dir = cli.home / "crash" / "providers" / "vectors"
    index_store = _open_index_store(provider_type, state_dir)
    await index_store.initialize()
    try:
        index = await index_store.open(store.id, DIMENSION)
        stored = (await index.stats()).chunk_count
        per_file = {f: len(await index.file_chunk_ids(f)) for f in file_ids}
        await index.close()
    finally:
        await index_store.shutdown()
    assert per_file == {f: len(contents[f]) for f in file_ids}
    assert stored == sum(per_file.values())


RACE_DISTRIBUTION = """\
version: 2
name: resume-race
apis: [inference, models, files, vector_io, vector_dbs]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {embedding_dimension: 8, embedding_delay_s: 0.5}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {}
  vector_io:
    - provider_id: vectors
      provider_type: inline::sqlite-vec
      config: {}
"""


def test_a_file_resumed_at_startup_does_not_fail_while_the_registry_syncs(
    serve_stack: ServeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: recovery ran in the provider's initialize(), before start_stack re-synced the registry.

    The registry drops the last run's provider models and lists them again; a resumed file whose first
    embedding request fell in between failed for good with "model 'fake-embed' is not registered"
    (in about half the SIGKILL runs above). Recovery now waits for ``stack_ready()``; a slow model
    listing makes the old window wide enough to hit every time.
    """
    first = serve_stack(RACE_DISTRIBUTION)
    with OpenAI(base_url=f"{first.base_url}/v1", api_key="x", max_retries=0) as client:
        file_ids = [
            client.files.create(file=(f"r{n}.txt", _document(200 + n, 1).encode()), purpose="assistants").id
            for n in range(3)
        ]
        store = client.vector_stores.create(name="race")
        batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=file_ids)
        assert {s.status for s in _statuses(client, store.id, batch.id).values()} == {"in_progress"}
    first.stop()  # mid-embedding: the records stay in_progress, as after a crash

    # an engine whose model listing takes a moment (an HTTP round trip for remote ones): the registry
    # drops the last run's models, lists the providers' ones, then adds them back
    listing = FakeInference.list_provider_models

    async def slow_listing(self: FakeInference) -> list[Model]:
        await asyncio.sleep(1.0)
        return await listing(self)

    monkeypatch.setattr(FakeInference, "list_provider_models", slow_listing)
    second = serve_stack(RACE_DISTRIBUTION)
    with OpenAI(base_url=f"{second.base_url}/v1", api_key="x", max_retries=0) as client:
        _wait_batch(client, store.id, batch.id)
        after = {f: (s.status, s.last_error) for f, s in _statuses(client, store.id, batch.id).items()}
    assert after == dict.fromkeys(file_ids, ("completed", None))


# --- deletions a crash interrupted, finished by the next start (in process) -----------------------


@dataclass
class Stack:
    """The pieces a vector-io provider is built from, shared by its successive instances."""

    provider_type: str
    tmp_path: Path
    kv: KVStore
    inference: FakeInference
    files: Any

    async def provider(self) -> VectorIOProvider:
        """A fresh provider instance over the same state (as after a restart), initialized."""
        context = ProviderContext(
            provider_id="vectors",
            state_dir=self.tmp_path / "providers" / "vectors",
            kvstore=ProviderKVStore(self.kv, "provider-vectors"),
        )
        deps = {Api.inference: self.inference, Api.files: self.files}
        provider: VectorIOProvider
        if self.provider_type == "inline::sqlite-vec":
            provider = await create_sqlite_vec(SqliteVecVectorIOConfig(), deps, context)
        else:
            provider = await create_faiss(FaissVectorIOConfig(), deps, context)
        # what start_stack does: initialize every provider, then (once the registry is synced) stack_ready
        await provider.initialize()
        await provider.stack_ready()
        return provider


@pytest.fixture(params=PROVIDERS)
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    kv = await kvstore_from_config(SqliteKVStoreConfig(db_path=str(tmp_path / "kvstore.db")))
    files_context = ProviderContext(
        provider_id="localfs",
        state_dir=tmp_path / "providers" / "localfs",
        kvstore=ProviderKVStore(kv, "provider-localfs"),
    )
    files = await create_localfs(LocalFSFilesConfig(), {}, files_context)
    await files.initialize()
    try:
        yield Stack(
            request.param, tmp_path, kv, FakeInference(FakeInferenceConfig(embedding_dimension=8)), files
        )
    finally:
        await files.shutdown()
        await kv.close()


async def _upload(stack: Stack, name: str, text: str) -> str:
    source = stack.tmp_path / f"upload-{name}"
    source.write_text(text)
    uploaded = await stack.files.openai_upload_file(UploadFile(source, filename=name), purpose="assistants")
    file_id: str = uploaded.id
    return file_id


async def _store_with_files(provider: VectorIOProvider, stack: Stack, count: int) -> tuple[str, list[str]]:
    store = await provider.openai_create_vector_store(
        name="s", embedding_model="fake-embed", embedding_dimension=8
    )
    file_ids = [await _upload(stack, f"f{n}.txt", _document(100 + n, 1)) for n in range(count)]
    strategy = StaticChunkingStrategy(
        static=StaticChunkingConfig(max_chunk_size_tokens=100, chunk_overlap_tokens=0)
    )
    for file_id in file_ids:
        await provider.openai_attach_file_to_vector_store(store.id, file_id, chunking_strategy=strategy)
    await _until(lambda: _all_completed(provider, store.id, file_ids))
    return store.id, file_ids


async def _all_completed(provider: VectorIOProvider, store_id: str, file_ids: list[str]) -> bool:
    for file_id in file_ids:
        if (await provider.openai_retrieve_vector_store_file(store_id, file_id)).status != "completed":
            return False
    return True


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_startup_finishes_a_file_deletion_a_crash_interrupted(stack: Stack) -> None:
    provider = await stack.provider()
    try:
        store_id, (doomed, kept) = await _store_with_files(provider, stack, 2)
        index = await provider._index(await provider.openai_retrieve_vector_store(store_id))
        doomed_chunks = await index.file_chunk_ids(doomed)
        kept_chunks = await index.file_chunk_ids(kept)
        assert len(doomed_chunks) >= 2 and kept_chunks
        # what a kill in the middle of DELETE .../files/{doomed} leaves: the record marked, half the chunks gone
        record = await provider.records.file(store_id, doomed)
        assert record is not None
        record.deleting = True
        await provider.records.put_file(record)
        await index.delete(doomed_chunks[: len(doomed_chunks) // 2])
    finally:
        await provider.shutdown()

    restarted = await stack.provider()
    try:
        assert await restarted.records.file(store_id, doomed) is None
        with pytest.raises(NotFoundError):
            await restarted.openai_retrieve_vector_store_file(store_id, doomed)
        index = await restarted._index(await restarted.openai_retrieve_vector_store(store_id))
        assert await index.file_chunk_ids(doomed) == []
        assert await index.file_chunk_ids(kept) == kept_chunks
        assert (await index.stats()).chunk_count == len(kept_chunks)
        store = await restarted.openai_retrieve_vector_store(store_id)
        assert store.file_counts.total == store.file_counts.completed == 1
        listed = await restarted.openai_list_files_in_vector_store(store_id)
        assert [f.id for f in listed.data] == [kept]
        assert (await restarted.openai_retrieve_vector_store_file(store_id, kept)).status == "completed"
    finally:
        await restarted.shutdown()


async def test_startup_finishes_a_store_deletion_a_crash_interrupted(stack: Stack) -> None:
    provider = await stack.provider()
    try:
        doomed, doomed_files = await _store_with_files(provider, stack, 2)
        kept, kept_files = await _store_with_files(provider, stack, 1)
        batch = await provider.openai_create_vector_store_file_batch(doomed, doomed_files[:1])
        await _until(lambda: _all_completed(provider, doomed, doomed_files[:1]))
        doomed_index = await provider._index(await provider.openai_retrieve_vector_store(doomed))
        assert (await doomed_index.stats()).chunk_count > 0
        # a kill in the middle of DELETE /v1/vector_stores/{doomed}: the record is marked, nothing else done
        record = await provider.records.store(doomed)
        assert record is not None
        record.deleting = True
        await provider.records.put_store(record)
    finally:
        await provider.shutdown()

    restarted = await stack.provider()
    try:
        assert await restarted.records.store(doomed) is None
        assert await restarted.records.files(doomed) == []
        assert await restarted.records.batches(doomed) == []
        with pytest.raises(NotFoundError):
            await restarted.openai_retrieve_vector_store(doomed)
        with pytest.raises(NotFoundError):
            await restarted.openai_retrieve_vector_store_file_batch(doomed, batch.id)
        assert [s.id for s in (await restarted.openai_list_vector_stores()).data] == [kept]
        # the dropped index reopens empty; the other store is untouched
        assert (await (await restarted.index_store.open(doomed, 8)).stats()).chunk_count == 0
        store = await restarted.openai_retrieve_vector_store(kept)
        assert store.file_counts.completed == store.file_counts.total == 1
        index = await restarted._index(store)
        assert await index.file_chunk_ids(kept_files[0])
    finally:
        await restarted.shutdown()
