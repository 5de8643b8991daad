"""Native request options: sampling, structured output, log probabilities, tools and tool config."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, field_validator

from ._base import NativeModel, enum_or_str
from ._native_messages import BuiltinTool


class GreedySamplingStrategy(NativeModel):
    type: Literal["greedy"] = "greedy"


class TopPSamplingStrategy(NativeModel):
    type: Literal["top_p"] = "top_p"
    temperature: float | None = Field(default=None, ge=0.0)
    top_p: float | None = Field(default=0.95, ge=0.0, le=1.0)


class TopKSamplingStrategy(NativeModel):
    type: Literal["top_k"] = "top_k"
    top_k: int = Field(ge=1)


SamplingStrategy: TypeAlias = Annotated[
    GreedySamplingStrategy | TopPSamplingStrategy | TopKSamplingStrategy, Field(discriminator="type")
]


class SamplingParams(NativeModel):
    """How to pick tokens, and when to stop."""

    strategy: SamplingStrategy = Field(default_factory=GreedySamplingStrategy)
    max_tokens: int | None = Field(default=None, ge=0, description="0 or unset: up to the context length.")
    repetition_penalty: float | None = 1.0
    stop: list[str] | None = Field(default=None, description="Up to 4 sequences that end generation.")


class JsonSchemaResponseFormat(NativeModel):
    """Constrain the output to JSON matching ``json_schema``."""

    type: Literal["json_schema"] = "json_schema"
    json_schema: dict[str, Any]


class GrammarResponseFormat(NativeModel):
    """Constrain the output to a BNF grammar (fewer providers support this)."""

    type: Literal["grammar"] = "grammar"
    bnf: dict[str, Any]


ResponseFormat: TypeAlias = Annotated[
    JsonSchemaResponseFormat | GrammarResponseFormat, Field(discriminator="type")
]
"""Structured (guided) decoding: a JSON schema or a BNF grammar."""


class LogProbConfig(NativeModel):
    """Ask for log probabilities: ``top_k`` alternatives per generated position."""

    top_k: int | None = Field(default=0, ge=0)


class ToolChoice(StrEnum):
    auto = "auto"
    required = "required"
    none = "none"


class ToolPromptFormat(StrEnum):
    """How tool calls are written in the prompt: JSON, ``<function=...>`` tags, or a Python list."""

    json = "json"
    function_tag = "function_tag"
    python_list = "python_list"


# A Literal, not a StrEnum: a member named `replace` would shadow `str.replace`.
SystemMessageBehavior: TypeAlias = Literal["append", "replace"]
"""``append`` the caller's system message to the tool prompt, or ``replace`` it (a replacing
message may say where tool definitions go with ``{{function_definitions}}``)."""


class ToolConfig(NativeModel):
    """Tool use settings (supersedes the top-level ``tool_choice`` / ``tool_prompt_format``)."""

    tool_choice: ToolChoice | str | None = Field(
        default=ToolChoice.auto, description="auto, required, none, or the name of the one tool to call."
    )
    tool_prompt_format: ToolPromptFormat | None = None
    system_message_behavior: SystemMessageBehavior | None = "append"

    @field_validator("tool_choice")
    @classmethod
    def _choice_by_name(cls, choice: ToolChoice | str | None) -> ToolChoice | str | None:
        return None if choice is None else enum_or_str(ToolChoice, choice)


class ToolParamDefinition(NativeModel):
    param_type: str
    description: str | None = None
    required: bool | None = True
    default: Any | None = None


class ToolDefinition(NativeModel):
    """A tool the model may call: a built-in one or a function described by its parameters."""

    tool_name: BuiltinTool | str
    description: str | None = None
    parameters: dict[str, ToolParamDefinition] | None = None

    @field_validator("tool_name")
    @classmethod
    def _builtin_by_name(cls, name: BuiltinTool | str) -> BuiltinTool | str:
        return enum_or_str(BuiltinTool, name)


class TextTruncation(StrEnum):
    """What to do with text longer than the embedding model's context."""

    none = "none"  # refuse it
    start = "start"  # drop tokens from the start
    end = "end"  # drop tokens from the end


class EmbeddingTaskType(StrEnum):
    """What an embedding is for (asymmetric models embed queries and documents differently)."""

    query = "query"
    document = "document"
