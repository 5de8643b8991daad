"""``remote::qdrant``: the shared vector-store service over Qdrant collections."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api, ProviderContext
from llama_stack_providers.utils.memory.provider import VectorIOProvider

from .config import QdrantVectorIOConfig
from .index import QdrantIndexStore


async def create(
    config: QdrantVectorIOConfig, deps: dict[Api, Any], context: ProviderContext
) -> VectorIOProvider:
    if config.url:
        api_key = config.api_key.get_secret_value() if config.api_key else None
        store = QdrantIndexStore(config.url, api_key=api_key)
    else:
        store = QdrantIndexStore(path=config.path or str(context.state_dir / "qdrant"))
    return VectorIOProvider(store, context, deps)
