"""Backend fixtures: every behavioural test runs once per backend (memory for kv, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from llama_stack.storage import (
    InMemoryKVStoreConfig,
    KVStore,
    KVStoreConfig,
    PostgresKVStoreConfig,
    PostgresSqlStoreConfig,
    SqliteKVStoreConfig,
    SqliteSqlStoreConfig,
    SqlStore,
    SqlStoreConfig,
    kvstore_from_config,
    sqlstore_from_config,
)

POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(autouse=True)
def llama_stack_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Default paths land in the test's tmp dir, never in the real ~/.llama."""
    home = tmp_path / "llama-home"
    monkeypatch.setenv("LLAMA_STACK_HOME", str(home))
    return home


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def kv_config(request: pytest.FixtureRequest, tmp_path: Path) -> KVStoreConfig:
    if request.param == "memory":
        return InMemoryKVStoreConfig()
    if request.param == "sqlite":
        return SqliteKVStoreConfig(db_path=str(tmp_path / "kv.db"))
    return PostgresKVStoreConfig(dsn=request.getfixturevalue("postgres_dsn"))


@pytest.fixture(params=["sqlite", POSTGRES])
def persistent_kv_config(request: pytest.FixtureRequest, tmp_path: Path) -> KVStoreConfig:
    """Backends where two stores opened from one config see the same data."""
    if request.param == "sqlite":
        return SqliteKVStoreConfig(db_path=str(tmp_path / "kv.db"))
    return PostgresKVStoreConfig(dsn=request.getfixturevalue("postgres_dsn"))


@pytest.fixture
async def kv(kv_config: KVStoreConfig) -> AsyncIterator[KVStore]:
    store = await kvstore_from_config(kv_config)
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", POSTGRES])
def sql_config(request: pytest.FixtureRequest, tmp_path: Path) -> SqlStoreConfig:
    if request.param == "sqlite":
        return SqliteSqlStoreConfig(db_path=str(tmp_path / "sql.db"))
    return PostgresSqlStoreConfig(dsn=request.getfixturevalue("postgres_dsn"))


@pytest.fixture
async def sql(sql_config: SqlStoreConfig) -> AsyncIterator[SqlStore]:
    store = await sqlstore_from_config(sql_config)
    yield store
    await store.close()
