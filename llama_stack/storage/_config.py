"""Store configs as written under a distribution YAML's ``storage:`` section, discriminated by ``type``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from llama_stack.storage._identifiers import check_identifier
from llama_stack.storage._paths import default_db_path

TableName = Annotated[str, AfterValidator(lambda name: check_identifier(name, what="table_name"))]

KV_DB_FILENAME = "kvstore.db"
SQL_DB_FILENAME = "sql_store.db"


class _StoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _SqliteConfig(_StoreConfig):
    type: Literal["sqlite"] = "sqlite"
    db_path: str | None = Field(
        default=None,
        description="SQLite file (``~`` expanded, parent folders created). Unset: filled in per distribution "
        "by StorageConfig.for_distribution. ':memory:' keeps nothing.",
    )


class _PostgresConfig(_StoreConfig):
    """Connection settings: either ``dsn`` or the separate fields, not both."""

    type: Literal["postgres"] = "postgres"
    host: str = "localhost"
    port: int = Field(default=5432, ge=1, le=65535)
    db: str = "llamastack"
    user: str = "llamastack"
    password: SecretStr | None = None
    dsn: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db — replaces host/port/db/user/password.",
    )
    pool_max_size: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _dsn_or_fields(self) -> _PostgresConfig:
        if self.dsn is not None:
            clashing = sorted({"host", "port", "db", "user", "password"} & self.model_fields_set)
            if clashing:
                raise ValueError(
                    f"give either dsn or {'/'.join(clashing)}, not both; "
                    "the dsn already says where to connect"
                )
        return self

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``asyncpg.create_pool`` (secrets revealed only here)."""
        if self.dsn is not None:
            return {"dsn": self.dsn.get_secret_value()}
        password = self.password.get_secret_value() if self.password is not None else None
        return {
            "host": self.host,
            "port": self.port,
            "database": self.db,
            "user": self.user,
            "password": password,
        }

    def describe(self) -> str:
        """Where this connects, safe to print."""
        from llama_stack.storage._errors import redact_dsn

        if self.dsn is not None:
            return redact_dsn(self.dsn.get_secret_value())
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.db}"


class SqliteKVStoreConfig(_SqliteConfig):
    """Key-value pairs in one SQLite table (WAL mode)."""

    table_name: TableName = "kvstore"


class PostgresKVStoreConfig(_PostgresConfig):
    """Key-value pairs in one PostgreSQL table, created on first use."""

    table_name: TableName = "llamastack_kvstore"


class InMemoryKVStoreConfig(_StoreConfig):
    """A process-local dict: for tests and ephemeral stacks; nothing survives a restart."""

    type: Literal["memory"] = "memory"


class SqliteSqlStoreConfig(_SqliteConfig):
    """Tables in one SQLite file (WAL mode)."""


class PostgresSqlStoreConfig(_PostgresConfig):
    """Tables in a PostgreSQL database (current schema)."""


KVStoreConfig = Annotated[
    SqliteKVStoreConfig | PostgresKVStoreConfig | InMemoryKVStoreConfig, Field(discriminator="type")
]
SqlStoreConfig = Annotated[SqliteSqlStoreConfig | PostgresSqlStoreConfig, Field(discriminator="type")]


class StorageConfig(_StoreConfig):
    """The ``storage:`` section: one kv store, one sql store; SQLite under the distribution dir unless set."""

    kvstore: KVStoreConfig | None = None
    sqlstore: SqlStoreConfig | None = None

    def for_distribution(self, distribution_name: str) -> ResolvedStorageConfig:
        """Fill in what was left out: SQLite files under ``$LLAMA_STACK_HOME/<distribution>/``."""
        kvstore = self.kvstore or SqliteKVStoreConfig()
        if isinstance(kvstore, SqliteKVStoreConfig) and kvstore.db_path is None:
            path = default_db_path(distribution_name, KV_DB_FILENAME)
            kvstore = kvstore.model_copy(update={"db_path": str(path)})
        sqlstore = self.sqlstore or SqliteSqlStoreConfig()
        if isinstance(sqlstore, SqliteSqlStoreConfig) and sqlstore.db_path is None:
            path = default_db_path(distribution_name, SQL_DB_FILENAME)
            sqlstore = sqlstore.model_copy(update={"db_path": str(path)})
        return ResolvedStorageConfig(kvstore=kvstore, sqlstore=sqlstore)


class ResolvedStorageConfig(_StoreConfig):
    """A ``StorageConfig`` with every store decided; what the stack opens at startup."""

    kvstore: KVStoreConfig
    sqlstore: SqlStoreConfig
