"""Vector stores in the registry: the Vector DBs API, and the parts of Vector IO that no single store routes.

Creating a store picks a provider and an embedding model, registers the new
id, and asks the provider to create it; listing merges every provider's
stores; deleting also removes the registration. Everything else about a store
is routed by its id through the generic router.
"""

from __future__ import annotations

from typing import Any, Literal

from llama_stack_api import (
    ConflictError,
    InvalidRequestError,
    MethodSpec,
    Model,
    ModelType,
    NotFoundError,
    ResourceSource,
    ResourceType,
    VectorStore,
    current_principal,
    protocol_methods,
)
from llama_stack_api.vector_dbs import ListVectorDBsResponse, VectorDB
from llama_stack_api.vector_io import (
    ChunkingStrategy,
    VectorIO,
    VectorStoreDeleteResponse,
    VectorStoreExpirationAfter,
    VectorStoreListResponse,
    VectorStoreObject,
    VectorStoresProvider,
)

from ._registry import ResourceRegistry
from ._router import Router
from ._table import ResourceTable, choose_provider

REGISTER_HINT = (
    "create it with POST /v1/vector_stores or POST /v1/vector-dbs, or declare it in `vector_stores:`"
)


def resolve_embedding(
    registry: ResourceRegistry, embedding_model: str | None, embedding_dimension: int | None
) -> tuple[str, int]:
    """The embedding model's public id and its dimension; the first embedding model when none is named."""
    models = [m for m in registry.list_of(ResourceType.model) if isinstance(m, Model)]
    embedders = [m for m in models if m.model_type == ModelType.embedding]
    if embedding_model is None:
        if not embedders:
            raise InvalidRequestError(
                "no embedding model is registered: register one (model_type: embedding) or name `embedding_model`",
                param="embedding_model",
            )
        model = embedders[0]
    else:
        found = registry.find(ResourceType.model, embedding_model)
        if not isinstance(found, Model):
            known = ", ".join(m.identifier for m in embedders) or "none"
            raise InvalidRequestError(
                f"embedding model {embedding_model!r} is not registered; embedding models: {known}",
                param="embedding_model",
            )
        if found.model_type != ModelType.embedding:
            raise InvalidRequestError(
                f"model {embedding_model!r} is a {found.model_type.value} model, not an embedding model",
                param="embedding_model",
            )
        model = found
    known_dimension = model.metadata.get("embedding_dimension")
    if embedding_dimension is None:
        if not isinstance(known_dimension, int):
            raise InvalidRequestError(
                f"the dimension of {model.identifier!r} is unknown: give `embedding_dimension`",
                param="embedding_dimension",
            )
        return model.identifier, known_dimension
    if isinstance(known_dimension, int) and known_dimension != embedding_dimension:
        raise InvalidRequestError(
            f"embedding_dimension {embedding_dimension} does not match model {model.identifier!r}, "
            f"which produces {known_dimension}-dimensional embeddings",
            param="embedding_dimension",
            code="dimension_mismatch",
        )
    return model.identifier, embedding_dimension


class VectorDBsTable(ResourceTable[VectorStore]):
    """Implements ``VectorDBs`` over the vector-io providers."""

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any]) -> None:
        super().__init__(
            registry,
            ResourceType.vector_store,
            providers,
            api_name="vector_io",
            register_hint=REGISTER_HINT,
            checker=_check_store,
        )

    async def list_vector_dbs(self) -> ListVectorDBsResponse:
        return ListVectorDBsResponse(data=[_as_db(r) for r in self._all()])

    async def get_vector_db(self, vector_db_id: str) -> VectorDB:
        return _as_db(self._get(vector_db_id))

    async def register_vector_db(
        self,
        vector_db_id: str,
        embedding_model: str,
        embedding_dimension: int | None = 384,
        provider_id: str | None = None,
        provider_vector_db_id: str | None = None,
        vector_db_name: str | None = None,
    ) -> VectorDB:
        model, dimension = resolve_embedding(self._registry, embedding_model, embedding_dimension)
        principal = current_principal()
        store = VectorStore(
            identifier=vector_db_id,
            provider_id=self._choose_provider(provider_id),
            provider_resource_id=provider_vector_db_id or vector_db_id,
            embedding_model=model,
            embedding_dimension=dimension,
            vector_db_name=vector_db_name,
            source=ResourceSource.user,
            owner=principal.name if principal else None,
        )
        return _as_db(await self._register(store))

    async def unregister_vector_db(self, vector_db_id: str) -> None:
        store = self._get(vector_db_id)
        provider = self._providers.get(store.provider_id)
        if isinstance(provider, VectorStoresProvider):
            await provider.forget_vector_store(store.provider_key)
        await self._registry.delete(ResourceType.vector_store, store.identifier)

    async def sync_at_startup(self, declared: list[VectorStore]) -> None:
        await self._sync_declared(declared)


