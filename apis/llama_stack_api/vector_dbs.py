"""Vector DBs API: the registry of vector stores, as llama-stack-client 0.2.x registers them."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from ._routes import webmethod
from .apis import Api, ApiSpec


class VectorDB(BaseModel):
    """A registered store in the native shape (``type: vector_db``); the same store OpenAI calls a vector store."""

    identifier: str
    provider_id: str
    provider_resource_id: str | None = None
    type: Literal["vector_db"] = "vector_db"
    embedding_model: str
    embedding_dimension: int
    vector_db_name: str | None = None


class ListVectorDBsResponse(BaseModel):
    data: list[VectorDB]


@runtime_checkable
class VectorDBs(Protocol):
    """Register, list, look up and remove vector stores by id."""

    @webmethod("GET", "/v1/vector-dbs", summary="List vector DBs.")
    async def list_vector_dbs(self) -> ListVectorDBsResponse: ...

    @webmethod("GET", "/v1/vector-dbs/{vector_db_id:path}", summary="Get a vector DB.")
    async def get_vector_db(self, vector_db_id: str) -> VectorDB:
        """Raises ``NotFoundError`` naming the registered ids when unknown."""
        ...

    @webmethod("POST", "/v1/vector-dbs", summary="Register a vector DB.")
    async def register_vector_db(
        self,
        vector_db_id: str,
        embedding_model: str,
        embedding_dimension: int | None = 384,
        provider_id: str | None = None,
        provider_vector_db_id: str | None = None,
        vector_db_name: str | None = None,
    ) -> VectorDB:
        """Create the store in its provider and register it.

        Raises ``InvalidRequestError`` when the embedding model is unknown or not an
        embedding model, the dimension disagrees with the model's (naming both), or
        ``provider_id`` is missing and ambiguous; ``ConflictError`` when the id is taken.
        """
        ...

    @webmethod("DELETE", "/v1/vector-dbs/{vector_db_id:path}", summary="Unregister a vector DB.")
    async def unregister_vector_db(self, vector_db_id: str) -> None:
        """Drop the store and its chunks. Raises ``NotFoundError`` when unknown."""
        ...


API_SPEC = ApiSpec(api=Api.vector_dbs, protocol=VectorDBs, framework=True, description="Vector DB registry")
