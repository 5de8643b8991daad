#!/usr/bin/env bash
# Startup benchmark: time to the first 200 on /v1/health and idle RSS of `llama-stack run`.
# Usage: bench/startup.sh [--runs N] [--distribution NAME|PATH] [--command "..."]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
exec "$python" "$here/startup.py" "$@"
