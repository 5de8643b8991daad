"""The example out-of-tree plugin, pip-installed as a user would: found by its entry point, served, called."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openai
import pytest

from tests.fixtures.cli import REPO_ROOT, SCRIPT, Cli

EXAMPLE = REPO_ROOT / "examples" / "llama-stack-provider-reverse"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


@pytest.fixture
def plugin_cli(plugin_site: Path, tmp_path: Path) -> Cli:
    # the core comes from this environment; only the plugin comes from the install target
    return Cli(home=tmp_path / "home", cwd=tmp_path, pythonpath=[plugin_site])


def test_the_installed_plugin_lists_its_provider(plugin_cli: Cli) -> None:
    result = plugin_cli.run("list-providers", "inference", command=[str(SCRIPT)])

    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "inline::reverse" in line)
    assert row.split()[:3] == ["inference", "inline::reverse", "llama-stack-provider-reverse:reverse"]


def test_the_plugin_serves_chat_completions_to_the_openai_sdk(plugin_cli: Cli) -> None:
    with plugin_cli.serve(EXAMPLE / "reverse.yaml", command=[str(SCRIPT)]) as server:
        server.wait_healthy()
        with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0) as client:
            completion = client.chat.completions.create(
                model="reverser-1", messages=[{"role": "user", "content": "one two three"}]
            )
            models = [m.id for m in client.models.list()]
        exit_code = server.stop()

    assert completion.choices[0].message.content == "three two one"
    assert models == ["reverser-1"]
    assert exit_code == 0, server.stderr
    assert ["inference", "reverse", "inline::reverse"] in [
        line.split() for line in server.stdout.splitlines()
    ]
