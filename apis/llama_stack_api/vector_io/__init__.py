"""Vector IO API: vector stores (OpenAI-compatible) and chunk insert/query (native), on one set of stores.

Every method but create and list is routed by the store's id, so a stack
may keep stores in several providers (sqlite-vec, faiss, pgvector, Qdrant).
A store registered through ``/v1/vector-dbs`` and one created through
``/v1/vector_stores`` are the same kind of thing: both APIs serve both.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from .._routes import webmethod
from ..apis import Api, ApiSpec
from ..inference import InterleavedContent
from ..resources import VectorStore
from ._openai_types import (
    AttributeValue,
    AutoChunkingStrategy,
    ChunkingStrategy,
    ComparisonFilter,
    CompoundFilter,
    HybridRanker,
    RRFRanker,
    SearchFilter,
    SearchMode,
    SearchRankingOptions,
    StaticChunkingConfig,
    StaticChunkingStrategy,
    VectorStoreContent,
    VectorStoreDeleteResponse,
    VectorStoreExpirationAfter,
    VectorStoreFileBatchObject,
    VectorStoreFileContentsResponse,
    VectorStoreFileCounts,
    VectorStoreFileDeleteResponse,
    VectorStoreFileLastError,
    VectorStoreFileObject,
    VectorStoreFilesListInBatchResponse,
    VectorStoreFileStatus,
    VectorStoreListFilesResponse,
    VectorStoreListResponse,
    VectorStoreObject,
    VectorStoreSearchResponsePage,
    VectorStoreSearchResult,
    WeightedRanker,
)


class Chunk(BaseModel):
    """A piece of a document: its content, metadata (``document_id`` ...), and optionally its embedding."""

    model_config = ConfigDict(extra="forbid")

    content: InterleavedContent
    metadata: dict[str, Any] = Field(default_factory=dict)
    embedding: list[float] | None = Field(default=None, description="Computed by the store when absent.")
    chunk_id: str | None = Field(default=None, description="Stable id; derived from the content when absent.")


class QueryChunksResponse(BaseModel):
    chunks: list[Chunk]
    scores: list[float]


@runtime_checkable
class VectorIO(Protocol):
    """Store chunks with their embeddings and find them again by meaning or by words."""

    # --- native (llama-stack-client 0.2.x) ----------------------------------------------------

    @webmethod("POST", "/v1/vector-io/insert", routing_key="vector_db_id", summary="Insert chunks.")
    async def insert_chunks(
        self, vector_db_id: str, chunks: list[Chunk], ttl_seconds: int | None = None
    ) -> None:
        """Embed (where needed) and store chunks; a chunk with an existing ``chunk_id`` replaces it.

        Raises ``NotFoundError`` for an unknown store and ``InvalidRequestError`` when an
        embedding's length is not the store's dimension (naming both).
        """
        ...

    @webmethod("POST", "/v1/vector-io/query", routing_key="vector_db_id", summary="Query chunks.")
    async def query_chunks(
        self, vector_db_id: str, query: InterleavedContent, params: dict[str, Any] | None = None
    ) -> QueryChunksResponse:
        """The best chunks for ``query``. ``params``: ``max_chunks`` (10), ``score_threshold`` (0),
        ``mode`` (``vector`` | ``keyword`` | ``hybrid``), ``ranker`` (for hybrid).

        Raises ``NotFoundError`` for an unknown store, ``InvalidRequestError`` for bad params.
        """
        ...

    # --- OpenAI vector stores -----------------------------------------------------------------

    @webmethod("POST", "/v1/vector_stores", openai=True, summary="Create a vector store.")
    async def openai_create_vector_store(
        self,
        name: str | None = None,
        file_ids: list[str] | None = None,
        expires_after: VectorStoreExpirationAfter | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_model: str | None = None,
        embedding_dimension: int | None = None,
        provider_id: str | None = None,
        vector_store_id: str | None = None,
    ) -> VectorStoreObject:
        """Create a store (and start ingesting ``file_ids``).

        Extensions to OpenAI's fields: ``embedding_model`` (default: the stack's first
        embedding model), ``embedding_dimension`` (default: the model's), ``provider_id``
        (which vector-io provider keeps it; needed when several run) and
        ``vector_store_id`` (choose the id). Raises ``InvalidRequestError`` for an unknown
        model or provider, ``ConflictError`` when the id is taken.
        """
        ...

    @webmethod("GET", "/v1/vector_stores", openai=True, summary="List vector stores.")
    async def openai_list_vector_stores(
        self,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> VectorStoreListResponse:
        """Stores by creation time. Raises ``InvalidRequestError`` for a bad limit or cursor."""
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Get a store.",
    )
    async def openai_retrieve_vector_store(self, vector_store_id: str) -> VectorStoreObject:
        """Raises ``NotFoundError`` for an unknown store."""
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Update a store.",
    )
    async def openai_update_vector_store(
        self,
        vector_store_id: str,
        name: str | None = None,
        expires_after: VectorStoreExpirationAfter | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> VectorStoreObject:
        """Change the name, expiry or metadata. Raises ``NotFoundError`` for an unknown store."""
        ...

    @webmethod(
        "DELETE",
        "/v1/vector_stores/{vector_store_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Delete a store.",
    )
    async def openai_delete_vector_store(self, vector_store_id: str) -> VectorStoreDeleteResponse:
        """Delete the store, its chunks and its file records (not the files). ``NotFoundError`` if unknown."""
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}/search",
        openai=True,
        routing_key="vector_store_id",
        summary="Search a store.",
    )
    async def openai_search_vector_store(
        self,
        vector_store_id: str,
        query: str | list[str],
        filters: SearchFilter | None = None,
        max_num_results: int | None = 10,
        ranking_options: SearchRankingOptions | None = None,
        rewrite_query: bool | None = False,
        search_mode: SearchMode | None = "vector",
    ) -> VectorStoreSearchResponsePage:
        """The chunks best matching ``query`` (several queries: each contributes), filtered by file
        attributes. ``search_mode`` (an extension) picks vector, keyword or hybrid ranking.

        Raises ``NotFoundError`` for an unknown store, ``InvalidRequestError`` for a bad
        filter, an empty query or ``max_num_results`` outside 1..50.
        """
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}/files",
        openai=True,
        routing_key="vector_store_id",
        summary="Attach a file to a store.",
    )
    async def openai_attach_file_to_vector_store(
        self,
        vector_store_id: str,
        file_id: str,
        attributes: dict[str, AttributeValue] | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
    ) -> VectorStoreFileObject:
        """Ingest a file; it is ``in_progress`` until chunked and embedded, then ``completed`` or
        ``failed`` (with ``last_error``). Raises ``NotFoundError`` for an unknown store or file."""
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}/files",
        openai=True,
        routing_key="vector_store_id",
        summary="List a store's files.",
    )
    async def openai_list_files_in_vector_store(
        self,
        vector_store_id: str,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
        filter: VectorStoreFileStatus | None = None,
    ) -> VectorStoreListFilesResponse:
        """Files by attachment time, optionally only those with status ``filter``."""
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}/files/{file_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Get a store's file.",
    )
    async def openai_retrieve_vector_store_file(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileObject:
        """Raises ``NotFoundError`` when the store or the file in it is unknown."""
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}/files/{file_id}/content",
        openai=True,
        routing_key="vector_store_id",
        summary="The chunks of a store's file.",
    )
    async def openai_retrieve_vector_store_file_contents(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileContentsResponse:
        """Raises ``NotFoundError`` when the store or the file in it is unknown."""
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}/files/{file_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Update a store file's attributes.",
    )
    async def openai_update_vector_store_file(
        self, vector_store_id: str, file_id: str, attributes: dict[str, AttributeValue]
    ) -> VectorStoreFileObject:
        """Replace the file's attributes (used by search filters). ``NotFoundError`` if unknown."""
        ...

    @webmethod(
        "DELETE",
        "/v1/vector_stores/{vector_store_id}/files/{file_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Remove a file from a store.",
    )
    async def openai_delete_vector_store_file(
        self, vector_store_id: str, file_id: str
    ) -> VectorStoreFileDeleteResponse:
        """Remove the file's chunks from the store (the file itself stays). ``NotFoundError`` if unknown."""
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}/file_batches",
        openai=True,
        routing_key="vector_store_id",
        summary="Attach several files at once.",
    )
    async def openai_create_vector_store_file_batch(
        self,
        vector_store_id: str,
        file_ids: list[str],
        attributes: dict[str, AttributeValue] | None = None,
        chunking_strategy: ChunkingStrategy | None = None,
    ) -> VectorStoreFileBatchObject:
        """Ingest the files in the background; poll the batch for ``file_counts`` and status.

        Raises ``NotFoundError`` for an unknown store or file, ``InvalidRequestError`` for an
        empty list.
        """
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}",
        openai=True,
        routing_key="vector_store_id",
        summary="Get a file batch.",
    )
    async def openai_retrieve_vector_store_file_batch(
        self, vector_store_id: str, batch_id: str
    ) -> VectorStoreFileBatchObject:
        """Raises ``NotFoundError`` when the store or batch is unknown."""
        ...

    @webmethod(
        "GET",
        "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
        openai=True,
        routing_key="vector_store_id",
        summary="List a batch's files.",
    )
    async def openai_list_files_in_vector_store_file_batch(
        self,
        vector_store_id: str,
        batch_id: str,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
        filter: VectorStoreFileStatus | None = None,
    ) -> VectorStoreFilesListInBatchResponse:
        """The batch's files with their statuses."""
        ...

    @webmethod(
        "POST",
        "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
        openai=True,
        routing_key="vector_store_id",
        summary="Cancel a file batch.",
    )
    async def openai_cancel_vector_store_file_batch(
        self, vector_store_id: str, batch_id: str
    ) -> VectorStoreFileBatchObject:
        """Stop ingesting the batch's files not yet done (they become ``cancelled``)."""
        ...


