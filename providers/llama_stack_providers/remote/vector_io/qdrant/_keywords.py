"""Keyword side of the Qdrant store: a stable tokenizer and BM25 term weights as hashed sparse vectors.

Qdrant ranks sparse vectors by dot product and, with ``Modifier.IDF`` on the
vector, multiplies each query weight by the term's inverse document frequency
over the collection (the BM25 IDF, kept up to date by Qdrant itself, in
local mode and on a server alike). So a document stores its BM25
term-frequency part, ``tf·(k1+1) / (tf + k1·(1-b+b·len/avg_len))``, the
query stores 1 per distinct term, and the dot product is the BM25 score.
``avg_len`` is fixed (as in fastembed's Bm25) because stored weights cannot
follow a changing corpus average.

Everything here is persisted in collections, so it must never change
silently: a new tokenizer would need a new sparse-vector name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

from qdrant_client import models

# the name of the sparse vector; bump the suffix if the tokenizer or weighting ever changes
SPARSE_VECTOR = "bm25_v1"
K1 = 1.2
B = 0.75
AVG_LEN = 256.0

_WORD = re.compile(r"\w+")
# The classic English stop list (Postgres' english.stop), so both remote stores ignore the same words;
# it holds "s" and "t", which splitting on apostrophes leaves behind ("it's", "don't").
_STOP_WORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can did do does doing don down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same
    she should so some such t s than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Lower-cased Unicode words of ``text`` without English stop words (no stemming)."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return [word for word in _WORD.findall(normalized) if word not in STOP_WORDS]


def term_index(term: str) -> int:
    """A stable 32-bit sparse index for ``term`` (Python's ``hash`` is salted per process: unusable here)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big")


def document_vector(text: str) -> models.SparseVector:
    """BM25 term-frequency weights of ``text``; empty without terms (the chunk still counts in IDF's N)."""
    terms = tokenize(text)
    length_norm = K1 * (1 - B + B * len(terms) / AVG_LEN)
    weights: dict[int, float] = {}
    for term, count in Counter(terms).items():
        index = term_index(term)
        # two terms hashing alike (rare at 32 bits) share a slot: add, do not overwrite
        weights[index] = weights.get(index, 0.0) + count * (K1 + 1) / (count + length_norm)
    return models.SparseVector(indices=list(weights), values=list(weights.values()))


def query_vector(text: str) -> models.SparseVector | None:
    """Weight 1 per distinct query term (repeats count once, as in BM25); ``None`` if there are no terms."""
    indices = sorted({term_index(term) for term in tokenize(text)})
    if not indices:
        return None
    return models.SparseVector(indices=indices, values=[1.0] * len(indices))


def shares_term(query: str, content: str) -> bool:
    """Whether ``content`` really holds a query term, to drop hits that only a hash collision produced."""
    return not set(tokenize(query)).isdisjoint(tokenize(content))
