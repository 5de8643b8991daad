"""``auto`` chunk sizes that fit the embedding model, so that all of a chunk's text shapes its vector.

OpenAI's ``auto`` is 800 tokens overlapping by 400. all-MiniLM-L6-v2 reads 256 word pieces (about 233
Llama 3 tokens) and drops the rest, so most of such a chunk never reaches its vector: on installed
package descriptions (``python bench/chunking.py``), vector hit@5 was 0.708 at 800/400 and 0.863 at
200/50 (hybrid 0.871 → 0.963), with 3.1× the chunks to embed. So when the model declares its
``context_length`` (in the registry's model metadata), ``auto`` is 80 % of it (the tokenizers differ:
about 1.1 word pieces per Llama 3 token), overlapping by a quarter; models without one, or with a
context of 1,000 tokens or more, keep OpenAI's 800/400.
"""

from __future__ import annotations

from llama_stack_api import ResourceType
from llama_stack_api.plugins import ResourceLookup

from .chunking import DEFAULT_CHUNK_OVERLAP_TOKENS, DEFAULT_MAX_CHUNK_SIZE_TOKENS

CONTEXT_SHARE = 0.8
MIN_FITTED_TOKENS = 100  # the smallest static chunk OpenAI allows


def auto_chunking(resources: ResourceLookup | None, embedding_model: str | None) -> tuple[int, int]:
    """(max_chunk_size_tokens, chunk_overlap_tokens) for ``auto`` with ``embedding_model``."""
    context = _context_length(resources, embedding_model)
    if context is None:
        return DEFAULT_MAX_CHUNK_SIZE_TOKENS, DEFAULT_CHUNK_OVERLAP_TOKENS
    size = max(MIN_FITTED_TOKENS, min(DEFAULT_MAX_CHUNK_SIZE_TOKENS, int(context * CONTEXT_SHARE)))
    if size == DEFAULT_MAX_CHUNK_SIZE_TOKENS:
        return DEFAULT_MAX_CHUNK_SIZE_TOKENS, DEFAULT_CHUNK_OVERLAP_TOKENS
    return size, size // 4


def _context_length(resources: ResourceLookup | None, embedding_model: str | None) -> int | None:
    if resources is None or not embedding_model:
        return None
    model = resources.find(ResourceType.model, embedding_model)
    metadata = getattr(model, "metadata", None) or {}
    context = metadata.get("context_length")
    return context if isinstance(context, int) and context > 0 else None
