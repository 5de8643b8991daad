"""OpenAI chat request options: tools, tool choice, response format, streaming, audio, prediction."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import ConfigDict, Field

from ._base import OpenAIModel
from ._openai_messages import OpenAIChatCompletionTextOnlyMessageContent

# --- tools -------------------------------------------------------------------------------------


class OpenAIFunctionDefinition(OpenAIModel):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class OpenAIChatCompletionFunctionTool(OpenAIModel):
    type: Literal["function"] = "function"
    function: OpenAIFunctionDefinition


class OpenAICustomToolFormatText(OpenAIModel):
    type: Literal["text"] = "text"


class OpenAICustomToolGrammar(OpenAIModel):
    definition: str
    syntax: Literal["lark", "regex"]


class OpenAICustomToolFormatGrammar(OpenAIModel):
    type: Literal["grammar"] = "grammar"
    grammar: OpenAICustomToolGrammar


OpenAICustomToolFormat: TypeAlias = Annotated[
    OpenAICustomToolFormatText | OpenAICustomToolFormatGrammar, Field(discriminator="type")
]


class OpenAICustomToolDefinition(OpenAIModel):
    name: str
    description: str | None = None
    format: OpenAICustomToolFormat | None = None


class OpenAIChatCompletionCustomTool(OpenAIModel):
    """A tool that takes free-form text (optionally constrained by a grammar) instead of JSON."""

    type: Literal["custom"] = "custom"
    custom: OpenAICustomToolDefinition


OpenAIChatCompletionTool: TypeAlias = Annotated[
    OpenAIChatCompletionFunctionTool | OpenAIChatCompletionCustomTool, Field(discriminator="type")
]

# --- tool choice -------------------------------------------------------------------------------


class OpenAINamedFunction(OpenAIModel):
    name: str


class OpenAINamedToolChoice(OpenAIModel):
    """Force a call to this function tool."""

    type: Literal["function"] = "function"
    function: OpenAINamedFunction


class OpenAINamedCustomToolChoice(OpenAIModel):
    """Force a call to this custom tool."""

    type: Literal["custom"] = "custom"
    custom: OpenAINamedFunction


class OpenAIAllowedTools(OpenAIModel):
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]] = Field(description='Tool references, e.g. `{"type": "function", ...}`.')


class OpenAIAllowedToolsChoice(OpenAIModel):
    """Restrict the model to a subset of ``tools``."""

    type: Literal["allowed_tools"] = "allowed_tools"
    allowed_tools: OpenAIAllowedTools


OpenAIToolChoice: TypeAlias = (
    Literal["none", "auto", "required"]
    | Annotated[
        OpenAINamedToolChoice | OpenAINamedCustomToolChoice | OpenAIAllowedToolsChoice,
        Field(discriminator="type"),
    ]
)
"""``none`` / ``auto`` / ``required``, a named tool, or an allowed-tools subset."""


class OpenAIFunctionCallOption(OpenAIModel):
    name: str


OpenAIFunctionCallChoice: TypeAlias = Literal["none", "auto"] | OpenAIFunctionCallOption
"""The deprecated ``function_call`` request field."""

# --- response format ---------------------------------------------------------------------------


class OpenAIResponseFormatText(OpenAIModel):
    type: Literal["text"] = "text"


class OpenAIResponseFormatJSONObject(OpenAIModel):
    type: Literal["json_object"] = "json_object"


class OpenAIJSONSchema(OpenAIModel):
    """A named JSON Schema for structured output. ``schema`` on the wire, ``schema_`` in Python."""

    # `schema` would shadow BaseModel.schema(), so the field is aliased; dumps still say "schema".
    model_config = ConfigDict(
        extra="allow", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class OpenAIResponseFormatJSONSchema(OpenAIModel):
    type: Literal["json_schema"] = "json_schema"
    json_schema: OpenAIJSONSchema


OpenAIResponseFormatParam: TypeAlias = Annotated[
    OpenAIResponseFormatText | OpenAIResponseFormatJSONObject | OpenAIResponseFormatJSONSchema,
    Field(discriminator="type"),
]
"""Plain text, any JSON object, or JSON matching a schema."""

# --- streaming, audio, prediction --------------------------------------------------------------


class OpenAIStreamOptions(OpenAIModel):
    include_usage: bool | None = Field(
        default=None, description="Send a last chunk with `usage` and no choices."
    )
    include_obfuscation: bool | None = None


class OpenAIVoiceId(OpenAIModel):
    id: str


class OpenAIChatCompletionAudioParam(OpenAIModel):
    """Ask for spoken output (with ``modalities: ["text", "audio"]``)."""

    format: Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]
    voice: str | OpenAIVoiceId


class OpenAIPredictionContent(OpenAIModel):
    """Predicted output (e.g. a file being edited) that lets the provider answer faster."""

    type: Literal["content"] = "content"
    content: OpenAIChatCompletionTextOnlyMessageContent


OpenAIReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
OpenAIServiceTier: TypeAlias = Literal["auto", "default", "flex", "scale", "priority", "fast"]
