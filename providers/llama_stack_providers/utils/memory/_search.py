"""Searching one store: vector, keyword or hybrid ranking, attribute filters, thresholds, expiry."""

from __future__ import annotations

import time
from typing import Any

from pydantic import TypeAdapter, ValidationError

from llama_stack_api import InvalidRequestError
from llama_stack_api.vector_io import (
    HybridRanker,
    SearchFilter,
    SearchMode,
    SearchRankingOptions,
    VectorStoreContent,
    VectorStoreObject,
    VectorStoreSearchResponsePage,
    VectorStoreSearchResult,
)

from ._filters import matches
from ._ingestion import Embedder
from ._ranking import DEFAULT_HYBRID_RANKER, best_per_chunk, fuse, rewritten
from .index import ScoredChunk, VectorIndex

MAX_RESULTS = 50
# candidates fetched per result wanted: filters and expiry drop some, fusion needs depth
OVERSAMPLE = 4
MIN_CANDIDATES = 50
_RANKER: TypeAdapter[HybridRanker] = TypeAdapter(HybridRanker)


def content_text(content: Any) -> str:
    """The text of native interleaved content (a string, items, or a list of items)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(filter(None, (content_text(item) for item in content)))
    text = getattr(content, "text", None)
    return text if isinstance(text, str) else ""


class SearchEngine:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    async def search(
        self,
        store: VectorStoreObject,
        index: VectorIndex,
        query: str | list[str],
        *,
        filters: SearchFilter | None,
        max_num_results: int | None,
        ranking_options: SearchRankingOptions | None,
        rewrite_query: bool,
        search_mode: SearchMode,
    ) -> VectorStoreSearchResponsePage:
        queries = [query] if isinstance(query, str) else list(query)
        if not queries or not all(q.strip() for q in queries):
            raise InvalidRequestError("`query` is empty", param="query")
        wanted = 10 if max_num_results is None else max_num_results
        if not 1 <= wanted <= MAX_RESULTS:
            raise InvalidRequestError(
                f"max_num_results must be between 1 and {MAX_RESULTS}", param="max_num_results"
            )
        options = ranking_options or SearchRankingOptions()
        ranker = options.ranker if not isinstance(options.ranker, str | None) else DEFAULT_HYBRID_RANKER
        if rewrite_query:
            queries = [rewritten(q) for q in queries]
        per_query = [
            await self._ranked(store, index, q, wanted, search_mode, ranker, filters, options.score_threshold)
            for q in queries
        ]
        hits = best_per_chunk(per_query)[:wanted]
        return VectorStoreSearchResponsePage(
            search_query=queries,
            data=[
                VectorStoreSearchResult(
                    file_id=str(h.chunk.metadata.get("file_id", "")),
                    filename=str(h.chunk.metadata.get("filename", "")),
                    score=h.score,
                    attributes=h.chunk.metadata.get("attributes") or {},
                    content=[VectorStoreContent(text=h.chunk.content)],
                )
                for h in hits
            ],
        )

    async def query_chunks(
        self, store: VectorStoreObject, index: VectorIndex, query: str, params: dict[str, Any]
    ) -> list[ScoredChunk]:
        if not query.strip():
            raise InvalidRequestError("`query` is empty", param="query")
        try:
            wanted = int(params.get("max_chunks", 10))
            threshold = float(params.get("score_threshold", 0.0))
            given = params.get("ranker")
            ranker: HybridRanker = _RANKER.validate_python(given) if given else DEFAULT_HYBRID_RANKER
        except (TypeError, ValueError, ValidationError) as exc:
            raise InvalidRequestError(f"invalid query params: {exc}", param="params") from None
        mode = params.get("mode") or "vector"
        if mode not in ("vector", "keyword", "hybrid"):
            raise InvalidRequestError(
                f"params.mode must be vector, keyword or hybrid, not {mode!r}", param="params"
            )
        if not 1 <= wanted <= 1000:
            raise InvalidRequestError("params.max_chunks must be between 1 and 1000", param="params")
        return await self._ranked(store, index, query, wanted, mode, ranker, None, threshold)

    async def _ranked(
        self,
        store: VectorStoreObject,
        index: VectorIndex,
        query: str,
        wanted: int,
        mode: str,
        ranker: HybridRanker,
        filters: SearchFilter | None,
        threshold: float,
    ) -> list[ScoredChunk]:
        depth = max(wanted * OVERSAMPLE, MIN_CANDIDATES)
        while True:
            vector: list[ScoredChunk] = []
            keyword: list[ScoredChunk] = []
            if mode in ("vector", "hybrid"):
                [embedding] = await self.embedder.embed(store.embedding_model or "", [query], index.dimension)
                vector = await index.query_vector(embedding, depth)
            if mode in ("keyword", "hybrid"):
                keyword = await index.query_keyword(query, depth)
            candidates = fuse(vector, keyword, ranker) if mode == "hybrid" else (vector or keyword)
            kept = [
                h
                for h in candidates
                if _alive(h) and matches(filters, h.chunk.metadata.get("attributes") or {})
            ]
            kept = [h for h in kept if h.score >= threshold]
            exhausted = len(vector) < depth and len(keyword) < depth
            if len(kept) >= wanted or exhausted:
                return kept[:wanted]
            depth *= 4  # the filter is selective: look deeper


def _alive(hit: ScoredChunk) -> bool:
    expires_at = hit.chunk.metadata.get("expires_at")
    return expires_at is None or float(expires_at) > time.time()
