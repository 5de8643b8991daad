"""Configuration of ``inline::prompt-guard``: which classifier, what it guards against, how sure it must be."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .classifier import GuardType

_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")
# Meta's suggested cut-off for Prompt-Guard-86M's probabilities
DEFAULT_PROMPT_GUARD_THRESHOLD = 0.9
# the bundled offline classifier (nanoguard) is calibrated around 0.5: see tests/providers/inline/prompt_guard_cases.py
DEFAULT_NANOGUARD_THRESHOLD = 0.5


class PromptGuardShieldParams(BaseModel):
    """A shield's ``params`` (registered or per call); unset fields take the provider's config."""

    model_config = ConfigDict(extra="forbid")

    guard_type: GuardType = "injection"
    threshold: float = Field(default=DEFAULT_NANOGUARD_THRESHOLD, ge=0.0, le=1.0)
    scan: str = Field(default="last", pattern="^(last|all)$", description="`last` message or `all` of them.")


class PromptGuardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint_dir: str | None = Field(
        default=None,
        description=(
            "A local Hugging Face checkpoint of Meta's Prompt-Guard-86M (or another BENIGN/INJECTION/JAILBREAK "
            "sequence classifier). Unset: the offline classifier bundled with `metatronnanoguard`."
        ),
    )
    guard_type: GuardType = Field(
        default="injection",
        description=(
            "`jailbreak`: flag attempts to override the model's instructions (P(JAILBREAK)); `injection`: also "
            "flag instructions hidden in third-party data (P(INJECTION)+P(JAILBREAK))."
        ),
    )
    threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description=f"Scores at or above it are violations (default {DEFAULT_PROMPT_GUARD_THRESHOLD} for "
        f"Prompt-Guard checkpoints, {DEFAULT_NANOGUARD_THRESHOLD} for the bundled classifier).",
    )
    device: str = Field(default="cpu", description="cpu, cuda, cuda:N or mps.")
    window_tokens: int | None = Field(
        default=None,
        ge=8,
        description="Tokens per window over long inputs (default: 48 for the bundled classifier, the checkpoint's maximum otherwise).",
    )
    window_stride: int | None = Field(default=None, ge=1, description="Tokens between window starts.")

    @field_validator("checkpoint_dir")
    @classmethod
    def _unset_when_empty(cls, checkpoint_dir: str | None) -> str | None:
        # `${env.PROMPT_GUARD_CHECKPOINT:=}` in a distribution yields "" when the variable is unset
        return checkpoint_dir or None

    @field_validator("device")
    @classmethod
    def _device(cls, device: str) -> str:
        if not _DEVICE.match(device):
            raise ValueError(f"device must be cpu, cuda, cuda:N or mps, not {device!r}")
        return device

    @property
    def default_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return DEFAULT_PROMPT_GUARD_THRESHOLD if self.checkpoint_dir else DEFAULT_NANOGUARD_THRESHOLD
