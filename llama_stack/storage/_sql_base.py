"""The ``SqlStore`` operations both SQL backends share, on top of a few driver primitives.

The SQLite and PostgreSQL stores subclass ``SqlStoreBase`` and differ only
where they touch the driver: ``_run`` / ``_query`` / ``_run_atomically`` /
``_introspect`` plus the value encoding and type names of ``SqlStatements``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from llama_stack.storage._errors import CursorNotFoundError, StorageError
from llama_stack.storage._identifiers import check_identifier, quote_identifier
from llama_stack.storage._sql import ColumnDefinition, ColumnType, Cursor, OrderBy, Row
from llama_stack.storage._sql_statements import (
    Batch,
    ColumnInfo,
    Params,
    SqlStatements,
    as_definition,
    as_rows,
    direction_sql,
)


class SqlStoreBase(SqlStatements):
    """The ``SqlStore`` protocol, built on a few driver-specific primitives."""

    def __init__(self) -> None:
        self._schema: dict[str, dict[str, ColumnInfo]] = {}

    # -- driver-specific primitives ------------------------------------------------------------

    @abstractmethod
    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; return the number of rows it changed."""

    @abstractmethod
    async def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Execute a query; rows as dicts of raw driver values."""

    @abstractmethod
    async def _run_atomically(self, batches: Sequence[Batch]) -> None:
        """Run every batch in one transaction: all rows are written or none."""

    @abstractmethod
    async def _introspect(self, table: str) -> dict[str, ColumnInfo]:
        """The table's columns in order; empty when the table does not exist."""

    def _add_column_sql(self, table: str, column_sql: str) -> str:
        return f"ALTER TABLE {quote_identifier(table, what='table')} ADD COLUMN {column_sql}"

    async def _run_ddl(self, sql: str) -> None:
        await self._run(sql)

    # -- schema ------------------------------------------------------------------------------

    async def _columns(self, table: str, referenced: Sequence[str] = ()) -> dict[str, ColumnInfo]:
        """Cached columns of ``table``, re-read when a name is unknown (another worker may have added it)."""
        check_identifier(table, what="table")
        for name in referenced:
            check_identifier(name, what="column")
        columns = self._schema.get(table)
        if columns is None or any(name not in columns for name in referenced):
            columns = await self._introspect(table)
            if not columns:
                raise StorageError(f"table {table!r} does not exist; create it with create_table() first")
            self._schema[table] = columns
        unknown = [name for name in referenced if name not in columns]
        if unknown:
            raise StorageError(
                f"table {table!r} has no column {', '.join(map(repr, unknown))}; "
                f"its columns: {', '.join(columns)}"
            )
        return columns

    async def create_table(self, table: str, columns: Mapping[str, ColumnDefinition | ColumnType]) -> None:
        if not columns:
            raise ValueError(f"table {table!r} needs at least one column")
        definitions = {name: as_definition(column) for name, column in columns.items()}
        keys = [name for name, definition in definitions.items() if definition.primary_key]
        parts = [self._column_sql(name, definition) for name, definition in definitions.items()]
        if keys:
            parts.append(f"PRIMARY KEY ({', '.join(quote_identifier(k, what='column') for k in keys)})")
        table_sql = quote_identifier(table, what="table")
        await self._run_ddl(f"CREATE TABLE IF NOT EXISTS {table_sql} ({', '.join(parts)})")
        self._schema.pop(table, None)

    async def add_column_if_not_exists(
        self, table: str, column: str, definition: ColumnDefinition | ColumnType
    ) -> None:
        resolved = as_definition(definition)
        if resolved.primary_key:
            raise ValueError(f"cannot add primary key column {column!r} to existing table {table!r}")
        self._schema.pop(table, None)
        if column in await self._columns(table):
            return
        await self._run_ddl(self._add_column_sql(table, self._column_sql(column, resolved)))
        self._schema.pop(table, None)

    # -- writes ------------------------------------------------------------------------------

    async def _write(self, batches: list[Batch]) -> None:
        if len(batches) == 1 and len(batches[0][1]) == 1:
            await self._run(batches[0][0], batches[0][1][0])
        else:
            await self._run_atomically(batches)

    async def insert(self, table: str, rows: Row | Sequence[Row]) -> None:
        listed = as_rows(rows)
        columns = await self._columns(table, sorted({name for row in listed for name in row}))
        await self._write(self._insert_batches(table, listed, columns))

    async def upsert(
        self, table: str, rows: Row | Sequence[Row], *, key_columns: Sequence[str] | None = None
    ) -> None:
        listed = as_rows(rows)
        referenced = {name for row in listed for name in row} | set(key_columns or ())
        columns = await self._columns(table, sorted(referenced))
        keys = list(key_columns or [name for name, info in columns.items() if info.primary_key])
        if not keys:
            raise ValueError(
                f"table {table!r} has no primary key; pass key_columns= to say what identifies a row"
            )
        for row in listed:
            missing = [key for key in keys if key not in row]
            if missing:
                raise ValueError(
                    f"upsert into {table!r}: every row needs the key columns {keys}; missing {missing}"
                )
        await self._write(self._insert_batches(table, listed, columns, keys))

    async def update(self, table: str, data: Row, where: Row) -> int:
        if not data:
            raise ValueError("update needs at least one column to set")
        if not where:
            raise ValueError("update needs a non-empty where; refusing to change every row")
        columns = await self._columns(table, sorted(set(data) | set(where)))
        params = Params(self.placeholder)
        assignments = [
            f"{quote_identifier(n)} = {params.add(self._encode(v, columns[n].type))}" for n, v in data.items()
        ]
        conditions = self._conditions(where, columns, params)
        sql = (
            f"UPDATE {quote_identifier(table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}"
        )
        return await self._run(sql, params.values)

    async def delete(self, table: str, where: Row) -> int:
        if not where:
            raise ValueError("delete needs a non-empty where; refusing to delete every row")
        columns = await self._columns(table, sorted(where))
        params = Params(self.placeholder)
        conditions = self._conditions(where, columns, params)
        return await self._run(
            f"DELETE FROM {quote_identifier(table)} WHERE {' AND '.join(conditions)}", params.values
        )

    # -- reads -------------------------------------------------------------------------------

    async def fetch_all(
        self,
        table: str,
        where: Row | None = None,
        *,
        order_by: Sequence[OrderBy] | None = None,
        limit: int | None = None,
        cursor: Cursor | None = None,
    ) -> list[dict[str, Any]]:
        order = [(name, direction_sql(direction)) for name, direction in order_by or ()]
        if cursor is not None and cursor[0] not in [name for name, _ in order]:
            order.append((cursor[0], "ASC"))  # a unique tie-breaker makes the page boundary exact
        referenced = set(where or ()) | {name for name, _ in order}
        columns = await self._columns(table, sorted(referenced))
        params = Params(self.placeholder)
        conditions = self._conditions(where, columns, params)
        if cursor is not None:
            last = await self._cursor_row(table, cursor, [name for name, _ in order], columns)
            conditions.append(self._after_cursor(order, last, columns, params))
        sql = f"SELECT * FROM {quote_identifier(table)}"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        if order:
            sql += " ORDER BY " + ", ".join(f"{quote_identifier(n)} {d}" for n, d in order)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
            sql += f" LIMIT {params.add(limit)}"
        rows = await self._query(sql, params.values)
        return [self._decode_row(row, columns) for row in rows]

    async def _cursor_row(
        self, table: str, cursor: Cursor, names: Sequence[str], columns: Mapping[str, ColumnInfo]
    ) -> dict[str, Any]:
        column, value = cursor
        params = Params(self.placeholder)
        select = ", ".join(quote_identifier(n) for n in names)
        condition = f"{quote_identifier(column)} = {params.add(self._encode(value, columns[column].type))}"
        found = await self._query(
            f"SELECT {select} FROM {quote_identifier(table)} WHERE {condition}", params.values
        )
        if not found:
            raise CursorNotFoundError(
                f"no row in {table!r} has {column} = {value!r}; "
                "the cursor must name a row from the previous page"
            )
        return {name: self._decode(found[0][name], columns[name].type) for name in names}

    async def fetch_one(
        self, table: str, where: Row | None = None, *, order_by: Sequence[OrderBy] | None = None
    ) -> dict[str, Any] | None:
        rows = await self.fetch_all(table, where, order_by=order_by, limit=1)
        return rows[0] if rows else None

    def _decode_row(self, row: Mapping[str, Any], columns: Mapping[str, ColumnInfo]) -> dict[str, Any]:
        return {
            name: self._decode(value, columns[name].type if name in columns else None)
            for name, value in row.items()
        }
