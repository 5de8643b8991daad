"""OpenAI vector-store shapes: stores, their files and file batches, chunking strategies, filters, search."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

AttributeValue: TypeAlias = str | float | bool
"""A file attribute value: OpenAI allows strings, numbers and booleans."""


class VectorStoreFileCounts(BaseModel):
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStoreExpirationAfter(BaseModel):
    """``{"anchor": "last_active_at", "days": N}``: the store expires N days after it was last used."""

    model_config = ConfigDict(extra="forbid")

    anchor: Literal["last_active_at"] = "last_active_at"
    days: int = Field(ge=1, le=365)


class VectorStoreObject(BaseModel):
    """A vector store (OpenAI's ``vector_store`` object, plus the embedding model it uses)."""

    id: str
    object: Literal["vector_store"] = "vector_store"
    created_at: int
    name: str = ""
    usage_bytes: int = 0
    file_counts: VectorStoreFileCounts = Field(default_factory=VectorStoreFileCounts)
    status: Literal["expired", "in_progress", "completed"] = "completed"
    expires_after: VectorStoreExpirationAfter | None = None
    expires_at: int | None = None
    last_active_at: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    embedding_model: str | None = None
    embedding_dimension: int | None = None
    provider_id: str | None = None


class VectorStoreListResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[VectorStoreObject]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class VectorStoreDeleteResponse(BaseModel):
    id: str
    object: Literal["vector_store.deleted"] = "vector_store.deleted"
    deleted: bool = True


class AutoChunkingStrategy(BaseModel):
    """800-token chunks overlapping by 400, OpenAI's default."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["auto"] = "auto"


class StaticChunkingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_chunk_size_tokens: int = Field(default=800, ge=100, le=4096)
    chunk_overlap_tokens: int = Field(default=400, ge=0, description="At most half of max_chunk_size_tokens.")


class StaticChunkingStrategy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["static"] = "static"
    static: StaticChunkingConfig


ChunkingStrategy: TypeAlias = Annotated[
    AutoChunkingStrategy | StaticChunkingStrategy, Field(discriminator="type")
]


class VectorStoreFileLastError(BaseModel):
    code: Literal["server_error", "unsupported_file", "invalid_file", "rate_limit_exceeded"]
    message: str


VectorStoreFileStatus: TypeAlias = Literal["in_progress", "completed", "cancelled", "failed"]


class VectorStoreFileObject(BaseModel):
    """A file attached to a vector store, and how its ingestion went."""

    id: str
    object: Literal["vector_store.file"] = "vector_store.file"
    vector_store_id: str
    created_at: int
    status: VectorStoreFileStatus = "in_progress"
    usage_bytes: int = 0
    last_error: VectorStoreFileLastError | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    chunking_strategy: ChunkingStrategy = Field(default_factory=AutoChunkingStrategy)


class VectorStoreListFilesResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[VectorStoreFileObject]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class VectorStoreContent(BaseModel):
    type: Literal["text"] = "text"
    text: str


class VectorStoreFileContentsResponse(BaseModel):
    """The text a file was split into, chunk by chunk (OpenAI's file-content page)."""

    object: Literal["vector_store.file_content.page"] = "vector_store.file_content.page"
    data: list[VectorStoreContent]
    has_more: bool = False
    next_page: str | None = None
    file_id: str
    filename: str
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


class VectorStoreFileDeleteResponse(BaseModel):
    id: str
    object: Literal["vector_store.file.deleted"] = "vector_store.file.deleted"
    deleted: bool = True


class VectorStoreFileBatchObject(BaseModel):
    id: str
    object: Literal["vector_store.files_batch"] = "vector_store.files_batch"
    vector_store_id: str
    created_at: int
    status: VectorStoreFileStatus = "in_progress"
    file_counts: VectorStoreFileCounts = Field(default_factory=VectorStoreFileCounts)


class VectorStoreFilesListInBatchResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[VectorStoreFileObject]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


# --- search ------------------------------------------------------------------------------------


class ComparisonFilter(BaseModel):
    """``attributes[key] <type> value``; a file without the key never matches (except ``ne``)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
    key: str
    value: AttributeValue | list[AttributeValue]


class CompoundFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["and", "or"]
    filters: list[ComparisonFilter | CompoundFilter]


SearchFilter: TypeAlias = ComparisonFilter | CompoundFilter


class RRFRanker(BaseModel):
    """Reciprocal-rank fusion: score = sum of 1 / (impact_factor + rank) over the two result lists."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["rrf"] = "rrf"
    impact_factor: float = Field(default=60.0, gt=0)


class WeightedRanker(BaseModel):
    """alpha * normalised vector score + (1 - alpha) * normalised keyword score."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["weighted"] = "weighted"
    alpha: float = Field(default=0.5, ge=0.0, le=1.0)


HybridRanker: TypeAlias = Annotated[RRFRanker | WeightedRanker, Field(discriminator="type")]


class SearchRankingOptions(BaseModel):
    """OpenAI's ``ranking_options`` (``ranker``, ``score_threshold``) plus the hybrid fusion to use."""

    model_config = ConfigDict(extra="forbid")

    ranker: str | HybridRanker | None = Field(
        default=None, description="`auto`/`default-2024-11-15` (OpenAI names), or a hybrid ranker object."
    )
    score_threshold: float = Field(default=0.0, description="Drop results scoring below it.")


SearchMode: TypeAlias = Literal["vector", "keyword", "hybrid"]


class VectorStoreSearchResult(BaseModel):
    file_id: str
    filename: str
    score: float
    attributes: dict[str, AttributeValue] | None = None
    content: list[VectorStoreContent]


class VectorStoreSearchResponsePage(BaseModel):
    object: Literal["vector_store.search_results.page"] = "vector_store.search_results.page"
    search_query: list[str]
    data: list[VectorStoreSearchResult]
    has_more: bool = False
    next_page: str | None = None
