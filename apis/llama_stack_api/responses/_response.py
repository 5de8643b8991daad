"""The ``response`` object, its parts (usage, errors, text format), and the lists and deletion records around it."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import ConfigDict, Field

from ..inference._base import OpenAIModel
from ._content import ResponseOutputText
from ._items import ResponseInputItem, ResponseOutputItem, ResponseOutputMessage
from ._tools import ResponseTool, ResponseToolChoice

ResponseStatus: TypeAlias = Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]


class ResponseError(OpenAIModel):
    """Why a response failed.

    OpenAI's codes include ``server_error``, ``rate_limit_exceeded``,
    ``invalid_prompt`` and ``vector_store_timeout``; the SDK only knows its
    own, so prefer one of those.
    """

    code: str
    message: str


class ResponseIncompleteDetails(OpenAIModel):
    reason: str | None = Field(default=None, description="`max_output_tokens` or `content_filter`.")


class ResponseInputTokensDetails(OpenAIModel):
    cached_tokens: int = 0
    # the current SDK requires it; it is always 0 for engines without a prompt cache
    cache_write_tokens: int = 0


class ResponseOutputTokensDetails(OpenAIModel):
    reasoning_tokens: int = 0


class ResponseUsage(OpenAIModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: ResponseInputTokensDetails = Field(default_factory=ResponseInputTokensDetails)
    output_tokens_details: ResponseOutputTokensDetails = Field(default_factory=ResponseOutputTokensDetails)


# --- text format ------------------------------------------------------------------------------


class ResponseTextFormatText(OpenAIModel):
    type: Literal["text"] = "text"


class ResponseTextFormatJSONObject(OpenAIModel):
    """Any JSON object (the prompt must ask for JSON)."""

    type: Literal["json_object"] = "json_object"


class ResponseTextFormatJSONSchema(OpenAIModel):
    """JSON matching ``schema``. Unlike chat completions, the fields sit beside ``type``, not under ``json_schema``."""

    # `schema` would shadow BaseModel.schema(), so the field is aliased; dumps still say "schema".
    model_config = ConfigDict(
        extra="allow", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    type: Literal["json_schema"] = "json_schema"
    name: str
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


ResponseTextFormat: TypeAlias = Annotated[
    ResponseTextFormatText | ResponseTextFormatJSONObject | ResponseTextFormatJSONSchema,
    Field(discriminator="type"),
]


class ResponseTextConfig(OpenAIModel):
    """The ``text`` option: plain text (the default), a JSON object, or JSON matching a schema."""

    format: ResponseTextFormat = Field(default_factory=ResponseTextFormatText)


class ResponseConversationRef(OpenAIModel):
    """The conversation this response's input and output were added to."""

    id: str


# --- the response ------------------------------------------------------------------------------


class Response(OpenAIModel):
    """A model response: the request's settings echoed back, the ``output`` items, usage and status.

    ``output_text`` is not a wire field (the SDKs compute it); the property
    here does the same for Python callers.
    """

    id: str
    object: Literal["response"] = "response"
    created_at: int
    model: str
    status: ResponseStatus
    output: list[ResponseOutputItem] = Field(default_factory=list)
    error: ResponseError | None = None
    incomplete_details: ResponseIncompleteDetails | None = None
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: ResponseConversationRef | None = None
    parallel_tool_calls: bool = True
    tool_choice: ResponseToolChoice = "auto"
    tools: list[ResponseTool] = Field(default_factory=list)
    temperature: float | None = None
    top_p: float | None = None
    text: ResponseTextConfig = Field(default_factory=ResponseTextConfig)
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    usage: ResponseUsage | None = None
    store: bool = True
    background: bool = False
    truncation: Literal["auto", "disabled"] | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of the assistant messages, joined."""
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, ResponseOutputMessage)
            for part in item.content
            if isinstance(part, ResponseOutputText)
        )


class ResponseDeletedObject(OpenAIModel):
    id: str
    object: Literal["response"] = "response"
    deleted: bool = True


class ResponseList(OpenAIModel):
    """A page of stored responses (``first_id``/``last_id`` are null on an empty page)."""

    object: Literal["list"] = "list"
    data: list[Response]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class ResponseInputItemList(OpenAIModel):
    """A page of a stored response's input items."""

    object: Literal["list"] = "list"
    data: list[ResponseInputItem]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
