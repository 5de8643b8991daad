"""Opening SQLite the way every store wants it (WAL, busy timeout, autocommit) and translating its errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiosqlite

from llama_stack.storage._errors import IntegrityError, StorageError, StorageUnavailableError

MEMORY = ":memory:"
# how long a writer waits for another connection's write lock before failing with "database is locked"
BUSY_TIMEOUT_MS = 10_000


def require_db_path(db_path: str | None, store: str) -> str:
    if db_path is None:
        raise StorageError(
            f"{store}: db_path is not set; set it in the config or fill in the distribution default "
            "with StorageConfig.for_distribution(name)"
        )
    return db_path


async def connect(db_path: str) -> aiosqlite.Connection:
    """A connection in autocommit mode with WAL journaling; parent folders are created."""
    target = db_path
    if db_path != MEMORY:
        path = Path(db_path).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path)
    try:
        # isolation_level=None: no implicit BEGIN; multi-statement writes say BEGIN IMMEDIATE themselves
        connection = await aiosqlite.connect(target, isolation_level=None)
    except sqlite3.Error as exc:
        raise StorageUnavailableError(f"cannot open SQLite database {target}: {exc}") from exc
    try:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL, far fewer fsyncs
    except sqlite3.Error as exc:
        await connection.close()
        raise StorageUnavailableError(f"cannot open SQLite database {target}: {exc}") from exc
    return connection


@contextmanager
def translated_errors() -> Iterator[None]:
    """sqlite3 exceptions as storage errors, so callers handle one hierarchy on every backend."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite: {exc}") from exc


def not_initialized(store: object) -> StorageError:
    return StorageError(
        f"{type(store).__name__} is not initialized; await store.initialize() first "
        "(kvstore_from_config and sqlstore_from_config do it for you)"
    )
