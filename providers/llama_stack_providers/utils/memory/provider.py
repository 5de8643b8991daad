"""A vector-io provider is an ``IndexStore`` plus the shared service: the one factory all of them use."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api, ProviderContext

from .index import IndexStore
from .service import VectorStoreService


class VectorIOProvider(VectorStoreService):
    """Implements ``VectorIO`` (and the registry hooks) over a backend's ``IndexStore``."""

    def __init__(self, index_store: IndexStore, context: ProviderContext, deps: dict[Api, Any]) -> None:
        super().__init__(
            index_store, context.kvstore, deps[Api.inference], deps.get(Api.files), context.resources
        )
        self.provider_id = context.provider_id

    async def health(self) -> dict[str, Any]:
        return {"status": "OK"}
