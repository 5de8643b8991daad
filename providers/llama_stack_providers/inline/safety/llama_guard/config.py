"""Configuration of ``inline::llama-guard``: how to ask the guard model, and what to do with odd answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .prompt import ALL_CATEGORIES, build_prompt

UnparseablePolicy = Literal["block", "allow", "error"]


def check_excluded(excluded: list[str]) -> list[str]:
    """Excluded categories as given, once they name real S-codes or category names."""
    build_prompt([("User", "x")], role="User", categories=ALL_CATEGORIES, excluded=excluded)
    return excluded


class LlamaGuardShieldParams(BaseModel):
    """A shield's ``params`` (registered or per call); unset fields take the provider's config."""

    model_config = ConfigDict(extra="forbid")

    excluded_categories: list[str] = Field(default_factory=list)
    on_unparseable: UnparseablePolicy = "error"
    model_variant: str | None = Field(
        default=None,
        description=(
            "A Llama Guard name whose size picks the category set (e.g. `Llama-Guard-3-1B`: S1-S13); "
            "default: the shield's guard model id."
        ),
    )

    @field_validator("excluded_categories")
    @classmethod
    def _known_categories(cls, excluded: list[str]) -> list[str]:
        return check_excluded(excluded)


class LlamaGuardConfig(BaseModel):
    """Each shield's ``provider_shield_id`` is the id of a Llama Guard model registered for inference."""

    model_config = ConfigDict(extra="forbid")

    excluded_categories: list[str] = Field(
        default_factory=list,
        description="S-codes or names never reported (e.g. [S6] for specialised advice).",
    )
    on_unparseable: UnparseablePolicy = Field(
        default="error",
        description=(
            "An answer that is neither `safe` nor `unsafe\\nS..`: `block` it as a violation, `allow` it, "
            "or fail the call with a 502 that quotes the raw output."
        ),
    )
    request_format: Literal["completion", "chat"] = Field(
        default="completion",
        description=(
            "`completion` sends the exact Llama 3 prompt to the completions endpoint (right for vLLM, "
            "llama.cpp and the local Llama, whose tokenizers add <|begin_of_text|>); `chat` sends the "
            "classifier prompt as one user message, for endpoints that only chat with a plain Llama 3 "
            "template."
        ),
    )
    max_tokens: int = Field(default=20, gt=0, description="A verdict is 1-2 short lines.")

    @field_validator("excluded_categories")
    @classmethod
    def _known_categories(cls, excluded: list[str]) -> list[str]:
        return check_excluded(excluded)
