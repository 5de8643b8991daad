"""``PostgresKVStore``: the ``KVStore`` protocol on one PostgreSQL table, through an asyncpg pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llama_stack.storage import _postgres
from llama_stack.storage._config import PostgresKVStoreConfig
from llama_stack.storage._identifiers import quote_identifier
from llama_stack.storage._kv import prefix_upper_bound
from llama_stack.storage._time import as_utc

_LIVE = "(expiration IS NULL OR expiration > now())"


class PostgresKVStore:
    """Keys collate as ``"C"`` (code point order, like Python and SQLite) whatever the database locale."""

    def __init__(self, config: PostgresKVStoreConfig) -> None:
        self.config = config
        self._table = quote_identifier(config.table_name, what="table_name")
        self._pool: Any = None

    async def initialize(self) -> None:
        if self._pool is not None:
            return
        pool = await _postgres.create_pool(self.config)
        try:
            await _postgres.run_ddl(
                pool,
                f'CREATE TABLE IF NOT EXISTS {self._table} (key TEXT COLLATE "C" PRIMARY KEY, '
                "value TEXT NOT NULL, expiration TIMESTAMPTZ)",
            )
            with _postgres.translated_errors():
                await pool.execute(f"DELETE FROM {self._table} WHERE expiration <= now()")
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _open(self) -> Any:
        if self._pool is None:
            raise _postgres.not_initialized(self)
        return self._pool

    async def _fetch(self, sql: str, *params: Any) -> list[Any]:
        pool = self._open()
        with _postgres.translated_errors():
            return list(await pool.fetch(sql, *params))

    async def get(self, key: str) -> str | None:
        pool = self._open()
        with _postgres.translated_errors():
            value = await pool.fetchval(f"SELECT value FROM {self._table} WHERE key = $1 AND {_LIVE}", key)
        return str(value) if value is not None else None

    async def set(self, key: str, value: str, expiration: datetime | None = None) -> None:
        pool = self._open()
        with _postgres.translated_errors():
            await pool.execute(
                f"INSERT INTO {self._table} (key, value, expiration) VALUES ($1, $2, $3) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expiration = excluded.expiration",
                key,
                value,
                as_utc(expiration) if expiration is not None else None,
            )

    async def delete(self, key: str) -> None:
        pool = self._open()
        with _postgres.translated_errors():
            await pool.execute(f"DELETE FROM {self._table} WHERE key = $1", key)

    async def _range(self, start_key: str, end_key: str) -> list[Any]:
        return await self._fetch(
            f"SELECT key, value FROM {self._table} WHERE key >= $1 AND key <= $2 AND {_LIVE} ORDER BY key",
            start_key,
            end_key,
        )

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]:
        return [row["value"] for row in await self._range(start_key, end_key)]

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]:
        return [row["key"] for row in await self._range(start_key, end_key)]

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        upper = prefix_upper_bound(prefix)
        bound = "AND key < $2" if upper is not None else ""
        params = (prefix, upper) if upper is not None else (prefix,)
        rows = await self._fetch(
            f"SELECT key, value FROM {self._table} WHERE key >= $1 {bound} AND {_LIVE} ORDER BY key", *params
        )
        return [(row["key"], row["value"]) for row in rows]
