"""README's examples run: the Python client snippet against a served `starter`, and its curl calls."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from llama_stack import __version__
from tests.support.server import ServeStack

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
STARTER = (ROOT / "distributions" / "starter.yaml").read_text()
README_URL = "http://127.0.0.1:8321"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_python_example_runs_against_starter(
    serve_stack: ServeStack, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve_stack(STARTER)
    (snippet,) = _blocks("python")
    assert README_URL in snippet
    exec(compile(snippet.replace(README_URL, server.base_url), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["[]", __version__, "OK"]


def test_readme_curl_calls_answer(serve_stack: ServeStack) -> None:
    server = serve_stack(STARTER)
    calls = [line for block in _blocks("bash") for line in block.splitlines() if line.startswith("curl")]
    assert len(calls) == 3
    for call in calls:
        path = re.search(r"localhost:8321(\S+)", call)
        assert path is not None, call
        response = httpx.get(server.base_url + path.group(1))
        assert response.status_code == 200, (call, response.text)
    assert httpx.get(server.base_url + "/v1/health").json() == {"status": "OK"}


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = (b.strip() for b in _blocks("bash")[:2])
    assert install.endswith("llama-stack run starter")
    assert test.endswith("bash scripts/test.sh")
    assert install.startswith("bash scripts/install.sh") and test.startswith("bash scripts/install.sh")
    assert "bash scripts/install.sh" in ci and "bash scripts/test.sh" in ci
