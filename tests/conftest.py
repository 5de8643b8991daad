"""Fixtures shared by the whole test tree; each block names its owner, so add yours as a block of its own."""

# --- storage: PostgreSQL fixtures `postgres_server_dsn` / `postgres_dsn` (tests/fixtures/postgres.py) ---
pytest_plugins = ["tests.fixtures.postgres"]
# --- end storage ---
