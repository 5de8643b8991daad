"""``PostgresSqlStore``: the ``SqlStore`` protocol on PostgreSQL through an asyncpg pool."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from llama_stack.storage import _postgres
from llama_stack.storage._config import PostgresSqlStoreConfig
from llama_stack.storage._identifiers import quote_identifier
from llama_stack.storage._sql import ColumnType
from llama_stack.storage._sql_base import SqlStoreBase
from llama_stack.storage._sql_statements import Batch, ColumnInfo
from llama_stack.storage._time import as_utc, to_iso

# "C" collation: strings sort by code point, as on SQLite, whatever locale the database was created with
_TYPE_NAMES: Mapping[ColumnType, str] = {
    ColumnType.INTEGER: "BIGINT",
    ColumnType.STRING: 'VARCHAR COLLATE "C"',
    ColumnType.TEXT: 'TEXT COLLATE "C"',
    ColumnType.FLOAT: "DOUBLE PRECISION",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.JSON: "JSONB",
    ColumnType.DATETIME: "TIMESTAMPTZ",
}
_TYPES_BY_NAME: Mapping[str, ColumnType] = {
    "bigint": ColumnType.INTEGER,
    "integer": ColumnType.INTEGER,
    "smallint": ColumnType.INTEGER,
    "character varying": ColumnType.STRING,
    "text": ColumnType.TEXT,
    "double precision": ColumnType.FLOAT,
    "real": ColumnType.FLOAT,
    "boolean": ColumnType.BOOLEAN,
    "jsonb": ColumnType.JSON,
    "json": ColumnType.JSON,
    "timestamp with time zone": ColumnType.DATETIME,
}

_INTROSPECT = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       COALESCE(a.attnum = ANY(i.indkey), false) AS pk
FROM pg_attribute a
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def _rowcount(status: str) -> int:
    """``'UPDATE 3'`` → 3 (the command tag is all asyncpg tells about affected rows)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresSqlStore(SqlStoreBase):
    """Tables in the connection's current schema; JSON as JSONB, datetimes as TIMESTAMPTZ."""

    placeholder = "${n}"
    type_names = _TYPE_NAMES

    def __init__(self, config: PostgresSqlStoreConfig) -> None:
        super().__init__()
        self.config = config
        self._pool: Any = None

    async def initialize(self) -> None:
        if self._pool is None:
            self._pool = await _postgres.create_pool(self.config)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _open(self) -> Any:
        if self._pool is None:
            raise _postgres.not_initialized(self)
        return self._pool

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        pool = self._open()
        with _postgres.translated_errors():
            return _rowcount(await pool.execute(sql, *params))

    async def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        pool = self._open()
        with _postgres.translated_errors():
            return [dict(row) for row in await pool.fetch(sql, *params)]

    async def _run_atomically(self, batches: Sequence[Batch]) -> None:
        pool = self._open()
        with _postgres.translated_errors():
            async with pool.acquire() as connection, connection.transaction():
                for sql, rows in batches:
                    await connection.executemany(sql, rows)

    async def _run_ddl(self, sql: str) -> None:
        await _postgres.run_ddl(self._open(), sql)

    def _add_column_sql(self, table: str, column_sql: str) -> str:
        return f"ALTER TABLE {quote_identifier(table, what='table')} ADD COLUMN IF NOT EXISTS {column_sql}"

    async def _introspect(self, table: str) -> dict[str, ColumnInfo]:
        rows = await self._query(_INTROSPECT, (table,))
        return {row["name"]: ColumnInfo(_TYPES_BY_NAME.get(row["type"]), bool(row["pk"])) for row in rows}

    def _encode(self, value: Any, column_type: ColumnType | None) -> Any:
        if value is None:
            return None
        if column_type is ColumnType.JSON:
            return json.dumps(value)  # the connection's JSONB codec passes this text through
        if isinstance(value, datetime):
            return as_utc(value)  # asyncpg would read a naive datetime as UTC; ours are local time
        if column_type is ColumnType.DATETIME:
            raise TypeError(f"a DATETIME column takes datetime values, got {type(value).__name__} {value!r}")
        return value

    def _decode(self, value: Any, column_type: ColumnType | None) -> Any:
        return value  # asyncpg and the JSON codec already return Python values

    def _literal_value(self, value: Any, column_type: ColumnType) -> Any:
        encoded = self._encode(value, column_type)
        return to_iso(encoded) if isinstance(encoded, datetime) else encoded