async def _check_store(provider: Any, store: VectorStore) -> VectorStore:
    if isinstance(provider, VectorStoresProvider):
        return await provider.check_vector_store(store)
    return store


def _as_db(resource: object) -> VectorDB:
    if not isinstance(resource, VectorStore):  # the registry stores typed resources; anything else is a bug
        raise NotFoundError(f"registry entry {resource!r} is not a vector store")
    return VectorDB(
        identifier=resource.identifier,
        provider_id=resource.provider_id,
        provider_resource_id=resource.provider_resource_id,
        embedding_model=resource.embedding_model,
        embedding_dimension=resource.embedding_dimension,
        vector_db_name=resource.vector_db_name,
    )


class VectorIORouterMixin(Router):
    """Create, list and delete for the generated Vector IO router; the rest is routed by store id."""

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
        chosen = self._provider_for_create(provider_id)
        model, dimension = resolve_embedding(self.registry, embedding_model, embedding_dimension)
        if vector_store_id is not None and self.registry.find(ResourceType.vector_store, vector_store_id):
            raise ConflictError(f"vector store {vector_store_id!r} already exists", param="vector_store_id")
        created: VectorStoreObject = await self.providers[chosen].openai_create_vector_store(
            name=name,
            file_ids=file_ids,
            expires_after=expires_after,
            chunking_strategy=chunking_strategy,
            metadata=metadata,
            embedding_model=model,
            embedding_dimension=dimension,
            provider_id=chosen,
            vector_store_id=vector_store_id,
        )
        principal = current_principal()
        await self.registry.put(
            VectorStore(
                identifier=created.id,
                provider_id=chosen,
                provider_resource_id=created.id,
                embedding_model=model,
                embedding_dimension=dimension,
                vector_db_name=name,
                source=ResourceSource.user,
                owner=principal.name if principal else None,
            )
        )
        return created

    async def openai_list_vector_stores(
        self,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
        after: str | None = None,
        before: str | None = None,
    ) -> VectorStoreListResponse:
        if len(self.providers) == 1:
            provider = next(iter(self.providers.values()))
            listed: VectorStoreListResponse = await provider.openai_list_vector_stores(
                limit=limit, order=order, after=after, before=before
            )
            return listed
        merged: list[VectorStoreObject] = []
        for provider in self.providers.values():
            page = await provider.openai_list_vector_stores(limit=100, order="asc")
            merged.extend(page.data)
            while page.has_more:
                page = await provider.openai_list_vector_stores(limit=100, order="asc", after=page.last_id)
                merged.extend(page.data)
        data, has_more = _page(merged, limit, order, after, before)
        return VectorStoreListResponse(
            data=data,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
            has_more=has_more,
        )

    async def openai_delete_vector_store(self, vector_store_id: str) -> VectorStoreDeleteResponse:
        deleted: VectorStoreDeleteResponse = await self.dispatch(
            self._spec("openai_delete_vector_store"), "vector_store_id", {"vector_store_id": vector_store_id}
        )
        store = self.registry.find(ResourceType.vector_store, vector_store_id)
        if store is not None:
            await self.registry.delete(ResourceType.vector_store, store.identifier)
        return deleted

    def _provider_for_create(self, provider_id: str | None) -> str:
        return choose_provider(self.providers, provider_id, "vector_io")

    def _spec(self, name: str) -> MethodSpec:
        return next(spec for spec in protocol_methods(VectorIO) if spec.name == name)


def _page(
    stores: list[VectorStoreObject],
    limit: int | None,
    order: Literal["asc", "desc"] | None,
    after: str | None,
    before: str | None,
) -> tuple[list[VectorStoreObject], bool]:
    """OpenAI pagination over the stores of several providers, merged by creation time."""
    limit = 20 if limit is None else limit
    if not 1 <= limit <= 100:
        raise InvalidRequestError("limit must be between 1 and 100", param="limit")
    ordered = sorted(stores, key=lambda s: (s.created_at, s.id), reverse=(order or "desc") == "desc")
    for cursor, name in ((after, "after"), (before, "before")):
        if cursor is None:
            continue
        ids = [s.id for s in ordered]
        if cursor not in ids:
            raise InvalidRequestError(f"`{name}`: {cursor!r} is not in this listing", param=name)
        position = ids.index(cursor)
        ordered = ordered[position + 1 :] if name == "after" else ordered[:position]
    return ordered[:limit], len(ordered) > limit
