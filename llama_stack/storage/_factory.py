"""Open a store from its config: the one place that maps ``type`` to a backend class."""

from __future__ import annotations

from llama_stack.storage._config import (
    InMemoryKVStoreConfig,
    KVStoreConfig,
    PostgresKVStoreConfig,
    PostgresSqlStoreConfig,
    SqliteKVStoreConfig,
    SqliteSqlStoreConfig,
    SqlStoreConfig,
)
from llama_stack.storage._kv import KVStore, NamespacedKVStore
from llama_stack.storage._kv_memory import InMemoryKVStore
from llama_stack.storage._kv_postgres import PostgresKVStore
from llama_stack.storage._kv_sqlite import SqliteKVStore
from llama_stack.storage._sql import SqlStore
from llama_stack.storage._sql_postgres import PostgresSqlStore
from llama_stack.storage._sql_sqlite import SqliteSqlStore


async def kvstore_from_config(config: KVStoreConfig, *, namespace: str | None = None) -> KVStore:
    """An initialized kv store; with ``namespace`` its keys are kept apart from other namespaces'.

    Raises ``StorageUnavailableError`` when the database cannot be opened and
    ``MissingDriverError`` when the postgres extra is not installed.
    """
    store: KVStore
    if isinstance(config, SqliteKVStoreConfig):
        store = SqliteKVStore(config)
    elif isinstance(config, PostgresKVStoreConfig):
        store = PostgresKVStore(config)
    elif isinstance(config, InMemoryKVStoreConfig):
        store = InMemoryKVStore()
    else:
        raise TypeError(f"not a kv store config: {config!r}")
    if namespace is not None:
        store = NamespacedKVStore(store, namespace)
    await store.initialize()
    return store


async def sqlstore_from_config(config: SqlStoreConfig) -> SqlStore:
    """An initialized sql store. Raises like ``kvstore_from_config``."""
    store: SqlStore
    if isinstance(config, SqliteSqlStoreConfig):
        store = SqliteSqlStore(config)
    elif isinstance(config, PostgresSqlStoreConfig):
        store = PostgresSqlStore(config)
    else:
        raise TypeError(f"not a sql store config: {config!r}")
    await store.initialize()
    return store
