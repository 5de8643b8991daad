"""Fixtures shared by the whole test tree; each block names its owner, so add yours as a block of its own."""

import pytest

# --- storage: PostgreSQL fixtures `postgres_server_dsn` / `postgres_dsn` (tests/fixtures/postgres.py) ---
pytest_plugins = ["tests.fixtures.postgres"]
# --- end storage ---

# --- e2e: `serve_stack` fixture, a real uvicorn server per distribution YAML (tests/support/server.py) ---
pytest_plugins += ["tests.support.server"]
# --- end e2e ---

# --- cli: `cli` fixture, subprocess servers, free ports (tests/fixtures/cli.py) ---
pytest_plugins += ["tests.fixtures.cli"]
# --- end cli ---

# --- memory: the vector-index conformance suite asserts in a helper module; rewrite it so failures show values ---
pytest.register_assert_rewrite("tests.providers.utils.vector_index_suite")
# --- end memory ---
