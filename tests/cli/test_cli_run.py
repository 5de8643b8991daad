"""`llama-stack run` as an operator runs it: a real server process, HTTP, then a signal to stop it."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.fixtures.cli import FAKE_PLUGIN, SCRIPT, Cli

ECHO = """\
version: 2
name: echo
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config:
        reply_prefix: "${env.REPLY_PREFIX:=echo: }"
"""


def test_run_serves_the_distribution_and_stops_on_sigterm(cli: Cli) -> None:
    path = cli.cwd / "echo.yaml"
    path.write_text(ECHO)

    with cli.serve(path, "--env", "REPLY_PREFIX=said: ", plugins=[FAKE_PLUGIN]) as server:
        assert server.wait_healthy().json() == {"status": "OK"}
        routes = httpx.get(f"{server.base_url}/v1/inspect/routes").json()["data"]
        providers = httpx.get(f"{server.base_url}/v1/providers").json()["data"]
        chat = httpx.post(
            f"{server.base_url}/v1/chat/completions",
            json={"model": "fake-llm", "messages": [{"role": "user", "content": "hello"}]},
        )
        exit_code = server.stop(signal.SIGTERM, timeout=10)

    served = {(r["method"], r["route"]) for r in routes}
    assert {("GET", "/v1/health"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models")} <= served
    (fake,) = [p for p in providers if p["provider_id"] == "fake"]
    assert fake["provider_type"] == "inline::fake"
    assert fake["config"]["reply_prefix"] == "said: "  # --env reached the provider config
    assert chat.status_code == 200, chat.text
    assert chat.json()["choices"][0]["message"]["content"] == "said: hello"
    assert exit_code == 0, server.stderr
    assert "Traceback" not in server.stderr
    # the startup banner: where it listens, and what serves each API
    assert f"Listening on http://127.0.0.1:{server.port}" in server.stdout
    assert ["inference", "fake", "inline::fake"] in [line.split() for line in server.stdout.splitlines()]
    # state went to $LLAMA_STACK_HOME/<distribution name>, not ~/.llama
    assert (cli.home / "echo").is_dir()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_installed_script_runs_starter_by_name(cli: Cli, signum: int) -> None:
    with cli.serve("starter", command=[str(SCRIPT)]) as server:
        server.wait_healthy()
        models = httpx.get(f"{server.base_url}/v1/models")
        exit_code = server.stop(signum, timeout=10)

    assert models.status_code == 200
    served = {m["identifier"] for m in models.json()["data"]}
    assert served == {"smollm2", "smollm2-guarded", "smollm2-135m-instruct", "all-MiniLM-L6-v2"}
    assert exit_code == 0, server.stderr
    assert "Traceback" not in server.stderr
    assert "distribution 'starter'" in server.stdout
    assert ["models", "-", "framework"] in [line.split() for line in server.stdout.splitlines()]


def test_run_on_a_busy_port_exits_1(cli: Cli) -> None:
    with cli.serve("starter") as first:
        first.wait_healthy()
        second = cli.run("run", "starter", "--port", str(first.port))
        first.stop()

    assert second.returncode == 1
    assert str(first.port) in second.stderr
    assert "Traceback" not in second.stderr


def test_a_provider_that_fails_to_start_exits_1_naming_it(cli: Cli) -> None:
    path = cli.cwd / "broken-checkpoint.yaml"
    path.write_text(
        "version: 2\nname: broken-checkpoint\napis: [inference, models, inspect, providers]\n"
        "providers:\n  inference:\n    - provider_id: mr\n      provider_type: inline::meta-reference\n"
        "      config:\n        models:\n          - {model_id: x, checkpoint: /nonexistent/model.gguf}\n"
    )
    result = cli.run("run", str(path), "--port", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"{path}: providers.inference[0]: provider 'mr' (inline::meta-reference) failed to start: "
        "FileNotFoundError: checkpoint path /nonexistent/model.gguf does not exist"
    )
