"""``remote::pgvector``: the shared vector-store service over PostgreSQL + pgvector."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api, ProviderContext
from llama_stack_providers.utils.memory.provider import VectorIOProvider

from .config import PGVectorVectorIOConfig
from .index import PGVectorIndexStore


async def create(
    config: PGVectorVectorIOConfig, deps: dict[Api, Any], context: ProviderContext
) -> VectorIOProvider:
    store = PGVectorIndexStore(
        config.dsn.get_secret_value(), schema=config.schema_name, ef_search=config.ef_search
    )
    return VectorIOProvider(store, context, deps)
