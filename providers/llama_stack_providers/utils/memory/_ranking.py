"""Ranking search hits: merging several queries, hybrid fusion (RRF or weighted), simple query rewriting."""

from __future__ import annotations

import re
from collections.abc import Sequence

from llama_stack_api.vector_io import HybridRanker, RRFRanker, WeightedRanker

from .index import ScoredChunk


def best_per_chunk(result_lists: Sequence[Sequence[ScoredChunk]]) -> list[ScoredChunk]:
    """Hits of several queries as one list: each chunk once, with its best score, best first."""
    best: dict[str, ScoredChunk] = {}
    for hits in result_lists:
        for hit in hits:
            seen = best.get(hit.chunk.chunk_id)
            if seen is None or hit.score > seen.score:
                best[hit.chunk.chunk_id] = hit
    return sorted(best.values(), key=lambda h: h.score, reverse=True)


def fuse(
    vector: Sequence[ScoredChunk], keyword: Sequence[ScoredChunk], ranker: HybridRanker
) -> list[ScoredChunk]:
    """One ranking from a vector and a keyword ranking of the same store."""
    chunks = {h.chunk.chunk_id: h.chunk for h in [*vector, *keyword]}
    scores: dict[str, float] = {}
    if isinstance(ranker, RRFRanker):
        for hits in (vector, keyword):
            for rank, hit in enumerate(hits, start=1):
                scores[hit.chunk.chunk_id] = scores.get(hit.chunk.chunk_id, 0.0) + 1.0 / (
                    ranker.impact_factor + rank
                )
    else:
        assert isinstance(ranker, WeightedRanker)
        for weight, hits in ((ranker.alpha, vector), (1.0 - ranker.alpha, keyword)):
            for chunk_id, normalised in _min_max(hits).items():
                scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * normalised
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return [ScoredChunk(chunks[chunk_id], score) for chunk_id, score in ranked]


def _min_max(hits: Sequence[ScoredChunk]) -> dict[str, float]:
    if not hits:
        return {}
    low = min(h.score for h in hits)
    high = max(h.score for h in hits)
    span = high - low
    return {h.chunk.chunk_id: (h.score - low) / span if span > 0 else 1.0 for h in hits}


_QUESTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "does",
        "did",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "should",
        "would",
        "will",
        "please",
        "tell",
        "me",
        "about",
        "find",
        "show",
        "give",
        "list",
        "i",
        "we",
        "you",
    ]
)
_WORD = re.compile(r"[\w'-]+", re.UNICODE)


def rewritten(query: str) -> str:
    """The query as search terms: lower case, without question words and filler (no model involved).

    OpenAI rewrites with a model; this stack does not send the user's query to
    a model behind their back, and the keyword part of a search gains most from
    dropping filler. A query made only of filler is kept as it was.
    """
    words = [w for w in _WORD.findall(query.lower()) if w not in _QUESTION_WORDS]
    return " ".join(words) or query
