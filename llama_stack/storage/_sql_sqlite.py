"""``SqliteSqlStore``: the ``SqlStore`` protocol on one SQLite file; JSON and datetimes stored as text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from llama_stack.storage import _sqlite
from llama_stack.storage._config import SqliteSqlStoreConfig
from llama_stack.storage._sql import ColumnType
from llama_stack.storage._sql_base import SqlStoreBase
from llama_stack.storage._sql_statements import Batch, ColumnInfo
from llama_stack.storage._time import from_iso, to_iso

# Declared types are read back by introspection, so they must name the ColumnType unambiguously and
# still give SQLite the right affinity: "JSON TEXT" has TEXT affinity where a bare "JSON" would be
# NUMERIC and turn the text '123' into the integer 123.
_TYPE_NAMES: Mapping[ColumnType, str] = {
    ColumnType.INTEGER: "INTEGER",
    ColumnType.STRING: "VARCHAR",
    ColumnType.TEXT: "TEXT",
    ColumnType.FLOAT: "REAL",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.JSON: "JSON TEXT",
    ColumnType.DATETIME: "DATETIME TEXT",
}
_TYPES_BY_NAME = {name: column_type for column_type, name in _TYPE_NAMES.items()}


class SqliteSqlStore(SqlStoreBase):
    """One connection in WAL mode; a lock keeps coroutines from interleaving inside a transaction."""

    placeholder = "?"
    type_names = _TYPE_NAMES

    def __init__(self, config: SqliteSqlStoreConfig) -> None:
        super().__init__()
        self.config = config
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        async with self._lock:
            if self._connection is None:
                self._connection = await _sqlite.connect(
                    _sqlite.require_db_path(self.config.db_path, "SqliteSqlStore")
                )

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    def _open(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise _sqlite.not_initialized(self)
        return self._connection

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            with _sqlite.translated_errors():
                async with self._open().execute(sql, params) as cursor:
                    return cursor.rowcount

    async def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        async with self._lock:
            with _sqlite.translated_errors():
                async with self._open().execute(sql, params) as cursor:
                    names = [column[0] for column in cursor.description]
                    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]

    async def _run_atomically(self, batches: Sequence[Batch]) -> None:
        async with self._lock:
            connection = self._open()
            with _sqlite.translated_errors():
                # IMMEDIATE takes the write lock up front, so busy_timeout applies instead of a deadlock error
                await connection.execute("BEGIN IMMEDIATE")
                try:
                    for sql, rows in batches:
                        await connection.executemany(sql, rows)
                except BaseException:
                    await connection.execute("ROLLBACK")
                    raise
                await connection.execute("COMMIT")

    async def _introspect(self, table: str) -> dict[str, ColumnInfo]:
        rows = await self._query("SELECT name, type, pk FROM pragma_table_info(?)", (table,))
        return {
            row["name"]: ColumnInfo(_TYPES_BY_NAME.get(str(row["type"]).upper()), bool(row["pk"]))
            for row in rows
        }

    def _encode(self, value: Any, column_type: ColumnType | None) -> Any:
        if value is None:
            return None
        if column_type is ColumnType.JSON:
            return json.dumps(value)
        if isinstance(value, datetime):
            return to_iso(value)
        if column_type is ColumnType.DATETIME:
            raise TypeError(f"a DATETIME column takes datetime values, got {type(value).__name__} {value!r}")
        if isinstance(value, bool):
            return int(value)
        return value

    def _decode(self, value: Any, column_type: ColumnType | None) -> Any:
        if value is None:
            return None
        if column_type is ColumnType.JSON:
            return json.loads(value)
        if column_type is ColumnType.DATETIME:
            return from_iso(value)
        if column_type is ColumnType.BOOLEAN:
            return bool(value)
        if column_type is ColumnType.FLOAT:
            return float(value)
        return value
