"""OpenAI chat messages as clients send them: every role, content parts and tool calls."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ._base import OpenAIModel

# --- content parts -----------------------------------------------------------------------------


class OpenAIChatCompletionContentPartTextParam(OpenAIModel):
    type: Literal["text"] = "text"
    text: str


class OpenAIImageURL(OpenAIModel):
    url: str = Field(description="An https URL or a `data:image/...;base64,...` URL.")
    detail: Literal["auto", "low", "high", "original"] | None = None


class OpenAIChatCompletionContentPartImageParam(OpenAIModel):
    type: Literal["image_url"] = "image_url"
    image_url: OpenAIImageURL


class OpenAIInputAudio(OpenAIModel):
    data: str = Field(description="Base64-encoded audio.")
    format: Literal["wav", "mp3"]


class OpenAIChatCompletionContentPartInputAudioParam(OpenAIModel):
    type: Literal["input_audio"] = "input_audio"
    input_audio: OpenAIInputAudio


class OpenAIFileFile(OpenAIModel):
    file_data: str | None = Field(default=None, description="Base64-encoded file contents.")
    file_id: str | None = Field(default=None, description="The id of an uploaded file.")
    filename: str | None = None


class OpenAIFile(OpenAIModel):
    type: Literal["file"] = "file"
    file: OpenAIFileFile


class OpenAIChatCompletionContentPartRefusalParam(OpenAIModel):
    type: Literal["refusal"] = "refusal"
    refusal: str


OpenAIChatCompletionContentPartParam: TypeAlias = Annotated[
    OpenAIChatCompletionContentPartTextParam
    | OpenAIChatCompletionContentPartImageParam
    | OpenAIChatCompletionContentPartInputAudioParam
    | OpenAIFile,
    Field(discriminator="type"),
]
"""A part of a user message: text, image, audio or file."""

OpenAIChatCompletionTextOnlyMessageContent: TypeAlias = str | list[OpenAIChatCompletionContentPartTextParam]

OpenAIAssistantContentPart: TypeAlias = Annotated[
    OpenAIChatCompletionContentPartTextParam | OpenAIChatCompletionContentPartRefusalParam,
    Field(discriminator="type"),
]

# --- tool calls (in assistant messages, requests and responses alike) ---------------------------


class OpenAIChatCompletionToolCallFunction(OpenAIModel):
    name: str
    arguments: str = Field(description="JSON text, as the model produced it (may be invalid JSON).")


class OpenAIChatCompletionToolCall(OpenAIModel):
    """A call to a function tool."""

    id: str
    type: Literal["function"] = "function"
    function: OpenAIChatCompletionToolCallFunction


class OpenAIChatCompletionCustomToolCallCustom(OpenAIModel):
    name: str
    input: str


class OpenAIChatCompletionCustomToolCall(OpenAIModel):
    """A call to a custom (free-form input) tool."""

    id: str
    type: Literal["custom"] = "custom"
    custom: OpenAIChatCompletionCustomToolCallCustom


OpenAIChatCompletionMessageToolCall: TypeAlias = Annotated[
    OpenAIChatCompletionToolCall | OpenAIChatCompletionCustomToolCall, Field(discriminator="type")
]


class OpenAIFunctionCall(OpenAIModel):
    """The deprecated single ``function_call`` of an assistant message."""

    name: str
    arguments: str


class OpenAIAssistantAudio(OpenAIModel):
    id: str = Field(description="The id of an earlier audio response.")


# --- messages ----------------------------------------------------------------------------------


class OpenAIDeveloperMessageParam(OpenAIModel):
    role: Literal["developer"] = "developer"
    content: OpenAIChatCompletionTextOnlyMessageContent
    name: str | None = None


class OpenAISystemMessageParam(OpenAIModel):
    role: Literal["system"] = "system"
    content: OpenAIChatCompletionTextOnlyMessageContent
    name: str | None = None


class OpenAIUserMessageParam(OpenAIModel):
    role: Literal["user"] = "user"
    content: str | list[OpenAIChatCompletionContentPartParam]
    name: str | None = None


class OpenAIAssistantMessageParam(OpenAIModel):
    """An earlier model answer, sent back as history."""

    role: Literal["assistant"] = "assistant"
    content: str | list[OpenAIAssistantContentPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[OpenAIChatCompletionMessageToolCall] | None = None
    function_call: OpenAIFunctionCall | None = None
    audio: OpenAIAssistantAudio | None = None


class OpenAIToolMessageParam(OpenAIModel):
    """The result of running a tool call."""

    role: Literal["tool"] = "tool"
    tool_call_id: str
    content: OpenAIChatCompletionTextOnlyMessageContent


class OpenAIFunctionMessageParam(OpenAIModel):
    """The result of a deprecated ``function_call``."""

    role: Literal["function"] = "function"
    name: str
    content: str | None


OpenAIMessageParam: TypeAlias = Annotated[
    OpenAIDeveloperMessageParam
    | OpenAISystemMessageParam
    | OpenAIUserMessageParam
    | OpenAIAssistantMessageParam
    | OpenAIToolMessageParam
    | OpenAIFunctionMessageParam,
    Field(discriminator="role"),
]
"""An OpenAI chat message, told apart by ``role``."""
