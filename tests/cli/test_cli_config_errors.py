"""Distributions the CLI cannot load: exit 2, one ``file: path: problem; expected ...`` line each, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.cli import FAKE_PLUGIN, WIRING_PLUGIN, Cli

SECRET = "sk-test-do-not-print-4f2a9c"

FAKE_PROVIDER = """\
version: 2
name: broken
apis: [inference, models]
providers:
  inference:
    - provider_id: fake
      provider_type: {provider_type}
      config:
        {config}
"""

CASES = {
    "malformed-yaml": (
        "version: 2\nname: broken\napis: [inference, models\n",
        "FILE: invalid YAML at line 4, column 1: expected ',' or ']', but got '<stream end>'",
    ),
    "unknown-provider-type": (
        FAKE_PROVIDER.format(provider_type="inline::fak", config="{}"),
        "FILE: providers.inference[0].provider_type: provider type 'inline::fak' for API 'inference' "
        "is either misspelled or not installed; expected one of: inline::fake, inline::flaky, inline::scripted; did you mean 'inline::fake'?",
    ),
    "unset-env-var": (
        FAKE_PROVIDER.format(provider_type="inline::fake", config="reply_prefix: ${env.NOT_SET}"),
        "FILE: providers.inference[0].config.reply_prefix: environment variable 'NOT_SET' is not set; "
        "expected it set (or pass --env NOT_SET=...), or a default: ${env.NOT_SET:=default}",
    ),
    "wrong-field-type": (
        FAKE_PROVIDER.format(provider_type="inline::fake", config="embedding_dimension: many"),
        "FILE: providers.inference[0].config.embedding_dimension: got 'many'; "
        "expected a valid integer, unable to parse string as an integer",
    ),
    "wiring-dependency-cycle": (
        FAKE_PROVIDER.format(provider_type="inline::self-dependent", config="{}"),
        "FILE: providers.inference[0]: dependency cycle: fake (inference) -> fake (inference); "
        "expected dependencies without a cycle",
    ),
    "wiring-missing-dependency": (
        FAKE_PROVIDER.format(provider_type="inline::needs-safety", config="{}"),
        "FILE: providers.inference[0]: provider 'fake' (inline::needs-safety) depends on API 'safety', "
        "which no provider serves; expected a provider under providers.safety (and 'safety' in apis)",
    ),
    "secret-in-bad-value": (
        "version: 2\nname: broken\napis: [models]\nserver:\n  port: ${env.FAKE_API_KEY}\n",
        "FILE: server.port: got the value of ${env.FAKE_API_KEY}; "
        "expected a valid integer, unable to parse string as an integer",
    ),
}


def assert_config_error(result: object, expected_line: str) -> None:
    assert getattr(result, "returncode", None) == 2, result
    stderr: str = getattr(result, "stderr", "")
    stdout: str = getattr(result, "stdout", "")
    assert expected_line in stderr.splitlines(), stderr
    assert "Traceback" not in stderr
    assert SECRET not in stderr + stdout


@pytest.mark.parametrize("command", ["run", "doctor"])
@pytest.mark.parametrize("case", CASES)
def test_a_bad_distribution_exits_2_with_one_line_per_problem(cli: Cli, case: str, command: str) -> None:
    text, expected = CASES[case]
    path = cli.cwd / f"{case}.yaml"
    path.write_text(text)

    # only the named plugins, so the installed provider types listed in messages are known
    plugins = [FAKE_PLUGIN, WIRING_PLUGIN] if "wiring" in case else [FAKE_PLUGIN]
    env = {"FAKE_API_KEY": SECRET, "LLAMA_STACK_DISABLE_PLUGIN_AUTOLOAD": "1"}

    result = cli.run(command, str(path), plugins=plugins, env=env)

    assert_config_error(result, expected.replace("FILE", str(path), 1))


def test_every_problem_is_reported_at_once(cli: Cli) -> None:
    path = cli.cwd / "many.yaml"
    path.write_text(
        FAKE_PROVIDER.format(
            provider_type="inline::fake", config="{reply_prefix: '${env.NOT_SET}', embedding_dimension: many}"
        )
    )

    result = cli.run("run", str(path), plugins=[FAKE_PLUGIN])

    assert result.returncode == 2
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        "providers.inference[0].config.reply_prefix",
        "providers.inference[0].config.embedding_dimension",
    ]


def test_a_secret_passed_with_env_is_never_printed(cli: Cli) -> None:
    path = cli.cwd / "secret.yaml"
    path.write_text(CASES["secret-in-bad-value"][0])

    result = cli.run("run", str(path), "--env", f"FAKE_API_KEY={SECRET}")

    assert_config_error(result, CASES["secret-in-bad-value"][1].replace("FILE", str(path), 1))


def test_an_unknown_distribution_lists_the_available_ones(cli: Cli) -> None:
    result = cli.run("run", "strater")

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "strater: no such file or distribution; expected a YAML file or a distribution name"
    )
    assert "starter" in line.split("one of: ")[1]
    assert line.endswith("; did you mean 'starter'?")
    assert "Traceback" not in result.stderr


def test_a_plugin_that_cannot_be_imported_exits_2(cli: Cli) -> None:
    result = cli.run("list-providers", plugins=["tests.fakes.no_such_plugin"])

    assert result.returncode == 2
    assert "LLAMA_STACK_PLUGINS names 'tests.fakes.no_such_plugin', which cannot be imported" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("pair", ["NO_EQUALS_SIGN", "=value"])
def test_a_malformed_env_option_exits_2(cli: Cli, pair: str) -> None:
    result = cli.run("doctor", "starter", "--env", pair)

    assert result.returncode == 2
    assert result.stderr.strip() == f"--env {pair!r}: expected KEY=VALUE"


def test_a_config_that_is_not_a_file_or_a_name_exits_2(cli: Cli) -> None:
    result = cli.run("run", str(Path(cli.cwd) / "missing.yaml"))

    assert result.returncode == 2
    assert "no such file or distribution" in result.stderr
    assert "Traceback" not in result.stderr