@runtime_checkable
class VectorStoresProvider(Protocol):
    """What a vector-io provider implements so the registry can create and drop stores."""

    async def check_vector_store(self, store: VectorStore) -> VectorStore:
        """Create the store if it does not exist yet (registration through ``/v1/vector-dbs``)."""
        ...

    async def forget_vector_store(self, store_id: str) -> None:
        """Drop the store and its data (unregistration)."""
        ...


API_SPEC = ApiSpec(
    api=Api.vector_io, protocol=VectorIO, routed_by=Api.vector_dbs, description="Vector stores and chunks"
)

__all__ = [
    "API_SPEC",
    "AttributeValue",
    "AutoChunkingStrategy",
    "Chunk",
    "ChunkingStrategy",
    "ComparisonFilter",
    "CompoundFilter",
    "HybridRanker",
    "QueryChunksResponse",
    "RRFRanker",
    "SearchFilter",
    "SearchMode",
    "SearchRankingOptions",
    "StaticChunkingConfig",
    "StaticChunkingStrategy",
    "VectorIO",
    "VectorStoreContent",
    "VectorStoreDeleteResponse",
    "VectorStoreExpirationAfter",
    "VectorStoreFileBatchObject",
    "VectorStoreFileContentsResponse",
    "VectorStoreFileCounts",
    "VectorStoreFileDeleteResponse",
    "VectorStoreFileLastError",
    "VectorStoreFileObject",
    "VectorStoreFileStatus",
    "VectorStoreFilesListInBatchResponse",
    "VectorStoreListFilesResponse",
    "VectorStoreListResponse",
    "VectorStoreObject",
    "VectorStoreSearchResponsePage",
    "VectorStoreSearchResult",
    "VectorStoresProvider",
    "WeightedRanker",
]
