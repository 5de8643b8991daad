"""Native Llama Stack content and messages: interleaved content, the four roles, tool calls."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, field_validator, model_validator

from ._base import NativeModel, enum_or_str


class URL(NativeModel):
    """A URL (``https://``, ``file://`` or ``data:image/...;base64,...``)."""

    uri: str


class ImageSource(NativeModel):
    """An image given by ``url`` or by base64 ``data``; exactly one is set."""

    url: URL | None = None
    data: str | None = Field(default=None, description="Base64-encoded image bytes.")

    @model_validator(mode="after")
    def _one_source(self) -> ImageSource:
        if (self.url is None) == (self.data is None):
            raise ValueError("an image needs exactly one of `url` or `data`")
        return self


class TextContentItem(NativeModel):
    type: Literal["text"] = "text"
    text: str


class ImageContentItem(NativeModel):
    type: Literal["image"] = "image"
    image: ImageSource


InterleavedContentItem: TypeAlias = Annotated[TextContentItem | ImageContentItem, Field(discriminator="type")]
"""One piece of content: ``{"type": "text", ...}`` or ``{"type": "image", ...}``."""

InterleavedContent: TypeAlias = str | InterleavedContentItem | list[InterleavedContentItem]
"""A plain string, one content item, or a list of them."""


class StopReason(StrEnum):
    """Why generation stopped."""

    end_of_turn = "end_of_turn"
    end_of_message = "end_of_message"  # partial answer, usually a tool call the client should run
    out_of_tokens = "out_of_tokens"


class BuiltinTool(StrEnum):
    """Tools Llama models are trained to call by name."""

    brave_search = "brave_search"
    wolfram_alpha = "wolfram_alpha"
    photogen = "photogen"
    code_interpreter = "code_interpreter"


ToolArguments: TypeAlias = str | dict[str, Any]
"""Parsed arguments, or the raw string when the model's output was not valid JSON."""


class ToolCall(NativeModel):
    """A call the model wants the client (or the agent) to run."""

    call_id: str
    tool_name: BuiltinTool | str
    arguments: ToolArguments
    arguments_json: str | None = Field(default=None, description="The arguments exactly as JSON text.")

    @field_validator("tool_name")
    @classmethod
    def _builtin_by_name(cls, name: BuiltinTool | str) -> BuiltinTool | str:
        return enum_or_str(BuiltinTool, name)


class UserMessage(NativeModel):
    role: Literal["user"] = "user"
    content: InterleavedContent
    context: InterleavedContent | None = Field(
        default=None, description="RAG context the stack adds to the prompt (internal use)."
    )


class SystemMessage(NativeModel):
    role: Literal["system"] = "system"
    content: InterleavedContent


class ToolResponseMessage(NativeModel):
    role: Literal["tool"] = "tool"
    call_id: str = Field(description="The `call_id` of the ToolCall this answers.")
    content: InterleavedContent


class CompletionMessage(NativeModel):
    """The model's answer (role ``assistant``), also sent back as history."""

    role: Literal["assistant"] = "assistant"
    content: InterleavedContent
    stop_reason: StopReason
    tool_calls: list[ToolCall] | None = Field(default_factory=list)


Message: TypeAlias = Annotated[
    UserMessage | SystemMessage | ToolResponseMessage | CompletionMessage, Field(discriminator="role")
]
"""A native chat message, told apart by ``role``: user, system, tool or assistant."""
