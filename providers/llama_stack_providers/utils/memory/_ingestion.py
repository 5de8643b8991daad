"""Turning a stored file into indexed chunks: read it, extract text, chunk, embed in batches, write."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import InvalidRequestError, LlamaStackError, NotFoundError
from llama_stack_api.vector_io import StaticChunkingStrategy, VectorStoreFileLastError

from ._records import FileRecord
from .index import IndexedChunk, VectorIndex
from .ingest.chunking import DEFAULT_CHUNK_OVERLAP_TOKENS, DEFAULT_MAX_CHUNK_SIZE_TOKENS, chunk_text
from .ingest.extract import ExtractionError, UnsupportedFileType, extract_text

logger = logging.getLogger(__name__)

EMBEDDING_BATCH = 64


@dataclass
class IngestionTimings:
    """Where an ingestion's time went (seconds), for logs and the ingestion benchmark."""

    read: float = 0.0
    parse: float = 0.0
    embed: float = 0.0
    write: float = 0.0
    chunks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Embedder:
    """Embeddings through the Inference API, in batches, L2-normalised (so inner product is cosine)."""

    def __init__(self, inference: Any) -> None:
        self.inference = inference

    async def embed(self, model: str, texts: Sequence[str], dimension: int) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBEDDING_BATCH):
            batch = list(texts[start : start + EMBEDDING_BATCH])
            response = await self.inference.openai_embeddings(
                model=model, input=batch, encoding_format="float"
            )
            for item in sorted(response.data, key=lambda d: d.index):
                vector = item.embedding
                if not isinstance(vector, list):
                    raise InvalidRequestError(f"embedding model {model!r} returned a non-float embedding")
                if len(vector) != dimension:
                    raise InvalidRequestError(
                        f"embedding model {model!r} returns {len(vector)}-dimensional vectors but the store "
                        f"holds {dimension}-dimensional ones",
                        code="dimension_mismatch",
                    )
                vectors.append(normalised(vector))
        return vectors


def normalised(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else list(vector)


class IngestionFailed(Exception):
    """A file could not be ingested; ``error`` is what its ``last_error`` shows."""

    def __init__(self, error: VectorStoreFileLastError) -> None:
        super().__init__(error.message)
        self.error = error


async def ingest_file(
    record: FileRecord,
    *,
    files: Any,
    index: VectorIndex,
    embedder: Embedder,
    embedding_model: str,
    auto_sizes: tuple[int, int] = (DEFAULT_MAX_CHUNK_SIZE_TOKENS, DEFAULT_CHUNK_OVERLAP_TOKENS),
) -> IngestionTimings:
    """Chunk and index one attached file (replacing any chunks it had); raises ``IngestionFailed``."""
    timings = IngestionTimings()
    file_id = record.file.id
    started = time.perf_counter()
    if files is None:
        raise IngestionFailed(
            VectorStoreFileLastError(
                code="server_error", message="this stack serves no files API to read from"
            )
        )
    try:
        content = await files.openai_retrieve_file_content(file_id=file_id)
    except NotFoundError as exc:
        raise IngestionFailed(VectorStoreFileLastError(code="invalid_file", message=exc.message)) from None
    timings.read = time.perf_counter() - started

    started = time.perf_counter()
    strategy = record.file.chunking_strategy
    size, overlap = (
        (strategy.static.max_chunk_size_tokens, strategy.static.chunk_overlap_tokens)
        if isinstance(strategy, StaticChunkingStrategy)
        else auto_sizes
    )
    try:
        extracted, chunks = await asyncio.to_thread(_parse, content.data, record.filename, size, overlap)
    except UnsupportedFileType as exc:
        raise IngestionFailed(VectorStoreFileLastError(code="unsupported_file", message=str(exc))) from None
    except (ExtractionError, ValueError) as exc:
        raise IngestionFailed(VectorStoreFileLastError(code="invalid_file", message=str(exc))) from None
    timings.parse = time.perf_counter() - started

    started = time.perf_counter()
    try:
        vectors = await embedder.embed(embedding_model, [c.text for c in chunks], index.dimension)
    except LlamaStackError as exc:
        raise IngestionFailed(VectorStoreFileLastError(code="server_error", message=exc.message)) from None
    timings.embed = time.perf_counter() - started

    started = time.perf_counter()
    attributes = dict(record.file.attributes)
    indexed = [
        IndexedChunk(
            chunk_id=f"{file_id}:{chunk.index}",
            content=chunk.text,
            metadata={
                "file_id": file_id,
                "filename": record.filename,
                "document_id": file_id,
                "attributes": attributes,
                "chunk_index": chunk.index,
                "token_count": chunk.token_count,
                "mime_type": extracted.mime_type,
            },
            embedding=vector,
        )
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]
    # replace, never append: a resumed or repeated ingestion leaves exactly one copy
    await index.delete_file(file_id)
    if indexed:
        await index.add(indexed)
    timings.write = time.perf_counter() - started
    timings.chunks = len(indexed)
    return timings


def _parse(data: bytes, filename: str, size: int, overlap: int) -> tuple[Any, list[Any]]:
    extracted = extract_text(data, filename=filename)
    return extracted, chunk_text(extracted.text, max_chunk_size_tokens=size, chunk_overlap_tokens=overlap)
