"""``SqliteKVStore``: the ``KVStore`` protocol on one SQLite table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from llama_stack.storage import _sqlite
from llama_stack.storage._config import SqliteKVStoreConfig
from llama_stack.storage._identifiers import quote_identifier
from llama_stack.storage._kv import prefix_upper_bound
from llama_stack.storage._time import as_utc

_LIVE = "(expiration IS NULL OR expiration > ?)"


class SqliteKVStore:
    """Keys in a ``TEXT PRIMARY KEY`` column (binary order = Python ``str`` order); expiry as a unix time."""

    def __init__(self, config: SqliteKVStoreConfig) -> None:
        self.config = config
        self._table = quote_identifier(config.table_name, what="table_name")
        self._connection: aiosqlite.Connection | None = None
        # one connection is shared by every coroutine of this store; the lock keeps their statements apart
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        async with self._lock:
            if self._connection is not None:
                return
            db_path = _sqlite.require_db_path(self.config.db_path, "SqliteKVStore")
            connection = await _sqlite.connect(db_path)
            with _sqlite.translated_errors():
                await connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table} "
                    "(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, expiration REAL)"
                )
                await connection.execute(
                    f"DELETE FROM {self._table} WHERE expiration IS NOT NULL AND expiration <= ?",
                    (time.time(),),
                )
            self._connection = connection

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    async def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        async with self._lock:
            if self._connection is None:
                raise _sqlite.not_initialized(self)
            with _sqlite.translated_errors():
                async with self._connection.execute(sql, params) as cursor:
                    return [tuple(row) for row in await cursor.fetchall()]

    async def _execute(self, sql: str, params: Sequence[Any]) -> None:
        async with self._lock:
            if self._connection is None:
                raise _sqlite.not_initialized(self)
            with _sqlite.translated_errors():
                await self._connection.execute(sql, params)

    async def get(self, key: str) -> str | None:
        rows = await self._fetch(
            f"SELECT value FROM {self._table} WHERE key = ? AND {_LIVE}", (key, time.time())
        )
        return str(rows[0][0]) if rows else None

    async def set(self, key: str, value: str, expiration: datetime | None = None) -> None:
        expires = as_utc(expiration).timestamp() if expiration is not None else None
        await self._execute(
            f"INSERT INTO {self._table} (key, value, expiration) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expiration = excluded.expiration",
            (key, value, expires),
        )

    async def delete(self, key: str) -> None:
        await self._execute(f"DELETE FROM {self._table} WHERE key = ?", (key,))

    async def _range(self, start_key: str, end_key: str) -> list[tuple[Any, ...]]:
        return await self._fetch(
            f"SELECT key, value FROM {self._table} WHERE key >= ? AND key <= ? AND {_LIVE} ORDER BY key",
            (start_key, end_key, time.time()),
        )

    async def values_in_range(self, start_key: str, end_key: str) -> list[str]:
        return [value for _, value in await self._range(start_key, end_key)]

    async def keys_in_range(self, start_key: str, end_key: str) -> list[str]:
        return [key for key, _ in await self._range(start_key, end_key)]

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        upper = prefix_upper_bound(prefix)
        bound, params = ("AND key < ?", (prefix, upper)) if upper is not None else ("", (prefix,))
        rows = await self._fetch(
            f"SELECT key, value FROM {self._table} WHERE key >= ? {bound} AND {_LIVE} ORDER BY key",
            (*params, time.time()),
        )
        return [(key, value) for key, value in rows]
