"""The wheel: what it ships, and that an install of it (not the checkout) finds its own distributions."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from llama_stack.config import find_distribution
from llama_stack.plugins import discover
from tests.fixtures.cli import REPO_ROOT, Cli


def test_the_checkout_finds_its_own_starter() -> None:
    assert find_distribution("starter", discover()) == REPO_ROOT / "distributions" / "starter.yaml"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("llama_stack_open-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


@pytest.mark.slow
def test_the_wheel_ships_the_packages_distributions_and_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points_text = archive.read(entry_points).decode()

    assert "llama_stack/__init__.py" in names
    assert "llama_stack/cli/__main__.py" in names
    assert "llama_stack/py.typed" in names
    assert "llama_stack_api/__init__.py" in names
    assert "llama_stack_api/py.typed" in names
    assert "llama_stack_providers/registry.py" in names
    assert "llama_stack_providers/distributions/starter.yaml" in names
    # nothing from the repository's own tooling
    assert not [n for n in names if n.startswith(("tests/", "examples/", "bench/", "apis/", "providers/"))]
    assert "[llama_stack]\nbuiltin = llama_stack_providers.registry" in entry_points_text
    assert "[console_scripts]\nllama-stack = llama_stack.cli:main" in entry_points_text


@pytest.mark.slow
def test_an_installed_wheel_finds_the_starter_it_ships(installed: Path, tmp_path: Path) -> None:
    cli = Cli(home=tmp_path / "home", cwd=tmp_path, pythonpath=[installed])
    check = """\
import pathlib, sys
import llama_stack
from llama_stack.config import find_distribution
from llama_stack.plugins import discover
target = pathlib.Path(sys.argv[1])
assert pathlib.Path(llama_stack.__file__).is_relative_to(target), llama_stack.__file__
found = find_distribution("starter", discover())
assert found == target / "llama_stack_providers" / "distributions" / "starter.yaml", found
print("ok")
"""

    result = cli.run("-c", check, str(installed), command=[sys.executable])
    listed = cli.run("list-distributions")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1] for line in listed.stdout.splitlines()[2:]}
    assert Path(rows["starter"]) == installed / "llama_stack_providers" / "distributions" / "starter.yaml"
