"""``inline::faiss``: the shared vector-store service over faiss indexes on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_stack_api import Api, ProviderContext
from llama_stack_providers.utils.memory.provider import VectorIOProvider

from .config import FaissVectorIOConfig
from .index import FaissIndexStore


async def create(
    config: FaissVectorIOConfig, deps: dict[Api, Any], context: ProviderContext
) -> VectorIOProvider:
    directory = Path(config.directory) if config.directory else context.state_dir
    return VectorIOProvider(FaissIndexStore(directory, kind=config.kind), context, deps)
