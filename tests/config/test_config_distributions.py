"""Finding distributions by name or path, and the shipped starter distribution."""

from __future__ import annotations

from pathlib import Path

import pytest

import llama_stack_providers.registry as builtin_plugin
from llama_stack.config import (
    ConfigError,
    ConfigProblem,
    DistributionNotFoundError,
    find_distribution,
    list_distributions,
    load_stack_config,
)
from llama_stack.plugins import PluginRegistry, discover
from llama_stack.storage import SqliteKVStoreConfig, SqliteSqlStoreConfig
from llama_stack_api import Api, hookimpl


class FolderPlugin:
    """Ships the distributions in ``folders``, as a plugin's ``distributions/`` would."""

    def __init__(self, *folders: Path) -> None:
        self.folders = list(folders)

    @hookimpl
    def llama_stack_distribution_dirs(self) -> list[Path]:
        return self.folders


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in ((first, ["alpha", "starter"]), (second, ["starter", "beta"])):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.yaml").write_text(f"name: {name}\napis: [models]\n")
    (first / "notes.txt").write_text("not a distribution")
    return first, second


@pytest.fixture
def registry(folders: tuple[Path, Path]) -> PluginRegistry:
    return discover(extra_plugins=[FolderPlugin(*folders)], autoload=False)


def test_list_distributions_first_folder_wins(registry: PluginRegistry, folders: tuple[Path, Path]) -> None:
    first, second = folders
    assert list_distributions(registry) == {
        "alpha": first / "alpha.yaml",
        "beta": second / "beta.yaml",
        "starter": first / "starter.yaml",
    }


def test_find_by_name(registry: PluginRegistry, folders: tuple[Path, Path]) -> None:
    assert find_distribution("beta", registry) == folders[1] / "beta.yaml"
    assert find_distribution("beta.yaml", registry) == folders[1] / "beta.yaml"


def test_an_existing_file_wins_over_a_name(
    registry: PluginRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\napis: [models]\n")
    assert find_distribution(str(mine), registry) == mine
    monkeypatch.chdir(tmp_path)
    (tmp_path / "alpha").write_text("name: local\napis: [models]\n")
    assert find_distribution("alpha", registry) == Path("alpha")


def test_unknown_name_lists_the_distributions(registry: PluginRegistry) -> None:
    with pytest.raises(DistributionNotFoundError) as info:
        find_distribution("startr", registry)
    assert isinstance(info.value, ConfigError)
    assert str(info.value) == (
        "startr: no such file or distribution; "
        "expected a YAML file or a distribution name, one of: alpha, beta, starter; did you mean 'starter'?"
    )


def test_unknown_name_without_any_distribution() -> None:
    with pytest.raises(DistributionNotFoundError) as info:
        find_distribution("missing.yaml", discover(autoload=False))
    assert (
        str(info.value)
        == "missing.yaml: no such file or distribution; expected a YAML file (no distributions are installed)"
    )


def test_problem_format_leaves_out_empty_parts() -> None:
    assert ConfigProblem("f.yaml", "", "bad").format() == "f.yaml: bad"
    assert ConfigProblem("f.yaml", "a[0].b", "bad", "good").format() == "f.yaml: a[0].b: bad; expected good"
    assert ConfigProblem("f.yaml", "a", "bad", "", "b").format() == "f.yaml: a: bad; did you mean 'b'?"


def test_starter_distribution_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMA_STACK_HOME", str(tmp_path))
    registry = discover(extra_plugins=[builtin_plugin], autoload=False)
    path = find_distribution("starter", registry)
    assert path.name == "starter.yaml"

    config = load_stack_config(path, registry, {})
    assert config.name == "starter"
    assert config.apis == [
        Api.inference,
        Api.models,
        Api.safety,
        Api.shields,
        Api.files,
        Api.vector_io,
        Api.vector_dbs,
        Api.tool_runtime,
        Api.tool_groups,
        Api.conversations,
        Api.agents,
        Api.inspect,
        Api.providers,
    ]
    assert [(e.provider_id, e.provider_type) for e in config.providers[Api.agents]] == [
        ("agents", "inline::meta-reference")
    ]
    # the embedded memory stack; faiss, pgvector and Qdrant join when their environment is set
    assert [e.provider_id for e in config.providers[Api.vector_io]] == ["sqlite-vec"]
    with_all = load_stack_config(
        path,
        registry,
        {"ENABLE_FAISS": "1", "PGVECTOR_DSN": "postgresql://u@h/db", "QDRANT_URL": "http://q:6333"},
    )
    assert [e.provider_id for e in with_all.providers[Api.vector_io]] == [
        "sqlite-vec",
        "faiss",
        "pgvector",
        "qdrant",
    ]
    # offline and local by default; the remote engines stay off until their env is set
    enabled = [(e.provider_id, e.provider_type) for e in config.providers[Api.inference]]
    assert enabled == [
        ("meta-reference", "inline::meta-reference"),
        ("sentence-transformers", "inline::sentence-transformers"),
    ]
    # the offline shields; Llama Guard joins (and guards nothing by default) when SAFETY_MODEL names its model
    assert [e.provider_id for e in config.providers[Api.safety]] == ["prompt-guard", "code-scanner"]
    assert [s.shield_id for s in config.shields] == ["prompt-guard", "code-scanner"]
    with_guard = load_stack_config(path, registry, {"SAFETY_MODEL": "meta-llama/Llama-Guard-3-1B"})
    assert [s.provider_shield_id for s in with_guard.shields][-1] == "meta-llama/Llama-Guard-3-1B"
    with_vllm = load_stack_config(path, registry, {"VLLM_URL": "http://127.0.0.1:9/v1"})
    assert "vllm" in [e.provider_id for e in with_vllm.providers[Api.inference]]
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8321)
    storage = config.resolved_storage()
    assert isinstance(storage.kvstore, SqliteKVStoreConfig)
    assert isinstance(storage.sqlstore, SqliteSqlStoreConfig)
    assert Path(storage.kvstore.db_path or "").parent == tmp_path / "starter"

    config = load_stack_config(path, registry, {"LLAMA_STACK_HOST": "0.0.0.0", "LLAMA_STACK_PORT": "9000"})
    assert (config.server.host, config.server.port) == ("0.0.0.0", 9000)
