"""Vector-store ingestion rate, time per stage: python bench/ingestion.py [--docs N] [--tokens-per-doc M]"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from _server import serve

from llama_stack_providers.inline.inference.sentence_transformers.config import (
    SentenceTransformersInferenceConfig,
)
from llama_stack_providers.inline.inference.sentence_transformers.provider import (
    SentenceTransformersInference,
)
from llama_stack_providers.inline.vector_io.faiss.index import FaissIndexStore
from llama_stack_providers.inline.vector_io.sqlite_vec.index import SqliteVecIndexStore
from llama_stack_providers.utils.memory._ingestion import EMBEDDING_BATCH, Embedder, normalised
from llama_stack_providers.utils.memory.index import IndexedChunk, IndexStore
from llama_stack_providers.utils.memory.ingest import _tokenizers
from llama_stack_providers.utils.memory.ingest.chunking import (
    TextChunk,
    TiktokenTokenizer,
    chunk_text,
    default_tokenizer,
)
from llama_stack_providers.utils.memory.ingest.extract import extract_text

DETAILS = """\
Two parts, both over the same generated Markdown documents (deterministic prose, --seed):

1. End to end: serves bench/ingestion.yaml with `llama-stack run` (sentence-transformers all-MiniLM-L6-v2
   on the CPU, localfs, sqlite-vec, faiss flat) and waits for the model. One file is ingested into each
   provider first (the first parse loads the chunking tokenizer). For reference, one /v1/embeddings
   request of --embed-chunks chunk texts gives the model's own rate in that process. Then the documents
   are uploaded through /v1/files and, per provider, attached to a new store with one file batch (static
   chunking), polled until done: chunks/s and files/s are over the time from the batch request to the
   poll that sees it finished. While the first batch runs, one search is sent to another store (its
   query embedding shares the model's queue with the ingestion). The server's log lines "ingested <file>
   into <store>: N chunks (read ..s, parse ..s, embed ..s, write ..s)" are summed per stage. A batch
   ingests all its files at once, so a file's stage time includes waiting for the others (in the
   embedding model's queue above all): the sums exceed the wall time; their split shows where files wait.
2. In process, no HTTP, one stage at a time (its ceiling): extraction + chunking on one thread, then all
   files at once through asyncio.to_thread as a batch does, with the tokenizer cached and not yet loaded;
   --embed-chunks chunks through Embedder.embed (batches of 64) on the real sentence-transformers
   provider, beside the model's own encode of the same texts and the two passes around it; writes
   through VectorIndex (delete_file + add per file, as ingest_file does, and one add of every chunk).

The load average is printed: on a shared machine, compare rows of one run only. It asserts nothing.
"""

ROOT = Path(__file__).resolve().parent.parent
MODEL = "all-MiniLM-L6-v2"
DIMENSION = 384
PROVIDERS = ("sqlite-vec", "faiss")
STAGES = ("read", "parse", "embed", "write")
LOG_LINE = re.compile(
    r"ingested (?P<file>\S+) into (?P<store>\S+): (?P<chunks>\d+) chunks \(read (?P<read>[\d.]+)s, "
    r"parse (?P<parse>[\d.]+)s, embed (?P<embed>[\d.]+)s, write (?P<write>[\d.]+)s\)"
)

# --- documents -------------------------------------------------------------------------------------

SUBJECTS = (
    "the miller", "an old ferryman", "the town council", "a young surveyor", "the harbour master",
    "the weaver's daughter", "two shepherds", "the schoolteacher", "a travelling merchant",
    "the night watchman", "the abbess", "a clockmaker from the coast", "the blacksmith's apprentice",
    "the postmistress", "a retired sea captain", "the stationmaster",
)  # fmt: skip
VERBS = (
    "carried", "repaired", "counted", "described", "measured", "painted", "sold", "questioned",
    "mapped", "guarded", "rebuilt", "catalogued", "borrowed", "inspected", "forgot", "defended",
)  # fmt: skip
OBJECTS = (
    "the grain sacks", "a broken lantern", "the tax ledgers", "the north bridge", "the orchard walls",
    "a crate of copper wire", "the parish records", "the flood barriers", "three barrels of cider",
    "the signal lamps", "an unsigned letter", "the mill wheel", "the winter stores", "a faded map",
)  # fmt: skip
PLACES = (
    "before the spring flood", "near the chapel on the hill", "along the canal", "at the market square",
    "behind the customs house", "in the valley below the quarry", "on the road to the capital",
    "during the autumn fair", "beside the frozen lake", "under the railway arches",
)  # fmt: skip
CLAUSES = (
    "while the bells rang for evening", "because the road to the city was closed",
    "although nobody had asked for it", "so that the accounts would balance by midsummer",
    "as the fog rolled in from the estuary", "until the last cart had left",
    "even though the budget had been cut twice", "which surprised everyone in the village",
)  # fmt: skip


def sentence(rng: random.Random) -> str:
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(PLACES)}"
    if rng.random() < 0.5:
        text += f", {rng.choice(CLAUSES)}"
    return text[0].upper() + text[1:] + "."


def make_documents(count: int, tokens_per_doc: int, seed: int) -> tuple[list[tuple[str, bytes]], int]:
    """``count`` Markdown documents of about ``tokens_per_doc`` Llama 3 tokens each, and the total."""
    tokenizer = default_tokenizer()
    documents: list[tuple[str, bytes]] = []
    total = 0
    for number in range(count):
        rng = random.Random(seed * 1_000_003 + number)
        parts = [f"# Chronicle {number}: {rng.choice(OBJECTS)} {rng.choice(PLACES)}"]
        tokens = len(tokenizer.encode(parts[0]))
        while tokens < tokens_per_doc:
            paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))
            parts.append(paragraph)
            tokens += len(tokenizer.encode(paragraph)) + 1  # +1: the blank line between paragraphs
        text = "\n\n".join(parts) + "\n"
        total += len(tokenizer.encode(text))
        documents.append((f"chronicle-{number:04d}.md", text.encode()))
    return documents, total


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """First column and a last column headed "note" left-aligned, the others right-aligned, sized to fit."""
    lines = [list(headers), *([f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for number, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])]
        for column, (cell, width) in enumerate(zip(line[1:], widths[1:], strict=True), start=1):
            cells.append("  " + (cell.ljust(width) if headers[column] == "note" else cell.rjust(width)))
        print("".join(cells).rstrip())
        if number == 0:
            print("-" * (widths[0] + sum(w + 2 for w in widths[1:])))


# --- 1. end to end through a server -----------------------------------------------------------------


@dataclass
class ServerRun:
    provider: str
    completed: int
    failed: int
    chunks: int
    wall: float
    stage_sums: dict[str, float]
    stage_max: dict[str, float]
    file_totals: list[float]  # each file's read + parse + embed + write
    server_embed: float  # chunks/s of one /v1/embeddings request of chunk texts on the same server


def upload(client: httpx.Client, base: str, name: str, data: bytes) -> str:
    response = client.post(
        f"{base}/v1/files", files={"file": (name, data, "text/markdown")}, data={"purpose": "assistants"}
    )
    response.raise_for_status()
    return str(response.json()["id"])


def search_seconds(base: str, store_id: str) -> float:
    """One vector search (its query embedded by the same model as ingestion), on its own connection."""
    with httpx.Client(timeout=600) as client:
        started = time.perf_counter()
        response = client.post(
            f"{base}/v1/vector_stores/{store_id}/search",
            json={"query": "who repaired the mill wheel before the spring flood", "max_num_results": 5},
        )
        response.raise_for_status()
        return time.perf_counter() - started


def ingest_through_server(
    client: httpx.Client,
    base: str,
    provider: str,
    file_ids: list[str],
    args: argparse.Namespace,
    during: Callable[[], None] | None = None,
) -> tuple[str, int, int, float]:
    """Create a store on ``provider``, attach the files in one batch, poll until it is done.

    ``during`` runs in a thread once the batch is accepted (the polling goes on meanwhile).

    Returns (store id, files completed, files failed, seconds from the batch request to the poll that saw
    it finished).
    """
    response = client.post(
        f"{base}/v1/vector_stores",
        json={"name": f"ingestion-bench-{provider}", "provider_id": provider, "embedding_model": MODEL},
    )
    response.raise_for_status()
    store_id = str(response.json()["id"])
    strategy = {
        "type": "static",
        "static": {"max_chunk_size_tokens": args.chunk_size, "chunk_overlap_tokens": args.chunk_overlap},
    }
    started = time.perf_counter()
    response = client.post(
        f"{base}/v1/vector_stores/{store_id}/file_batches",
        json={"file_ids": file_ids, "chunking_strategy": strategy},
    )
    response.raise_for_status()
    batch = response.json()
    side = threading.Thread(target=during) if during is not None else None
    if side is not None:
        side.start()
    while batch["status"] == "in_progress":
        time.sleep(args.poll_s)
        response = client.get(f"{base}/v1/vector_stores/{store_id}/file_batches/{batch['id']}")
        response.raise_for_status()
        batch = response.json()
    wall = time.perf_counter() - started
    if side is not None:
        side.join()
    counts = batch["file_counts"]
    return store_id, int(counts["completed"]), int(counts["failed"]), wall


def server_runs(documents: list[tuple[str, bytes]], args: argparse.Namespace) -> list[ServerRun]:
    runs: list[ServerRun] = []
    with (
        tempfile.TemporaryDirectory(prefix="ingestion-bench-") as home,
        httpx.Client(timeout=600) as client,
    ):
        log = Path(home) / "server.log"
        started = time.perf_counter()
        with serve(ROOT / "bench/ingestion.yaml", home=Path(home), log=log) as server:
            base = server.base_url
            healthy = time.perf_counter() - started
            # the model loads in the background: wait for it here, not inside the first ingestion
            response = client.post(f"{base}/v1/embeddings", json={"model": MODEL, "input": ["warm up"]})
            response.raise_for_status()
            ready = time.perf_counter() - started
            print(f"server healthy after {healthy:.1f} s, embedding model ready after {ready:.1f} s")

            # one file per provider first, untimed in the tables: the first parse loads the chunking
            # tokenizer (the 128k Llama 3 BPE ranks), which the first measured batch would otherwise pay
            warm_up = upload(client, base, "warm-up.md", documents[0][1])
            warm_stores: dict[str, str] = {}
            for provider in PROVIDERS:
                warm_stores[provider], *_, wall = ingest_through_server(
                    client, base, provider, [warm_up], args
                )
                print(f"warm-up: one file into {provider} in {wall:.2f} s")
            # the model alone in this process, at this moment: chunk texts straight to /v1/embeddings
            texts = [chunk.text for _, data in documents for chunk in parse_one("x.md", data, args)[1]]
            texts = texts[: args.embed_chunks]
            seconds = []
            for _ in range(args.embed_rounds):
                started = time.perf_counter()
                response = client.post(f"{base}/v1/embeddings", json={"model": MODEL, "input": texts})
                response.raise_for_status()
                seconds.append(time.perf_counter() - started)
            server_embed = len(texts) / min(seconds)
            print(
                f"/v1/embeddings, {len(texts)} chunk texts in one request: {server_embed:.1f} chunks/s "
                f"(best of {args.embed_rounds})"
            )
            # a search's query embedding goes through the model's queue too: time one on an idle server,
            # and one sent while the first measured batch ingests (into another store)
            probe_store = warm_stores[PROVIDERS[0]]
            search_seconds(base, probe_store)
            idle_search = search_seconds(base, probe_store)
            busy_search: list[float] = []

            def probe() -> None:
                time.sleep(args.probe_delay_s)
                busy_search.append(search_seconds(base, probe_store))

            started = time.perf_counter()
            file_ids = [upload(client, base, name, data) for name, data in documents]
            elapsed = time.perf_counter() - started
            size = sum(len(data) for _, data in documents)
            print(
                f"uploaded {len(file_ids)} files ({size / 1e6:.2f} MB) in {elapsed:.2f} s: "
                f"{len(file_ids) / elapsed:.0f} files/s, one request at a time"
            )

            for number, provider in enumerate(PROVIDERS):
                store_id, completed, failed, wall = ingest_through_server(
                    client, base, provider, file_ids, args, during=probe if number == 0 else None
                )
                print(
                    f"{provider}: {completed} files completed, {failed} failed, in {wall:.1f} s", flush=True
                )
                matches = [m for m in LOG_LINE.finditer(log.read_text()) if m["store"] == store_id]
                if number == 0:
                    print(
                        f"  a search on another store took {busy_search[0]:.2f} s, sent "
                        f"{args.probe_delay_s:g} s into this batch ({idle_search:.3f} s on an idle server)"
                    )
                if len(matches) != completed:
                    print(f"  (found {len(matches)} ingestion log lines for {completed} completed files)")
                runs.append(
                    ServerRun(
                        provider=provider,
                        completed=completed,
                        failed=failed,
                        chunks=sum(int(m["chunks"]) for m in matches),
                        wall=wall,
                        stage_sums={s: sum(float(m[s]) for m in matches) for s in STAGES},
                        stage_max={s: max((float(m[s]) for m in matches), default=0.0) for s in STAGES},
                        file_totals=[sum(float(m[s]) for s in STAGES) for m in matches],
                        server_embed=server_embed,
                    )
                )
    return runs


def print_server_runs(runs: list[ServerRun]) -> None:
    print("\n== end to end: one file batch per provider, through the server (upload not included)")
    table(
        ["provider", "files", "chunks", "wall s", "chunks/s", "files/s", "file p50 s", "file max s"],
        [
            (
                r.provider,
                r.completed,
                r.chunks,
                r.wall,
                r.chunks / r.wall,
                r.completed / r.wall,
                float(np.percentile(r.file_totals, 50)) if r.file_totals else 0.0,
                max(r.file_totals, default=0.0),
            )
            for r in runs
        ],
    )
    print("\nper stage, from the server's log lines (files ingest concurrently: summed stage time > wall)")
    rows: list[list[object]] = []
    for r in runs:
        total = sum(r.stage_sums.values()) or 1.0
        for stage in STAGES:
            rows.append(
                [
                    r.provider if stage == STAGES[0] else "",
                    stage,
                    r.stage_sums[stage],
                    f"{100 * r.stage_sums[stage] / total:.1f}",
                    f"{1000 * r.stage_sums[stage] / max(1, r.completed):.1f}",
                    f"{1000 * r.stage_max[stage]:.1f}",
                ]
            )
        rows.append(
            [
                "",
                "all",
                total,
                "100.0",
                f"{1000 * total / max(1, r.completed):.1f}",
                f"= {total / r.wall:.1f}x wall",
            ]
        )
    table(["provider", "stage", "sum s", "%", "mean ms/file", "max ms/file"], rows)


# --- 2. in process, one stage at a time -------------------------------------------------------------

Row = tuple[str, float, float | None, str]  # step, seconds, chunks/s (None: not per chunk), note


@dataclass
class Parsed:
    file_id: str
    filename: str
    mime_type: str
    chunks: list[TextChunk]


def parse_one(name: str, data: bytes, args: argparse.Namespace) -> tuple[str, list[TextChunk]]:
    """What ``ingest_file`` runs in a thread: extraction, then chunking (tokenizer included)."""
    extracted = extract_text(data, filename=name)
    chunks = chunk_text(
        extracted.text, max_chunk_size_tokens=args.chunk_size, chunk_overlap_tokens=args.chunk_overlap
    )
    return extracted.mime_type, chunks


async def concurrent_parse(
    documents: list[tuple[str, bytes]], args: argparse.Namespace, cold: bool
) -> tuple[float, int]:
    """Every file parsed at once through ``asyncio.to_thread``, as a file batch does in the server.

    ``cold``: with the tokenizer cache emptied first, as on the first batch after a start. Returns the
    seconds and how many times the Llama 3 tokenizer was built.
    """
    builds = 0
    original = _tokenizers._load_llama3_tokenizer

    def counting() -> TiktokenTokenizer | None:
        nonlocal builds
        builds += 1
        return original()

    _tokenizers._load_llama3_tokenizer = counting  # looked up at call time by default_tokenizer
    try:
        if cold:
            default_tokenizer.cache_clear()
        started = time.perf_counter()
        await asyncio.gather(*(asyncio.to_thread(parse_one, name, data, args) for name, data in documents))
        return time.perf_counter() - started, builds
    finally:
        _tokenizers._load_llama3_tokenizer = original
        default_tokenizer()


async def parse_stage(
    documents: list[tuple[str, bytes]], args: argparse.Namespace
) -> tuple[list[Parsed], list[Row]]:
    default_tokenizer.cache_clear()
    started = time.perf_counter()
    default_tokenizer()
    tokenizer_load = time.perf_counter() - started
    extract_s = chunk_s = 0.0
    parsed = []
    for number, (name, data) in enumerate(documents):
        started = time.perf_counter()
        extracted = extract_text(data, filename=name)
        middle = time.perf_counter()
        chunks = chunk_text(
            extracted.text, max_chunk_size_tokens=args.chunk_size, chunk_overlap_tokens=args.chunk_overlap
        )
        chunk_s += time.perf_counter() - middle
        extract_s += middle - started
        parsed.append(Parsed(f"file-bench{number:06d}", name, extracted.mime_type, chunks))
    n = sum(len(p.chunks) for p in parsed)
    size = sum(len(data) for _, data in documents) / 1e6
    warm_s, _ = await concurrent_parse(documents, args, cold=False)
    cold_s, builds = await concurrent_parse(documents, args, cold=True)
    threads = min(32, (os.cpu_count() or 1) + 4)
    rows: list[Row] = [
        ("tokenizer load (once per process)", tokenizer_load, None, ""),
        ("extract_text", extract_s, n / extract_s, f"{size / extract_s:.1f} MB/s"),
        ("chunk_text (encode + windows)", chunk_s, n / chunk_s, f"{size / chunk_s:.1f} MB/s"),
        ("parse = extract + chunk, one thread", extract_s + chunk_s, n / (extract_s + chunk_s), ""),
        (f"all files at once, to_thread ({threads} threads)", warm_s, n / warm_s, "tokenizer cached"),
        ("  the same, tokenizer cache empty", cold_s, n / cold_s, f"tokenizer built {builds}x"),
    ]
    return parsed, rows


async def embed_stage(texts: list[str], rounds: int) -> list[Row]:
    provider = SentenceTransformersInference(SentenceTransformersInferenceConfig(device="cpu"))
    started = time.perf_counter()
    await provider.initialize()
    # private, for the bench only: the loaded model, to time its encode without the provider around it
    _, loaded = await provider._loaded(MODEL)
    load = time.perf_counter() - started
    embedder = Embedder(provider)
    batch_size = provider.config.batch_size
    embed_times, encode_times = [], []
    try:
        await embedder.embed(MODEL, texts[:8], DIMENSION)  # warm-up: first-call paths, thread pools
        import torch

        for _ in range(rounds):  # alternated, best of each: the machine may be shared
            started = time.perf_counter()
            vectors = await embedder.embed(MODEL, texts, DIMENSION)
            embed_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            with torch.inference_mode():
                loaded.model.encode(
                    texts,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            encode_times.append(time.perf_counter() - started)

        # what the provider and the Embedder add around the model: a full-length tokenizer pass that only
        # counts usage tokens (the model tokenizes again, truncated), and a pure-Python re-normalisation
        started = time.perf_counter()
        pieces = [len(ids) for ids in loaded.model.tokenizer(texts, truncation=False)["input_ids"]]
        count_s = time.perf_counter() - started
        started = time.perf_counter()
        for vector in vectors:
            normalised(vector)
        normalise_s = time.perf_counter() - started
    finally:
        await provider.shutdown()
    n = len(texts)
    context = loaded.metadata.context_length
    embed_s, encode_s = min(embed_times), min(encode_times)
    over = sum(p > context for p in pieces)
    truncated = f"{np.mean(pieces):.0f} word pieces a chunk; {over} of {n} over {context}, cut"
    best = f"best of {rounds}"
    return [
        ("model load (once per process)", load, None, ""),
        (f"Embedder.embed (batches of {EMBEDDING_BATCH})", embed_s, n / embed_s, best),
        (f"  model.encode alone (batch {batch_size})", encode_s, n / encode_s, best),
        ("  provider's usage count: untruncated tokenizer", count_s, n / count_s, truncated),
        ("  Embedder's normalised() in Python", normalise_s, n / normalise_s, ""),
    ]


def indexed_chunks(parsed: list[Parsed], seed: int) -> list[list[IndexedChunk]]:
    """Each file's chunks as ``ingest_file`` builds them, with seeded unit vectors (writes ignore values)."""
    rng = np.random.default_rng(seed)
    files = []
    for p in parsed:
        if not p.chunks:
            continue
        matrix = rng.standard_normal((len(p.chunks), DIMENSION), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        files.append(
            [
                IndexedChunk(
                    chunk_id=f"{p.file_id}:{chunk.index}",
                    content=chunk.text,
                    metadata={
                        "file_id": p.file_id,
                        "filename": p.filename,
                        "document_id": p.file_id,
                        "attributes": {},
                        "chunk_index": chunk.index,
                        "token_count": chunk.token_count,
                        "mime_type": p.mime_type,
                    },
                    embedding=vector,
                )
                for chunk, vector in zip(p.chunks, matrix.tolist(), strict=True)
            ]
        )
    return files


async def timed_writes(
    make: Callable[[str], IndexStore], files: list[list[IndexedChunk]]
) -> tuple[float, float]:
    """(seconds for delete_file + add per file, as ingestion writes; seconds for one add of every chunk)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = make(tmp)
        await store.initialize()
        try:
            index = await store.open("per-file", DIMENSION)
            started = time.perf_counter()
            for chunks in files:
                await index.delete_file(str(chunks[0].metadata["file_id"]))
                await index.add(chunks)
            per_file = time.perf_counter() - started
            index = await store.open("bulk", DIMENSION)
            everything = [chunk for chunks in files for chunk in chunks]
            started = time.perf_counter()
            await index.add(everything)
            bulk = time.perf_counter() - started
        finally:
            await store.shutdown()
    return per_file, bulk


async def write_stage(parsed: list[Parsed], seed: int) -> list[Row]:
    files = indexed_chunks(parsed, seed)
    n = sum(len(chunks) for chunks in files)
    stores: dict[str, Callable[[str], IndexStore]] = {
        "sqlite-vec": lambda tmp: SqliteVecIndexStore(Path(tmp) / "vectors.db"),
        "faiss": lambda tmp: FaissIndexStore(Path(tmp)),
    }
    rows: list[Row] = []
    for name, make in stores.items():
        per_file, bulk = await timed_writes(make, files)
        rows.append((f"{name}: delete_file + add per file", per_file, n / per_file, "as ingest_file"))
        rows.append((f"{name}: one add of all chunks", bulk, n / bulk, ""))
    return rows


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    table(
        ["step", "s", "chunks/s", "note"],
        [
            (step, seconds, f"{rate:.1f}" if rate is not None else "-", note)
            for step, seconds, rate, note in rows
        ],
    )


async def in_process(documents: list[tuple[str, bytes]], args: argparse.Namespace) -> dict[str, float]:
    """Prints the stage tables; returns the ceilings (chunks/s) for the summary."""
    parsed, parse_rows = await parse_stage(documents, args)
    texts = [chunk.text for p in parsed for chunk in p.chunks]
    print(f"\n== in process, one stage at a time ({len(texts)} chunks from {len(parsed)} files)")
    print_rows("parse", parse_rows)
    subset = texts[: args.embed_chunks]
    embed_rows = await embed_stage(subset, args.embed_rounds)
    print_rows(
        f"embed ({len(subset)} chunks; all-MiniLM-L6-v2 on the CPU truncates each to 256 word pieces)",
        embed_rows,
    )
    write_rows = await write_stage(parsed, args.seed)
    print_rows(f"write ({len(texts)} chunks, {len(parsed)} files, seeded unit vectors)", write_rows)
    return {
        "parse (one thread)": parse_rows[3][2] or 0.0,
        "embed": embed_rows[1][2] or 0.0,
        "write sqlite-vec": write_rows[0][2] or 0.0,
        "write faiss": write_rows[2][2] or 0.0,
    }


def print_summary(runs: list[ServerRun], ceilings: dict[str, float]) -> None:
    print("\n== summary")
    rows: list[tuple[str, str, str]] = [
        (f"in process: {stage} alone", f"{value:.1f}", "") for stage, value in ceilings.items()
    ]
    if runs:
        rows.append(("server: /v1/embeddings alone", f"{runs[0].server_embed:.1f}", ""))
    for r in runs:
        rate = r.chunks / r.wall
        note = f"{100 * rate / r.server_embed:.0f}% of /v1/embeddings alone"
        if ceilings:
            note += f", {100 * rate / ceilings['embed']:.0f}% of in-process embed"
        rows.append((f"end to end: {r.provider}", f"{rate:.1f}", note))
    table(["", "chunks/s", "note"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=DETAILS, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=40, help="documents to ingest (default 40)")
    parser.add_argument("--tokens-per-doc", type=int, default=2000, help="Llama 3 tokens per document (2000)")
    parser.add_argument("--chunk-size", type=int, default=800, help="max_chunk_size_tokens (800)")
    parser.add_argument("--chunk-overlap", type=int, default=400, help="chunk_overlap_tokens (400)")
    parser.add_argument("--embed-chunks", type=int, default=64, help="chunks embedded in process (64)")
    parser.add_argument(
        "--embed-rounds", type=int, default=2, help="repeats of the embedding-only timings (2)"
    )
    parser.add_argument("--poll-s", type=float, default=0.1, help="batch status poll interval (0.1)")
    parser.add_argument(
        "--probe-delay-s", type=float, default=0.5, help="when the search probe is sent into the batch (0.5)"
    )
    parser.add_argument("--seed", type=int, default=0, help="document generator seed (0)")
    parser.add_argument("--no-server", action="store_true", help="skip the end-to-end part")
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process part")
    args = parser.parse_args()

    print(f"load average at start: {load_average()}")
    documents, tokens = make_documents(args.docs, args.tokens_per_doc, args.seed)
    size = sum(len(data) for _, data in documents)
    print(
        f"{len(documents)} documents, {tokens} tokens ({tokens // max(1, len(documents))} per document), "
        f"{size / 1e6:.2f} MB; static chunking {args.chunk_size}/{args.chunk_overlap}"
    )
    runs = [] if args.no_server else server_runs(documents, args)
    if runs:
        print_server_runs(runs)
    ceilings = {} if args.no_in_process else asyncio.run(in_process(documents, args))
    print_summary(runs, ceilings)
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
