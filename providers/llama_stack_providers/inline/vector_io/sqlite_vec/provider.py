"""``inline::sqlite-vec``: the shared vector-store service over one SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_stack_api import Api, ProviderContext
from llama_stack_providers.utils.memory.provider import VectorIOProvider

from .config import SqliteVecVectorIOConfig
from .index import SqliteVecIndexStore


async def create(
    config: SqliteVecVectorIOConfig, deps: dict[Api, Any], context: ProviderContext
) -> VectorIOProvider:
    db_path = Path(config.db_path) if config.db_path else context.state_dir / "sqlite_vec.db"
    return VectorIOProvider(SqliteVecIndexStore(db_path), context, deps)
