"""Configuration of ``inline::code-scanner``: which findings block and which only warn."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._model import Severity

_LEVELS = ", ".join(s.name for s in Severity)


def _severity_name(name: str) -> str:
    Severity.parse(name)  # raises ValueError naming the valid levels
    return name.lower()


class CodeScannerShieldParams(BaseModel):
    """A shield's ``params`` (registered or per call); unset fields take the provider's config."""

    model_config = ConfigDict(extra="forbid")

    block_severity: str = Field(default="high", description=f"Findings at or above it block ({_LEVELS}).")
    warn_severity: str = Field(default="medium", description="Findings at or above it (below block) warn.")
    ignore_rules: list[str] = Field(default_factory=list, description="Rule ids never reported.")
    scan: str = Field(
        default="last",
        pattern="^(last|all)$",
        description="`last`: the last message (what a guardrail checks); `all`: every message.",
    )

    @field_validator("block_severity", "warn_severity")
    @classmethod
    def _known(cls, name: str) -> str:
        return _severity_name(name)


class CodeScannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    block_severity: str = Field(default="high", description=f"Findings at or above it block ({_LEVELS}).")
    warn_severity: str = Field(default="medium", description="Findings at or above it (below block) warn.")
    ignore_rules: list[str] = Field(default_factory=list, description="Rule ids never reported.")

    @field_validator("block_severity", "warn_severity")
    @classmethod
    def _known(cls, name: str) -> str:
        return _severity_name(name)
