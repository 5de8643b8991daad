"""The ``SqlStore`` protocol: portable tables on SQLite and PostgreSQL, described by ``ColumnType``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

Row = Mapping[str, Any]
OrderBy = tuple[str, Literal["asc", "desc"]]
Cursor = tuple[str, Any]
"""``(column, value)``: continue after the row whose ``column`` (unique, usually the id) equals ``value``."""


class ColumnType(StrEnum):
    """Portable column types; each backend picks its own SQL type and round-trips the Python value."""

    INTEGER = "integer"
    STRING = "string"
    TEXT = "text"
    FLOAT = "float"
    BOOLEAN = "boolean"
    JSON = "json"  # any json.dumps-able value; None is stored as SQL NULL
    DATETIME = "datetime"  # stored in UTC, read back timezone-aware; naive input is local time


@dataclass(frozen=True)
class ColumnDefinition:
    """A column: several ``primary_key`` columns form one composite key; ``default`` is a constant."""

    type: ColumnType
    primary_key: bool = False
    nullable: bool = True
    default: Any = None


@runtime_checkable
class SqlStore(Protocol):
    """Async table access that behaves the same on SQLite and PostgreSQL.

    Table and column names must be plain identifiers (``[A-Za-z_][A-Za-z0-9_]*``,
    else ``InvalidIdentifierError``); values are always bound as parameters.
    Database failures raise ``StorageError`` subclasses: ``IntegrityError`` for
    constraint violations (duplicate key, NOT NULL), ``StorageError`` for an
    unknown table or column.
    """

    async def initialize(self) -> None:
        """Open connections; safe to call twice. ``StorageUnavailableError`` when unreachable."""
        ...

    async def close(self) -> None:
        """Release connections; safe to call twice."""
        ...

    async def create_table(self, table: str, columns: Mapping[str, ColumnDefinition | ColumnType]) -> None:
        """Create ``table`` unless it exists (an existing table is left as it is)."""
        ...

    async def add_column_if_not_exists(
        self, table: str, column: str, definition: ColumnDefinition | ColumnType
    ) -> None:
        """Add a column to an existing table; existing rows get its default (or NULL)."""
        ...

    async def insert(self, table: str, rows: Row | Sequence[Row]) -> None:
        """Insert one row or several; several are all-or-nothing (``IntegrityError`` writes none)."""
        ...

    async def upsert(
        self, table: str, rows: Row | Sequence[Row], *, key_columns: Sequence[str] | None = None
    ) -> None:
        """Insert, or update the given columns of the row with the same key (default: the primary key)."""
        ...

    async def fetch_all(
        self,
        table: str,
        where: Row | None = None,
        *,
        order_by: Sequence[OrderBy] | None = None,
        limit: int | None = None,
        cursor: Cursor | None = None,
    ) -> list[dict[str, Any]]:
        """Rows matching ``where`` (column equals value; ``None`` matches NULL), ordered and limited.

        With ``cursor=(column, value)`` only rows after that row, in ``order_by``
        order (ties broken by ``column``), come back: ask for ``limit + 1`` rows
        to learn whether there is another page. Ordered columns must not be NULL.
        Raises ``CursorNotFoundError`` if no row has ``column = value``.
        """
        ...

    async def fetch_one(
        self, table: str, where: Row | None = None, *, order_by: Sequence[OrderBy] | None = None
    ) -> dict[str, Any] | None:
        """The first matching row, or ``None``."""
        ...

    async def update(self, table: str, data: Row, where: Row) -> int:
        """Set ``data`` on rows matching ``where`` (required, non-empty); returns how many rows changed."""
        ...

    async def delete(self, table: str, where: Row) -> int:
        """Delete rows matching ``where`` (required, non-empty); returns how many were deleted."""
        ...
