"""Statement building shared by the SQL backends: pure string and parameter work, no I/O.

A backend supplies its placeholder style, its type names and how values are
encoded; everything here only quotes checked identifiers and binds values.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from llama_stack.storage._identifiers import quote_identifier
from llama_stack.storage._sql import ColumnDefinition, ColumnType, Row


class ColumnInfo(NamedTuple):
    """What introspection tells about a column; ``type`` is ``None`` for types we did not create."""

    type: ColumnType | None
    primary_key: bool


Batch = tuple[str, list[list[Any]]]
"""One statement and the parameter lists to run it with."""


class Params:
    """Collects bound values and hands out the dialect's placeholder for each."""

    def __init__(self, placeholder: str) -> None:
        self._placeholder = placeholder
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return self._placeholder.format(n=len(self.values))


def as_definition(column: ColumnDefinition | ColumnType) -> ColumnDefinition:
    return column if isinstance(column, ColumnDefinition) else ColumnDefinition(type=ColumnType(column))


def as_rows(rows: Row | Sequence[Row]) -> list[Row]:
    listed = [rows] if isinstance(rows, Mapping) else list(rows)
    if not listed or not all(row for row in listed):
        raise ValueError("rows must be one non-empty mapping or a non-empty list of them")
    return listed


def direction_sql(direction: str) -> str:
    if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
        raise ValueError(f"order direction {direction!r} must be 'asc' or 'desc'")
    return direction.upper()


class SqlStatements(ABC):
    """Builds the statements; subclasses say how their driver spells placeholders, types and values."""

    placeholder: str  # "?" or "${n}"
    type_names: Mapping[ColumnType, str]

    @abstractmethod
    def _encode(self, value: Any, column_type: ColumnType | None) -> Any:
        """A Python value as the driver should bind it."""

    @abstractmethod
    def _decode(self, value: Any, column_type: ColumnType | None) -> Any:
        """A driver value back to the Python value it was stored from."""

    def _literal_value(self, value: Any, column_type: ColumnType) -> Any:
        """A ``DEFAULT`` value as a plain scalar; DDL cannot take bound parameters."""
        return self._encode(value, column_type)

    def _column_sql(self, name: str, definition: ColumnDefinition) -> str:
        sql = f"{quote_identifier(name, what='column')} {self.type_names[definition.type]}"
        if definition.primary_key or not definition.nullable:
            sql += " NOT NULL"  # SQLite would otherwise allow NULL in a non-INTEGER primary key
        if definition.default is not None:
            sql += f" DEFAULT {self._literal(definition.default, definition.type)}"
        return sql

    def _literal(self, value: Any, column_type: ColumnType) -> str:
        scalar = self._literal_value(value, column_type)
        if isinstance(scalar, bool):
            return "TRUE" if scalar else "FALSE"
        if isinstance(scalar, int | float) and not (isinstance(scalar, float) and not math.isfinite(scalar)):
            return repr(scalar)
        if isinstance(scalar, str):
            if "\x00" in scalar:
                raise ValueError("a column default cannot contain NUL characters")
            return "'" + scalar.replace("'", "''") + "'"
        raise ValueError(f"cannot use {value!r} as a default for a {column_type.value} column")

    # -- statement pieces --------------------------------------------------------------------

    def _conditions(self, where: Row | None, columns: Mapping[str, ColumnInfo], params: Params) -> list[str]:
        conditions = []
        for name, value in (where or {}).items():
            quoted = quote_identifier(name, what="column")
            if value is None:
                conditions.append(f"{quoted} IS NULL")
            else:
                conditions.append(f"{quoted} = {params.add(self._encode(value, columns[name].type))}")
        return conditions

    def _after_cursor(
        self, order: Sequence[tuple[str, str]], last: Row, columns: Mapping[str, ColumnInfo], params: Params
    ) -> str:
        """Keyset condition: rows that sort after ``last`` under ``order`` (mixed directions allowed)."""
        alternatives = []
        for index, (name, direction) in enumerate(order):
            terms = [
                f"{quote_identifier(prior)} = {params.add(self._encode(last[prior], columns[prior].type))}"
                for prior, _ in order[:index]
            ]
            operator = ">" if direction == "ASC" else "<"
            value = params.add(self._encode(last[name], columns[name].type))
            terms.append(f"{quote_identifier(name)} {operator} {value}")
            alternatives.append("(" + " AND ".join(terms) + ")")
        return "(" + " OR ".join(alternatives) + ")"

    def _insert_batches(
        self,
        table: str,
        rows: list[Row],
        columns: Mapping[str, ColumnInfo],
        keys: Sequence[str] | None = None,
    ) -> list[Batch]:
        """One INSERT per distinct column list; with ``keys`` it becomes an upsert on those columns."""
        grouped: dict[tuple[str, ...], list[list[Any]]] = {}
        for row in rows:
            names = tuple(row)
            grouped.setdefault(names, []).append([self._encode(row[n], columns[n].type) for n in names])
        batches = []
        for names, values in grouped.items():
            params = Params(self.placeholder)
            placeholders = ", ".join(params.add(None) for _ in names)
            column_sql = ", ".join(quote_identifier(n) for n in names)
            sql = f"INSERT INTO {quote_identifier(table)} ({column_sql}) VALUES ({placeholders})"
            if keys is not None:
                updates = [
                    f"{quote_identifier(n)} = excluded.{quote_identifier(n)}" for n in names if n not in keys
                ]
                action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
                sql += f" ON CONFLICT ({', '.join(quote_identifier(k) for k in keys)}) {action}"
            batches.append((sql, values))
        return batches
