"""README's examples run: the Python client snippet and the curl calls, against a served `starter`."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx
import pytest

from llama_stack import __version__
from tests.support.server import ServedStack, ServeStack

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
STARTER = (ROOT / "distributions" / "starter.yaml").read_text()
README_URL = "http://127.0.0.1:8321"

pytestmark = pytest.mark.slow  # the starter loads SmolLM2 and MiniLM


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _curl_commands() -> list[list[str]]:
    commands = []
    for block in _blocks("bash"):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.startswith("curl"):
                commands.append(shlex.split(line, comments=True))
    return commands


@pytest.fixture(scope="module")
def starter(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(STARTER)


def test_readme_python_example_runs_against_starter(
    starter: ServedStack, capsys: pytest.CaptureFixture[str]
) -> None:
    (snippet,) = _blocks("python")
    assert README_URL in snippet
    exec(compile(snippet.replace(README_URL, starter.base_url), "README.md", "exec"), {})
    models, version, health = capsys.readouterr().out.splitlines()
    assert {"smollm2", "all-MiniLM-L6-v2"} <= set(json.loads(models.replace("'", '"')))
    assert (version, health) == (__version__, "OK")


def test_readme_curl_calls_answer_as_documented(starter: ServedStack) -> None:
    commands = _curl_commands()
    assert len(commands) == 16
    answers = []
    headers = []
    for command in commands:
        url = next(arg for arg in command if arg.startswith("localhost:8321"))
        path = url.removeprefix("localhost:8321")
        data = command[command.index("-d") + 1] if "-d" in command else None
        if data is None:
            response = httpx.get(starter.base_url + path, timeout=60)
        else:
            response = httpx.post(starter.base_url + path, json=json.loads(data), timeout=120)
        assert response.status_code == 200, (command, response.text)
        answers.append(response.json() if response.content else None)
        headers.append(response.headers)
    assert "Paris" in answers[0]["choices"][0]["message"]["content"]
    assert len(answers[1]["data"][0]["embedding"]) == 384
    assert answers[3] == {"status": "OK"}
    # safety: the code scanner's finding, prompt-guard's two verdicts, the guarded model's refusal
    violation = answers[6]["violation"]
    assert violation["violation_level"] == "error"
    assert violation["metadata"]["findings"][0]["rule_id"] == "python.os-system"
    assert [r["flagged"] for r in answers[7]["results"]] == [False, True]
    choice = answers[8]["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert choice["message"]["refusal"].startswith("I can't follow that")
    assert headers[8]["x-llama-stack-shields"].startswith("input/prompt-guard=")
    # memory: a store on all-MiniLM-L6-v2, two documents through the RAG tool, a hybrid search
    assert answers[9]["id"] == "notes" and answers[9]["embedding_model"] == "all-MiniLM-L6-v2"
    assert answers[10] is None
    assert answers[11]["data"][0]["content"][0]["text"].startswith("Paris is the capital of France")
    # tools: the sandboxed interpreter's answer
    assert answers[12]["error_message"] is None and "45" in str(answers[12]["content"])
    # agents: an agent with the RAG tool and an input shield
    assert set(answers[13]) == {"agent_id"}
    # a conversation with one item, and a response from the local model
    assert answers[14]["object"] == "conversation" and answers[14]["id"].startswith("conv_")
    assert answers[15]["status"] == "completed" and answers[15]["output"][0]["type"] == "message"
    assert answers[15]["usage"]["output_tokens"] > 0


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = (b.strip() for b in _blocks("bash")[:2])
    assert install.endswith("llama-stack run starter")
    assert test.endswith("bash scripts/test.sh")
    assert install.startswith("bash scripts/install.sh")
    test_install = test.split(" && ")[0]
    assert test_install.endswith("bash scripts/install.sh")
    assert test_install in ci and "bash scripts/test.sh" in ci
