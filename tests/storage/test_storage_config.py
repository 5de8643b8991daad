"""Store configs, default locations, and what the factories say when a store cannot open."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from llama_stack.storage import (
    InMemoryKVStoreConfig,
    KVStoreConfig,
    MissingDriverError,
    PostgresKVStoreConfig,
    PostgresSqlStoreConfig,
    SqliteKVStoreConfig,
    SqliteSqlStoreConfig,
    StorageConfig,
    StorageError,
    StorageUnavailableError,
    default_db_path,
    kvstore_from_config,
    sqlstore_from_config,
)


def test_default_paths_follow_llama_stack_home(llama_stack_home: Path) -> None:
    assert default_db_path("starter", "kvstore.db") == llama_stack_home / "starter" / "kvstore.db"


def test_default_home_is_dot_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LLAMA_STACK_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_db_path("starter", "sql_store.db") == tmp_path / ".llama" / "starter" / "sql_store.db"


@pytest.mark.parametrize(("distribution", "filename"), [("../x", "a.db"), ("", "a.db"), ("ok", "sub/a.db")])
def test_default_paths_refuse_path_tricks(distribution: str, filename: str) -> None:
    with pytest.raises(ValueError):
        default_db_path(distribution, filename)


def test_storage_section_parses_by_type() -> None:
    config = StorageConfig.model_validate(
        {
            "kvstore": {"type": "postgres", "host": "db", "db": "stack", "user": "me", "password": "pw"},
            "sqlstore": {"type": "sqlite", "db_path": "/data/sql.db"},
        }
    )
    assert isinstance(config.kvstore, PostgresKVStoreConfig)
    assert config.kvstore.table_name == "llamastack_kvstore" and config.kvstore.port == 5432
    assert isinstance(config.sqlstore, SqliteSqlStoreConfig)
    kv = TypeAdapter(KVStoreConfig).validate_python({"type": "memory"})
    assert isinstance(kv, InMemoryKVStoreConfig)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"kvstore": {"type": "redis"}}, "does not match any of the expected tags"),
        ({"kvstore": {"type": "sqlite", "db_pth": "x"}}, "Extra inputs are not permitted"),
        ({"kvstore": {"type": "sqlite", "table_name": "kv; drop"}}, "not a valid SQL identifier"),
        ({"sqlstore": {"type": "postgres", "dsn": "postgresql://a@b/c", "host": "h"}}, "either dsn or host"),
        ({"sqlstore": {"type": "postgres", "port": 0}}, "greater than or equal to 1"),
        ({"volumes": {}}, "Extra inputs are not permitted"),
    ],
)
def test_storage_section_errors(section: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        StorageConfig.model_validate(section)


def test_for_distribution_fills_sqlite_defaults(llama_stack_home: Path) -> None:
    resolved = StorageConfig().for_distribution("starter")
    folder = llama_stack_home / "starter"
    assert resolved.kvstore == SqliteKVStoreConfig(db_path=str(folder / "kvstore.db"))
    assert resolved.sqlstore == SqliteSqlStoreConfig(db_path=str(folder / "sql_store.db"))
    kept = StorageConfig(kvstore=InMemoryKVStoreConfig(), sqlstore=SqliteSqlStoreConfig(db_path="/x.db"))
    assert kept.for_distribution("starter").model_dump() == kept.model_dump()


async def test_default_sqlite_files_land_under_the_distribution_dir(llama_stack_home: Path) -> None:
    resolved = StorageConfig().for_distribution("starter")
    kv = await kvstore_from_config(resolved.kvstore)
    sql = await sqlstore_from_config(resolved.sqlstore)
    await kv.close()
    await sql.close()
    created = sorted(p.name for p in (llama_stack_home / "starter").glob("*.db"))
    assert created == ["kvstore.db", "sql_store.db"]


async def test_sqlite_without_a_path_says_how_to_fix_it() -> None:
    with pytest.raises(StorageError, match=r"db_path is not set.*for_distribution"):
        await kvstore_from_config(SqliteKVStoreConfig())


def test_secrets_are_not_echoed() -> None:
    config = PostgresKVStoreConfig(password="hunter2")
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())
    dsn_config = PostgresSqlStoreConfig(dsn="postgresql://me:hunter2@db:5432/stack")
    assert "hunter2" not in repr(dsn_config) and "hunter2" not in dsn_config.describe()


async def test_unreachable_postgres_names_the_server_but_not_the_password() -> None:
    config = PostgresKVStoreConfig(dsn="postgresql://me:hunter2@127.0.0.1:1/stack")
    with pytest.raises(StorageUnavailableError) as caught:
        await kvstore_from_config(config)
    message = str(caught.value)
    assert "postgresql://me:***@127.0.0.1:1/stack" in message and "hunter2" not in message
    assert caught.value.__cause__ is None  # the driver's exception could quote the password


async def test_missing_asyncpg_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # makes `import asyncpg` raise ImportError
    with pytest.raises(MissingDriverError, match=r"pip install 'llama-stack-open\[postgres\]'"):
        await sqlstore_from_config(PostgresSqlStoreConfig())
