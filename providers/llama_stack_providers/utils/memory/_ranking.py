"""Ranking search hits: merging several queries, hybrid fusion (RRF or weighted), simple query rewriting."""

from __future__ import annotations

import re
from collections.abc import Sequence

from llama_stack_api.vector_io import HybridRanker, RRFRanker, WeightedRanker

from .index import ScoredChunk

# Hybrid search's fusion when a request names none: 0.7 x cosine + 0.3 x keyword score / best keyword score.
# It is at least as good as reciprocal-rank fusion on every figure of both corpora we measure, and much
# better where the wording matters: the retrieval corpus's questions (hit@1 0.884 both, hit@5 0.957 ->
# 1.000, MRR 0.914 -> 0.933) and sentence lookups in long documents (bench/chunking.py --rankers, 204/51
# chunks: hit@1 0.775 -> 0.946, hit@5 0.958 -> 1.000; reduced queries 0.683 -> 0.908 and 0.908 -> 0.992).
# RRF only reads ranks, so a passage that one ranking finds far ahead of the rest counts no more than one
# it barely prefers.
DEFAULT_HYBRID_RANKER = WeightedRanker(alpha=0.7)


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
        for weight, normalised in ((ranker.alpha, _cosines(vector)), (1.0 - ranker.alpha, _by_best(keyword))):
            for chunk_id, value in normalised.items():
                scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * value
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    return [ScoredChunk(chunks[chunk_id], score) for chunk_id, score in ranked]


def _cosines(hits: Sequence[ScoredChunk]) -> dict[str, float]:
    """Vector scores as they are (cosine similarities, clipped at 0): comparable across queries and
    candidates, unlike a min-max rescaling, which gives the last of a few candidates 0 however close it is."""
    return {h.chunk.chunk_id: max(0.0, h.score) for h in hits}


def _by_best(hits: Sequence[ScoredChunk]) -> dict[str, float]:
    """Keyword (BM25-style) scores have no fixed scale: each as a share of the best one's."""
    best = max((h.score for h in hits), default=0.0)
    return {h.chunk.chunk_id: h.score / best if best > 0 else 1.0 for h in hits}


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
