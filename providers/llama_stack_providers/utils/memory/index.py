"""The storage engine under every vector-io provider: chunks with embeddings, vector and keyword search.

A provider (sqlite-vec, faiss, pgvector, Qdrant) supplies an ``IndexStore``
that opens one ``VectorIndex`` per vector store; everything above it — the
OpenAI vector-store semantics, files, batches, chunking, attribute filters,
hybrid ranking — is shared and lives in ``utils/memory``. So a backend only
has to store chunks, find the nearest ones to a vector, and rank by keywords.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class IndexedChunk:
    """One chunk as stored: its id, text, JSON-serialisable metadata and unit-length embedding.

    ``metadata`` always holds ``file_id`` (``""`` for chunks inserted directly
    through vector-io) and may hold ``document_id``, ``attributes`` (OpenAI file
    attributes), ``chunk_index``, ``token_count`` ... Backends store it
    verbatim and return it unchanged.
    """

    chunk_id: str
    content: str
    metadata: dict[str, Any]
    embedding: Sequence[float]


@dataclass(frozen=True)
class ScoredChunk:
    """A search hit: the chunk (its ``embedding`` may be empty) and the backend's score, higher is better."""

    chunk: IndexedChunk
    score: float


@dataclass(frozen=True)
class IndexStats:
    chunk_count: int
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class VectorIndex(Protocol):
    """The chunks of one vector store.

    Embeddings arrive L2-normalised, so vector scores are cosine similarities
    (``query_vector`` returns them in [-1, 1]). Writes are durable when the
    call returns and atomic per call: after a crash a chunk is either fully
    present (text, metadata and vector) or absent.
    """

    dimension: int

    async def add(self, chunks: Sequence[IndexedChunk]) -> None:
        """Insert chunks, replacing any with the same ``chunk_id``.

        Raises ``ValueError`` when an embedding's length is not ``dimension``.
        """
        ...

    async def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove these chunks; unknown ids are ignored."""
        ...

    async def delete_file(self, file_id: str) -> int:
        """Remove every chunk whose ``metadata["file_id"]`` is ``file_id``; returns how many."""
        ...

    async def query_vector(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        """The ``k`` chunks most similar to ``embedding`` (cosine), best first.

        Approximate backends must keep recall@10 >= 0.95 against exact search.
        """
        ...

    async def query_keyword(self, query: str, k: int) -> list[ScoredChunk]:
        """The ``k`` chunks that best match ``query``'s words (BM25 or the engine's full-text rank), best first.

        Scores are positive, higher is better; chunks sharing no term with the
        query are not returned. An empty or stop-word-only query returns [].
        """
        ...

    async def get_chunks(self, chunk_ids: Sequence[str]) -> list[IndexedChunk]:
        """The stored chunks with these ids (embeddings included), in no particular order."""
        ...

    async def file_chunk_ids(self, file_id: str) -> list[str]:
        """Ids of the chunks of ``file_id`` in insertion order (for file content and consistency checks)."""
        ...

    async def stats(self) -> IndexStats: ...

    async def close(self) -> None:
        """Release memory and handles; the data stays (``IndexStore.open`` reloads it)."""
        ...


@runtime_checkable
class IndexStore(Protocol):
    """Where a provider keeps its indexes: one per vector store, created or reloaded by id."""

    async def initialize(self) -> None: ...

    async def open(self, index_id: str, dimension: int) -> VectorIndex:
        """The index ``index_id`` (created empty if new); ``ValueError`` if it exists with another dimension."""
        ...

    async def drop(self, index_id: str) -> None:
        """Delete the index and all its data; an unknown id is fine."""
        ...

    async def shutdown(self) -> None: ...
