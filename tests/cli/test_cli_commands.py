"""The listing and checking commands, run as subprocesses: output, exit codes, plugins by name."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.cli import FAKE_PLUGIN, REPO_ROOT, SCRIPT, WIRING_PLUGIN, Cli


def write(cli: Cli, name: str, text: str) -> Path:
    path = cli.cwd / name
    path.write_text(text)
    return path


def test_the_installed_script_lists_the_apis(cli: Cli) -> None:
    result = cli.run("list-apis", command=[str(SCRIPT)])

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["API", "served", "by", "description"]
    served_by = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert served_by["inference"] == "routed"
    assert served_by["models"] == "framework"
    assert {"inspect", "providers"} <= served_by.keys()


def test_python_m_runs_the_same_command_line(cli: Cli) -> None:
    result = cli.run("--help")

    assert result.returncode == 0, result.stderr
    for command in ("run", "list-apis", "list-providers", "list-distributions", "list-deps", "doctor"):
        assert command in result.stdout


def test_list_providers_shows_plugins_named_in_the_environment(cli: Cli) -> None:
    without = cli.run("list-providers")
    with_fake = cli.run("list-providers", plugins=[FAKE_PLUGIN])

    assert without.returncode == 0 and with_fake.returncode == 0
    assert "inline::fake" not in without.stdout
    row = next(line for line in with_fake.stdout.splitlines() if "inline::fake" in line)
    assert row.split()[:3] == ["inference", "inline::fake", FAKE_PLUGIN]


def test_list_providers_of_one_api(cli: Cli) -> None:
    inference = cli.run("list-providers", "inference", plugins=[FAKE_PLUGIN])
    models = cli.run("list-providers", "models", plugins=[FAKE_PLUGIN])

    assert inference.returncode == 0 and models.returncode == 0
    assert "inline::fake" in inference.stdout
    assert "inline::fake" not in models.stdout


def test_list_providers_of_an_unknown_api_exits_2(cli: Cli) -> None:
    result = cli.run("list-providers", "inferense")

    assert result.returncode == 2
    assert "unknown API 'inferense'" in result.stderr
    assert "did you mean 'inference'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_list_distributions_shows_starter(cli: Cli) -> None:
    result = cli.run("list-distributions")

    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:]}
    assert Path(rows["starter"]) == REPO_ROOT / "distributions" / "starter.yaml"


def test_list_deps_prints_each_requirement_once(cli: Cli) -> None:
    path = write(
        cli,
        "deps.yaml",
        """\
version: 2
name: deps
apis: [inference, models]
providers:
  inference:
    - {provider_id: a, provider_type: inline::needs-package}
    - {provider_id: b, provider_type: inline::needs-package}
    - {provider_id: c, provider_type: inline::fake}
""",
    )

    starter = cli.run("list-deps", "starter")
    deps = cli.run("list-deps", str(path), plugins=[FAKE_PLUGIN, WIRING_PLUGIN])

    assert starter.returncode == 0, starter.stderr
    starter_lines = starter.stdout.splitlines()
    assert len(starter_lines) == len(set(starter_lines))  # torch is asked for by two providers, printed once
    assert {"torch>=2.4", "sentence-transformers>=3", "llama-models==0.3.0"} <= set(starter_lines)
    # one line per project: meta-reference asks for `tiktoken`, the vector store for `tiktoken>=0.7`
    names = [line.split(">")[0].split("=")[0].split("[")[0] for line in starter_lines]
    assert len(names) == len(set(names)) and "tiktoken>=0.7" in starter_lines
    assert deps.returncode == 0, deps.stderr
    assert deps.stdout.splitlines() == ["llama-stack-test-missing-package>=1.0"]


def test_doctor_passes_the_starter_distribution(cli: Cli) -> None:
    result = cli.run("doctor", "starter")

    assert result.returncode == 0, result.stderr
    assert f"distribution 'starter': {REPO_ROOT / 'distributions' / 'starter.yaml'}: config OK" in (
        result.stdout
    )


def test_doctor_names_a_missing_pip_package_and_exits_1(cli: Cli) -> None:
    path = write(
        cli,
        "missing.yaml",
        """\
version: 2
name: missing
apis: [inference, models]
providers:
  inference:
    - {provider_id: fine, provider_type: inline::fake}
    - {provider_id: needy, provider_type: inline::needs-package}
""",
    )

    result = cli.run("doctor", str(path), plugins=[FAKE_PLUGIN, WIRING_PLUGIN])

    assert result.returncode == 1
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("inference")}
    assert rows["fine"].endswith("OK")
    assert (
        "missing packages: llama-stack-test-missing-package>=1.0 "
        "(pip install 'llama-stack-test-missing-package>=1.0')" in rows["needy"]
    )
    assert "some providers cannot start" in result.stderr
    assert "Traceback" not in result.stderr


def test_requirements_merge_by_project_name() -> None:
    from llama_stack.cli._app import merged_requirements

    assert merged_requirements(
        ["tiktoken", "Tiktoken>=0.7", "numpy>=1.26", "numpy<3", "uvloop; sys_platform != 'win32'", "a[x]>=1"]
    ) == ["tiktoken>=0.7", "numpy>=1.26,<3", "uvloop; sys_platform != 'win32'", "a[x]>=1"]
