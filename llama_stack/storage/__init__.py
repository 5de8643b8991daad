"""Storage behind every stateful component: a ``KVStore`` and a ``SqlStore``, on SQLite, PostgreSQL or memory.

    store = await kvstore_from_config(SqliteKVStoreConfig(db_path="/tmp/kv.db"), namespace="agents")
    await store.set("session:1", "{...}")

Components receive the protocols; which backend sits behind them is the
distribution YAML's ``storage:`` section (``StorageConfig``).
"""

from llama_stack.storage._config import (
    InMemoryKVStoreConfig,
    KVStoreConfig,
    PostgresKVStoreConfig,
    PostgresSqlStoreConfig,
    ResolvedStorageConfig,
    SqliteKVStoreConfig,
    SqliteSqlStoreConfig,
    SqlStoreConfig,
    StorageConfig,
)
from llama_stack.storage._errors import (
    CursorNotFoundError,
    IntegrityError,
    InvalidIdentifierError,
    MissingDriverError,
    StorageError,
    StorageUnavailableError,
)
from llama_stack.storage._factory import kvstore_from_config, sqlstore_from_config
from llama_stack.storage._kv import KVStore, NamespacedKVStore, ProviderKVStore
from llama_stack.storage._kv_memory import InMemoryKVStore
from llama_stack.storage._kv_postgres import PostgresKVStore
from llama_stack.storage._kv_sqlite import SqliteKVStore
from llama_stack.storage._paths import (
    LLAMA_STACK_HOME_ENV,
    default_db_path,
    distribution_dir,
    llama_stack_home,
)
from llama_stack.storage._sql import ColumnDefinition, ColumnType, Cursor, OrderBy, Row, SqlStore
from llama_stack.storage._sql_postgres import PostgresSqlStore
from llama_stack.storage._sql_sqlite import SqliteSqlStore

__all__ = [
    "LLAMA_STACK_HOME_ENV",
    "ColumnDefinition",
    "ColumnType",
    "Cursor",
    "CursorNotFoundError",
    "InMemoryKVStore",
    "InMemoryKVStoreConfig",
    "IntegrityError",
    "InvalidIdentifierError",
    "KVStore",
    "KVStoreConfig",
    "MissingDriverError",
    "NamespacedKVStore",
    "OrderBy",
    "PostgresKVStore",
    "PostgresKVStoreConfig",
    "PostgresSqlStore",
    "PostgresSqlStoreConfig",
    "ProviderKVStore",
    "ResolvedStorageConfig",
    "Row",
    "SqlStore",
    "SqlStoreConfig",
    "SqliteKVStore",
    "SqliteKVStoreConfig",
    "SqliteSqlStore",
    "SqliteSqlStoreConfig",
    "StorageConfig",
    "StorageError",
    "StorageUnavailableError",
    "default_db_path",
    "distribution_dir",
    "kvstore_from_config",
    "llama_stack_home",
    "sqlstore_from_config",
]
