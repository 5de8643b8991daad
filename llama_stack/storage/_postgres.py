"""PostgreSQL plumbing both stores share: the lazy ``asyncpg`` import, the pool, error translation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from llama_stack.storage._config import _PostgresConfig
from llama_stack.storage._errors import (
    IntegrityError,
    MissingDriverError,
    StorageError,
    StorageUnavailableError,
)

INSTALL_HINT = "pip install 'llama-stack-open[postgres]'"


def import_asyncpg() -> ModuleType:
    """``asyncpg``, imported only when a Postgres store opens: it is an optional extra."""
    try:
        import asyncpg
    except ImportError as exc:
        raise MissingDriverError(
            f"the postgres storage backend needs asyncpg, which is not installed; {INSTALL_HINT}"
        ) from exc
    module: ModuleType = asyncpg
    return module


def _scrub(text: str, config: _PostgresConfig) -> str:
    for secret in (config.password, config.dsn):
        if secret is not None and secret.get_secret_value():
            text = text.replace(
                secret.get_secret_value(), config.describe() if secret is config.dsn else "***"
            )
    return text


def _already_json(text: str) -> str:
    return text


async def _init_connection(connection: Any) -> None:
    # The stores json.dumps values themselves (so a bad value fails the same way on every backend);
    # reads decode here.
    for type_name in ("jsonb", "json"):
        await connection.set_type_codec(
            type_name, encoder=_already_json, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(config: _PostgresConfig) -> Any:
    """An ``asyncpg`` pool; ``StorageUnavailableError`` says where it tried, without the password."""
    asyncpg = import_asyncpg()
    try:
        return await asyncpg.create_pool(
            **config.connect_kwargs(), min_size=1, max_size=config.pool_max_size, init=_init_connection
        )
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageUnavailableError(
            f"cannot connect to PostgreSQL at {config.describe()}: {_scrub(str(exc), config)}; "
            "check that the server is running and the host, port, database and credentials are right"
        ) from None  # the driver's exception may quote the DSN, password included


@contextmanager
def translated_errors() -> Iterator[None]:
    """asyncpg exceptions as storage errors, so callers handle one hierarchy on every backend."""
    asyncpg = import_asyncpg()
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(str(exc)) from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageError(f"PostgreSQL: {exc}") from exc
    except OSError as exc:
        raise StorageUnavailableError(f"lost the PostgreSQL connection: {exc}") from exc


def not_initialized(store: object) -> StorageError:
    return StorageError(
        f"{type(store).__name__} is not initialized; await store.initialize() first "
        "(kvstore_from_config and sqlstore_from_config do it for you)"
    )


async def run_ddl(pool: Any, ddl: str) -> None:
    """Run DDL under an advisory lock: two workers racing on ``CREATE TABLE IF NOT EXISTS`` can
    otherwise both pass the existence check, and one fails on the catalog's unique index."""
    with translated_errors():
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('llama_stack:ddl'))")
            await connection.execute(ddl)
