"""The ``SqlStore`` contract, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from llama_stack.storage import (
    ColumnDefinition,
    ColumnType,
    Cursor,
    CursorNotFoundError,
    IntegrityError,
    InvalidIdentifierError,
    OrderBy,
    SqlStore,
    SqlStoreConfig,
    StorageError,
    sqlstore_from_config,
)

ITEMS: dict[str, ColumnDefinition | ColumnType] = {
    "id": ColumnDefinition(ColumnType.STRING, primary_key=True),
    "name": ColumnType.TEXT,
    "rank": ColumnType.INTEGER,
    "score": ColumnType.FLOAT,
    "active": ColumnDefinition(ColumnType.BOOLEAN, nullable=False, default=True),
    "meta": ColumnType.JSON,
    "created_at": ColumnType.DATETIME,
}
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def item(n: int, **overrides: Any) -> dict[str, Any]:
    row = {"id": f"item-{n}", "name": f"name {n}", "rank": n, "score": n / 2, "meta": {"n": n}}
    row["created_at"] = T0 + timedelta(minutes=n)
    return row | overrides


@pytest.fixture
async def items(sql: SqlStore) -> SqlStore:
    await sql.create_table("items", ITEMS)
    return sql


async def test_insert_and_fetch_round_trip_every_type(items: SqlStore) -> None:
    meta = {"nested": {"list": [1, 2.5, "x", None, True]}, "quote": "it's"}
    created = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=5)))
    await items.insert("items", item(1, meta=meta, created_at=created, active=False, score=1))
    row = await items.fetch_one("items", {"id": "item-1"})
    assert row == {
        "id": "item-1",
        "name": "name 1",
        "rank": 1,
        "score": 1.0,
        "active": False,
        "meta": meta,
        "created_at": created,
    }
    assert row is not None
    assert row["created_at"].tzinfo is not None and row["created_at"].utcoffset() == timedelta(0)
    assert isinstance(row["score"], float) and isinstance(row["active"], bool)


@pytest.mark.parametrize("value", [[1, "two"], "just a string", 42, 1.5, True, {}, "123", "null"])
async def test_json_values_of_any_shape_round_trip(items: SqlStore, value: Any) -> None:
    await items.insert("items", item(1, meta=value))
    row = await items.fetch_one("items", {"id": "item-1"})
    assert row is not None and row["meta"] == value and type(row["meta"]) is type(value)


async def test_none_is_null_and_defaults_apply(items: SqlStore) -> None:
    await items.insert("items", {"id": "bare"})
    assert await items.fetch_one("items", {"id": "bare"}) == {
        "id": "bare",
        "name": None,
        "rank": None,
        "score": None,
        "active": True,
        "meta": None,
        "created_at": None,
    }
    assert [r["id"] for r in await items.fetch_all("items", {"name": None})] == ["bare"]


async def test_naive_datetimes_are_local_time(items: SqlStore) -> None:
    naive = datetime(2024, 6, 1, 8, 30)
    await items.insert("items", item(1, created_at=naive))
    row = await items.fetch_one("items", {"created_at": naive})
    assert row is not None and row["created_at"] == naive.astimezone(UTC)


async def test_fetch_with_where_order_and_limit(items: SqlStore) -> None:
    await items.insert("items", [item(n, active=n % 2 == 0) for n in range(1, 7)])
    by_rank = await items.fetch_all("items", order_by=[("rank", "desc")])
    assert [r["rank"] for r in by_rank] == [6, 5, 4, 3, 2, 1]
    active = await items.fetch_all("items", {"active": True}, order_by=[("created_at", "asc")], limit=2)
    assert [r["id"] for r in active] == ["item-2", "item-4"]
    assert await items.fetch_all("items", {"active": True, "rank": 4}) == [item(4, active=True)]
    assert await items.fetch_all("items", {"meta": {"n": 3}}) == [item(3, active=False)]
    assert await items.fetch_all("items", limit=0) == []
    assert await items.fetch_one("items", {"rank": 99}) is None
    first = await items.fetch_one("items", order_by=[("score", "desc")])
    assert first is not None and first["id"] == "item-6"


async def test_strings_order_by_code_point_on_every_backend(items: SqlStore) -> None:
    names = ["b", "B", "a", "é", "Z", "_x", "🦙"]
    await items.insert("items", [{"id": f"i{n}", "name": name} for n, name in enumerate(names)])
    rows = await items.fetch_all("items", order_by=[("name", "asc")])
    assert [r["name"] for r in rows] == sorted(names)


async def test_update_and_delete_report_counts(items: SqlStore) -> None:
    await items.insert("items", [item(n) for n in range(1, 5)])
    assert await items.update("items", {"name": "renamed", "meta": ["x"]}, {"active": True}) == 4
    assert await items.update("items", {"rank": 0}, {"id": "nope"}) == 0
    row = await items.fetch_one("items", {"id": "item-2"})
    assert row is not None and (row["name"], row["meta"]) == ("renamed", ["x"])
    assert await items.delete("items", {"id": "item-2"}) == 1
    assert await items.delete("items", {"id": "item-2"}) == 0
    assert [r["id"] for r in await items.fetch_all("items", order_by=[("id", "asc")])] == [
        "item-1",
        "item-3",
        "item-4",
    ]


async def test_update_and_delete_need_a_where(items: SqlStore) -> None:
    await items.insert("items", item(1))
    with pytest.raises(ValueError, match="where"):
        await items.update("items", {"name": "x"}, {})
    with pytest.raises(ValueError, match="where"):
        await items.delete("items", {})
    assert len(await items.fetch_all("items")) == 1


async def test_upsert_inserts_then_updates(items: SqlStore) -> None:
    await items.upsert("items", item(1))
    await items.upsert("items", [{"id": "item-1", "name": "new"}, item(2)])
    rows = await items.fetch_all("items", order_by=[("id", "asc")])
    assert [(r["id"], r["name"], r["rank"]) for r in rows] == [("item-1", "new", 1), ("item-2", "name 2", 2)]
    await items.upsert("items", {"id": "item-1"})  # only the key: nothing to update
    assert len(await items.fetch_all("items")) == 2


async def test_upsert_on_other_key_columns(sql: SqlStore) -> None:
    await sql.create_table("pairs", {"a": ColumnType.STRING, "b": ColumnType.STRING, "v": ColumnType.INTEGER})
    with pytest.raises(ValueError, match="key_columns"):
        await sql.upsert("pairs", {"a": "x", "b": "y", "v": 1})
    await sql.create_table(
        "keyed",
        {
            "a": ColumnDefinition(ColumnType.STRING, primary_key=True),
            "b": ColumnDefinition(ColumnType.STRING, primary_key=True),
            "v": ColumnType.INTEGER,
        },
    )
    await sql.insert("keyed", [{"a": "x", "b": "1", "v": 1}, {"a": "x", "b": "2", "v": 2}])
    await sql.upsert("keyed", {"a": "x", "b": "2", "v": 20}, key_columns=["a", "b"])
    assert [r["v"] for r in await sql.fetch_all("keyed", {"a": "x"}, order_by=[("b", "asc")])] == [1, 20]
    with pytest.raises(IntegrityError):
        await sql.insert("keyed", {"a": "x", "b": "1"})


async def test_failed_multi_row_insert_writes_nothing(items: SqlStore) -> None:
    await items.insert("items", item(1))
    with pytest.raises(IntegrityError):
        await items.insert("items", [item(2), item(3), item(1)])  # the last one is a duplicate
    with pytest.raises(IntegrityError):
        await items.insert("items", [item(4), {"id": "item-5", "rank": 5}, {"id": None}])
    assert [r["id"] for r in await items.fetch_all("items")] == ["item-1"]


async def test_concurrent_transactions_on_one_store_stay_apart(items: SqlStore) -> None:
    await items.insert("items", item(0))
    failing = items.insert("items", [item(1), item(2), item(0)])
    succeeding = [items.insert("items", item(n)) for n in range(10, 20)]
    results = await asyncio.gather(failing, *succeeding, return_exceptions=True)
    assert isinstance(results[0], IntegrityError) and results[1:] == [None] * 10
    ids = {r["id"] for r in await items.fetch_all("items")}
    assert ids == {"item-0"} | {f"item-{n}" for n in range(10, 20)}


async def test_concurrent_stores_on_one_database(sql_config: SqlStoreConfig) -> None:
    stores = [await sqlstore_from_config(sql_config) for _ in range(3)]
    try:
        await stores[0].create_table("items", ITEMS)

        async def write(index: int, store: SqlStore) -> None:
            for batch in range(10):
                await store.insert("items", [item(index * 1000 + batch * 10 + n) for n in range(5)])

        await asyncio.gather(*(write(i, s) for i, s in enumerate(stores)))
        assert len(await stores[1].fetch_all("items")) == 3 * 10 * 5
    finally:
        for store in stores:
            await store.close()


async def test_cursor_pagination(items: SqlStore) -> None:
    # two rows share a created_at: the id breaks the tie so no row is skipped or repeated
    rows = [item(n, created_at=T0 + timedelta(minutes=min(n, 3))) for n in range(1, 7)]
    await items.insert("items", rows)
    order: list[OrderBy] = [("created_at", "desc")]

    async def all_pages(limit: int) -> list[str]:
        seen: list[str] = []
        cursor: Cursor | None = None
        while True:
            page = await items.fetch_all("items", order_by=order, limit=limit + 1, cursor=cursor)
            seen += [r["id"] for r in page[:limit]]
            if len(page) <= limit:
                return seen
            cursor = ("id", page[limit - 1]["id"])

    tie_broken = await items.fetch_all("items", order_by=[("created_at", "desc"), ("id", "asc")])
    expected = [r["id"] for r in tie_broken]
    assert len(expected) == 6
    for limit in (1, 2, 4, 10):
        assert await all_pages(limit) == expected
    after = await items.fetch_all(
        "items", {"active": True}, order_by=[("rank", "asc")], cursor=("id", "item-4")
    )
    assert [r["rank"] for r in after] == [5, 6]
    with pytest.raises(CursorNotFoundError, match="item-99"):
        await items.fetch_all("items", order_by=order, cursor=("id", "item-99"))


async def test_add_column_if_not_exists(items: SqlStore) -> None:
    await items.insert("items", item(1))
    extra = ColumnDefinition(ColumnType.JSON, default={"tags": []})
    await items.add_column_if_not_exists("items", "extra", extra)
    await items.add_column_if_not_exists("items", "extra", extra)  # twice is fine
    await items.add_column_if_not_exists("items", "note", ColumnType.STRING)
    await items.insert("items", item(2, extra={"tags": ["b"]}, note="hi"))
    rows = await items.fetch_all("items", order_by=[("id", "asc")])
    assert [(r["extra"], r["note"]) for r in rows] == [({"tags": []}, None), ({"tags": ["b"]}, "hi")]


async def test_create_table_twice_keeps_the_data(items: SqlStore) -> None:
    await items.insert("items", item(1))
    await items.create_table("items", ITEMS)
    assert len(await items.fetch_all("items")) == 1


async def test_quoted_names_allow_reserved_words_and_case(sql: SqlStore) -> None:
    await sql.create_table("order", {"select": ColumnType.INTEGER, "camelCase": ColumnType.STRING})
    await sql.insert("order", {"select": 1, "camelCase": "x"})
    assert await sql.fetch_all("order", {"camelCase": "x"}) == [{"select": 1, "camelCase": "x"}]


@pytest.mark.parametrize(
    "bad",
    ["items; DROP TABLE items", 'items"', "1items", "it ems", "", "x" * 64, "ítems", "items--"],
)
async def test_invalid_identifiers_are_rejected(items: SqlStore, bad: str) -> None:
    await items.insert("items", item(1))
    with pytest.raises(InvalidIdentifierError):
        await items.create_table(bad, {"id": ColumnType.STRING})
    with pytest.raises(InvalidIdentifierError):
        await items.create_table("ok", {bad: ColumnType.STRING})
    with pytest.raises(InvalidIdentifierError):
        await items.fetch_all(bad)
    with pytest.raises(InvalidIdentifierError):
        await items.fetch_all("items", {bad: 1})
    with pytest.raises(InvalidIdentifierError):
        await items.fetch_all("items", order_by=[(bad, "asc")])
    with pytest.raises(InvalidIdentifierError):
        await items.insert("items", {"id": "x", bad: 1})
    with pytest.raises(InvalidIdentifierError):
        await items.update("items", {bad: 1}, {"id": "item-1"})
    with pytest.raises(InvalidIdentifierError):
        await items.add_column_if_not_exists("items", bad, ColumnType.STRING)
    assert len(await items.fetch_all("items")) == 1


async def test_injection_through_values_or_direction_fails(items: SqlStore) -> None:
    payload = "x' OR '1'='1'; DROP TABLE items; --"
    await items.insert("items", item(1, name=payload))
    assert await items.fetch_all("items", {"name": "x' OR '1'='1"}) == []
    assert [r["name"] for r in await items.fetch_all("items", {"name": payload})] == [payload]
    with pytest.raises(ValueError, match="asc"):
        await items.fetch_all("items", order_by=[("id", "asc; DROP TABLE items")])  # type: ignore[list-item]
    assert len(await items.fetch_all("items")) == 1


async def test_unknown_tables_and_columns_are_named(items: SqlStore) -> None:
    with pytest.raises(StorageError, match="'nope' does not exist; create it"):
        await items.fetch_all("nope")
    with pytest.raises(StorageError, match="no column 'colour'"):
        await items.insert("items", {"id": "x", "colour": "red"})


async def test_wrong_value_types_fail_the_same_way_everywhere(items: SqlStore) -> None:
    with pytest.raises(TypeError, match="DATETIME"):
        await items.insert("items", item(1, created_at="2024-01-01"))
    with pytest.raises(TypeError):
        await items.insert("items", item(1, meta={"when": datetime.now()}))
    assert await items.fetch_all("items") == []


async def test_bad_arguments(items: SqlStore) -> None:
    with pytest.raises(ValueError):
        await items.insert("items", [])
    with pytest.raises(ValueError):
        await items.create_table("empty", {})
    with pytest.raises(ValueError, match="limit"):
        await items.fetch_all("items", limit=-1)
    with pytest.raises(ValueError, match="primary key"):
        key = ColumnDefinition(ColumnType.STRING, primary_key=True)
        await items.add_column_if_not_exists("items", "pk2", key)


async def test_data_survives_reopening(sql_config: SqlStoreConfig) -> None:
    store = await sqlstore_from_config(sql_config)
    await store.create_table("items", ITEMS)
    await store.insert("items", item(1))
    await store.close()
    await store.close()
    reopened = await sqlstore_from_config(sql_config)
    try:
        # no create_table in this process: column types come from the database itself
        assert await reopened.fetch_all("items") == [item(1, active=True)]
    finally:
        await reopened.close()
