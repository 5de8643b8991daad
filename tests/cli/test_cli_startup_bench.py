"""bench/startup.sh runs and reports its figures; how fast startup is, it leaves to the reader."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.fixtures.cli import REPO_ROOT


@pytest.mark.slow
def test_the_startup_benchmark_prints_each_run_and_the_median() -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "bench" / "startup.sh"), "--runs", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    runs = re.findall(
        r"^run \d: healthy after [\d.]+ s, idle RSS [\d.]+ MiB, SIGTERM -> exit 0 in [\d.]+ s$",
        result.stdout,
        re.MULTILINE,
    )
    assert len(runs) == 2, result.stdout
    assert re.search(r"^median time to healthy: [\d.]+ s", result.stdout, re.MULTILINE)
    assert re.search(r"^median idle RSS: [\d.]+ MiB$", result.stdout, re.MULTILINE)
