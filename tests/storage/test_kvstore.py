"""The ``KVStore`` contract, run against every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from llama_stack.storage import KVStore, KVStoreConfig, NamespacedKVStore, kvstore_from_config


async def test_get_set_delete(kv: KVStore) -> None:
    assert await kv.get("missing") is None
    await kv.set("k", "v1")
    assert await kv.get("k") == "v1"
    await kv.set("k", "v2")
    assert await kv.get("k") == "v2"
    await kv.delete("k")
    assert await kv.get("k") is None
    await kv.delete("k")  # deleting an absent key is fine


async def test_values_are_stored_verbatim(kv: KVStore) -> None:
    tricky = "'; DROP TABLE kvstore; -- ünïcødé 🦙 %_\\ \n"
    await kv.set(tricky, tricky)
    assert await kv.get(tricky) == tricky
    await kv.set("empty", "")
    assert await kv.get("empty") == ""


async def test_ranges_include_both_ends_in_key_order(kv: KVStore) -> None:
    for key in ["d", "a", "c", "b", "e"]:
        await kv.set(key, key.upper())
    assert await kv.keys_in_range("b", "d") == ["b", "c", "d"]
    assert await kv.values_in_range("b", "d") == ["B", "C", "D"]
    assert await kv.keys_in_range("bb", "cc") == ["c"]
    assert await kv.keys_in_range("x", "z") == []


async def test_keys_order_by_code_point_like_python(kv: KVStore) -> None:
    keys = ["a", "B", "Z", "é", "z", "_", "0", "🦙", "a b", "aa"]
    for key in keys:
        await kv.set(key, "v")
    assert await kv.keys_in_range("", "\U0010ffff") == sorted(keys)


async def test_items_with_prefix(kv: KVStore) -> None:
    for key in ["user", "user:1", "user:2", "users", "usez", "a%_:1", "a%_:2", "abc"]:
        await kv.set(key, f"v-{key}")
    assert await kv.items_with_prefix("user:") == [("user:1", "v-user:1"), ("user:2", "v-user:2")]
    # LIKE wildcards in a prefix match only themselves
    assert [key for key, _ in await kv.items_with_prefix("a%_")] == ["a%_:1", "a%_:2"]
    assert len(await kv.items_with_prefix("")) == 8
    assert await kv.items_with_prefix("nothing") == []


async def test_prefix_ending_in_the_highest_code_point(kv: KVStore) -> None:
    top = "\U0010ffff"
    await kv.set(f"p{top}", "1")
    await kv.set(f"p{top}x", "2")
    await kv.set("q", "3")
    assert [value for _, value in await kv.items_with_prefix(f"p{top}")] == ["1", "2"]


async def test_expired_keys_are_invisible(kv: KVStore) -> None:
    now = datetime.now(UTC)
    await kv.set("gone", "x", expiration=now - timedelta(minutes=1))
    await kv.set("kept", "y", expiration=now + timedelta(hours=1))
    await kv.set("naive-gone", "z", expiration=datetime.now() - timedelta(minutes=1))  # naive = local time
    assert await kv.get("gone") is None
    assert await kv.get("naive-gone") is None
    assert await kv.get("kept") == "y"
    assert await kv.keys_in_range("", "z") == ["kept"]
    assert await kv.values_in_range("", "z") == ["y"]
    assert await kv.items_with_prefix("") == [("kept", "y")]


async def test_key_expires_while_stored(kv: KVStore) -> None:
    await kv.set("short", "x", expiration=datetime.now(UTC) + timedelta(milliseconds=300))
    assert await kv.get("short") == "x"
    await asyncio.sleep(0.5)
    assert await kv.get("short") is None


async def test_setting_again_clears_the_expiration(kv: KVStore) -> None:
    await kv.set("k", "old", expiration=datetime.now(UTC) - timedelta(minutes=1))
    await kv.set("k", "new")
    assert await kv.get("k") == "new"


async def test_namespaces_do_not_see_each_other(kv: KVStore) -> None:
    agents, files = NamespacedKVStore(kv, "agents"), NamespacedKVStore(kv, "files")
    await agents.set("id:1", "agent")
    await files.set("id:1", "file")
    await files.set("id:2", "file2")
    assert await agents.get("id:1") == "agent"
    assert await files.get("id:1") == "file"
    assert await agents.get("id:2") is None
    assert await agents.items_with_prefix("") == [("id:1", "agent")]
    assert await files.keys_in_range("id:", "id:9") == ["id:1", "id:2"]
    assert await files.values_in_range("", "\U0010ffff") == ["file", "file2"]
    await agents.delete("id:1")
    assert await files.get("id:1") == "file"
    assert await kv.get("files:id:1") == "file"  # the underlying key carries the prefix


@pytest.mark.parametrize("bad", ["", "a:b"])
def test_namespace_must_be_plain(bad: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        NamespacedKVStore(object(), bad)  # type: ignore[arg-type]  # never reached: the name fails first


async def test_factory_namespaces_share_one_database(persistent_kv_config: KVStoreConfig) -> None:
    first = await kvstore_from_config(persistent_kv_config, namespace="one")
    second = await kvstore_from_config(persistent_kv_config, namespace="two")
    plain = await kvstore_from_config(persistent_kv_config)
    try:
        await first.set("k", "1")
        await second.set("k", "2")
        assert (await first.get("k"), await second.get("k"), await plain.get("k")) == ("1", "2", None)
        assert await plain.items_with_prefix("") == [("one:k", "1"), ("two:k", "2")]
    finally:
        for store in (first, second, plain):
            await store.close()


async def test_data_survives_reopening(persistent_kv_config: KVStoreConfig) -> None:
    store = await kvstore_from_config(persistent_kv_config)
    await store.set("k", "v")
    await store.set("expiring", "v", expiration=datetime.now(UTC) + timedelta(hours=1))
    await store.close()
    await store.close()  # closing twice is fine
    reopened = await kvstore_from_config(persistent_kv_config)
    try:
        assert await reopened.get("k") == "v"
        assert await reopened.get("expiring") == "v"
    finally:
        await reopened.close()


async def test_concurrent_writers_do_not_lose_or_corrupt_data(persistent_kv_config: KVStoreConfig) -> None:
    """Several stores (separate connections) write the same database at once."""
    stores = [await kvstore_from_config(persistent_kv_config) for _ in range(4)]
    try:

        async def write(index: int, store: KVStore) -> None:
            for n in range(50):
                await store.set(f"w{index}:{n:03d}", f"value-{index}-{n}")
                await store.set("shared", f"{index}")

        await asyncio.gather(*(write(i, s) for i, s in enumerate(stores)))
        for index in range(4):
            items = await stores[0].items_with_prefix(f"w{index}:")
            assert items == [(f"w{index}:{n:03d}", f"value-{index}-{n}") for n in range(50)]
        assert await stores[0].get("shared") in {"0", "1", "2", "3"}
    finally:
        for store in stores:
            await store.close()


async def test_using_a_closed_store_says_what_to_do(persistent_kv_config: KVStoreConfig) -> None:
    from llama_stack.storage import StorageError

    store = await kvstore_from_config(persistent_kv_config)
    await store.close()
    with pytest.raises(StorageError, match="initialize"):
        await store.get("k")
