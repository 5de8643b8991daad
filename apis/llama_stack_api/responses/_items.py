"""Items: the entries of a response's input and output, and of a conversation.

An item is a message or a tool event (a function call and its output, a file
or web search, an MCP call, listing or approval). Two unions are built from
them:

- ``ResponseInputItem``: what a request may send, and what a conversation or
  a response's input list holds. A message may come in OpenAI's "easy" form
  (``{"role": "user", "content": "hi"}``, no ``type``), so the union reads a
  missing ``type`` as ``"message"``. Ids and statuses are optional here: the
  store fills them in.
- ``ResponseOutputItem``: what the model produced (``Response.output``, stream
  events). Its message is ``ResponseOutputMessage``, whose id and status are
  required because the SDK requires them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, model_validator

from ..inference._base import OpenAIModel
from ._content import ResponseInputContent, ResponseMessageContent, ResponseOutputContent

ItemStatus: TypeAlias = Literal["in_progress", "completed", "incomplete"]

# --- messages ----------------------------------------------------------------------------------


class ResponseMessage(OpenAIModel):
    """A message in a request or a conversation, in any role.

    ``content`` is a string in the easy form, else a list of parts; stored
    messages always hold a list (user/system/developer text becomes
    ``input_text``, assistant text ``output_text``).
    """

    type: Literal["message"] = "message"
    role: Literal["user", "system", "developer", "assistant"]
    content: str | list[ResponseMessageContent]
    id: str | None = None
    status: ItemStatus | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_output_message(cls, data: Any) -> Any:
        # what the model wrote becomes input when sent back (the next turn, a conversation), so
        # validating an output message as an input item just works
        return data.model_dump(by_alias=True) if isinstance(data, ResponseOutputMessage) else data


class ResponseOutputMessage(OpenAIModel):
    """An assistant message the model wrote, as it appears in ``Response.output``."""

    type: Literal["message"] = "message"
    id: str
    role: Literal["assistant"] = "assistant"
    content: list[ResponseOutputContent] = Field(default_factory=list)
    status: ItemStatus = "completed"


# --- function calls ----------------------------------------------------------------------------


class ResponseFunctionToolCall(OpenAIModel):
    """The model asks the client to run one of its functions; ``arguments`` is a JSON string."""

    type: Literal["function_call"] = "function_call"
    call_id: str
    name: str
    arguments: str
    id: str | None = None
    status: ItemStatus | None = None


class ResponseFunctionToolCallOutput(OpenAIModel):
    """What the client's function returned for ``call_id`` (a string, or content parts)."""

    type: Literal["function_call_output"] = "function_call_output"
    call_id: str
    output: str | list[ResponseInputContent]
    id: str | None = None
    status: ItemStatus | None = None


# --- hosted search tools -----------------------------------------------------------------------


class ResponseFileSearchResult(OpenAIModel):
    """One chunk a file search found."""

    file_id: str | None = None
    filename: str | None = None
    score: float | None = None
    text: str | None = None
    attributes: dict[str, str | float | bool] | None = None


class ResponseFileSearchToolCall(OpenAIModel):
    """A search of the request's vector stores; ``results`` are filled when the client asked to include them."""

    type: Literal["file_search_call"] = "file_search_call"
    id: str
    queries: list[str]
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"]
    results: list[ResponseFileSearchResult] | None = None


class WebSearchSource(OpenAIModel):
    type: Literal["url"] = "url"
    url: str


class WebSearchActionSearch(OpenAIModel):
    type: Literal["search"] = "search"
    query: str | None = None
    queries: list[str] | None = None
    sources: list[WebSearchSource] | None = None


class WebSearchActionOpenPage(OpenAIModel):
    type: Literal["open_page"] = "open_page"
    url: str | None = None


class WebSearchActionFind(OpenAIModel):
    type: Literal["find_in_page"] = "find_in_page"
    pattern: str
    url: str


WebSearchAction: TypeAlias = Annotated[
    WebSearchActionSearch | WebSearchActionOpenPage | WebSearchActionFind, Field(discriminator="type")
]


class ResponseWebSearchToolCall(OpenAIModel):
    """A web search the model ran; ``action`` says what it did (the SDK requires one: a bare search by default)."""

    type: Literal["web_search_call"] = "web_search_call"
    id: str
    status: Literal["in_progress", "searching", "completed", "failed", "incomplete"]
    action: WebSearchAction = Field(default_factory=WebSearchActionSearch)


# --- MCP ---------------------------------------------------------------------------------------


class McpProtocolError(OpenAIModel):
    type: Literal["mcp_protocol_error"] = "mcp_protocol_error"
    code: int
    message: str


class McpToolExecutionError(OpenAIModel):
    """The tool ran and reported an error; ``content`` is what it returned."""

    type: Literal["mcp_tool_execution_error"] = "mcp_tool_execution_error"
    content: Any


class McpHTTPError(OpenAIModel):
    type: Literal["http_error"] = "http_error"
    code: int
    message: str


McpCallError: TypeAlias = Annotated[
    McpProtocolError | McpToolExecutionError | McpHTTPError, Field(discriminator="type")
]
"""Why an MCP call failed; an object (not a string) in the current SDK."""


class ResponseMcpCall(OpenAIModel):
    """A tool call on a remote MCP server; ``output`` or ``error`` once it ran."""

    type: Literal["mcp_call"] = "mcp_call"
    id: str
    server_label: str
    name: str
    arguments: str
    output: str | None = None
    error: McpCallError | None = None
    approval_request_id: str | None = None
    status: Literal["in_progress", "completed", "incomplete", "calling", "failed"] | None = None


class McpListToolsTool(OpenAIModel):
    name: str
    input_schema: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None
    annotations: dict[str, Any] | None = None


class ResponseMcpListTools(OpenAIModel):
    """The tools an MCP server offered (``error`` when listing failed)."""

    type: Literal["mcp_list_tools"] = "mcp_list_tools"
    id: str
    server_label: str
    tools: list[McpListToolsTool] = Field(default_factory=list)
    error: str | None = None


class ResponseMcpApprovalRequest(OpenAIModel):
    """The model wants to call an MCP tool that needs the user's approval first."""

    type: Literal["mcp_approval_request"] = "mcp_approval_request"
    id: str
    server_label: str
    name: str
    arguments: str


class ResponseMcpApprovalResponse(OpenAIModel):
    """The user's answer to an ``mcp_approval_request`` (sent as input)."""

    type: Literal["mcp_approval_response"] = "mcp_approval_response"
    approval_request_id: str
    approve: bool
    id: str | None = None
    reason: str | None = None


# --- the unions --------------------------------------------------------------------------------


def _input_item_type(value: Any) -> str | None:
    """The union tag of an input item: its ``type``, where a message's easy form has none."""
    if isinstance(value, dict):
        kind = value.get("type") or "message"
        return kind if isinstance(kind, str) else None
    kind = getattr(value, "type", None)
    return kind if isinstance(kind, str) else None


ResponseInputItem: TypeAlias = Annotated[
    Annotated[ResponseMessage, Tag("message")]
    | Annotated[ResponseFunctionToolCall, Tag("function_call")]
    | Annotated[ResponseFunctionToolCallOutput, Tag("function_call_output")]
    | Annotated[ResponseFileSearchToolCall, Tag("file_search_call")]
    | Annotated[ResponseWebSearchToolCall, Tag("web_search_call")]
    | Annotated[ResponseMcpCall, Tag("mcp_call")]
    | Annotated[ResponseMcpListTools, Tag("mcp_list_tools")]
    | Annotated[ResponseMcpApprovalRequest, Tag("mcp_approval_request")]
    | Annotated[ResponseMcpApprovalResponse, Tag("mcp_approval_response")],
    Discriminator(_input_item_type),
]
"""An item of a request's ``input``, of a response's input list, or of a conversation."""

ResponseOutputItem: TypeAlias = Annotated[
    ResponseOutputMessage
    | ResponseFunctionToolCall
    | ResponseFileSearchToolCall
    | ResponseWebSearchToolCall
    | ResponseMcpCall
    | ResponseMcpListTools
    | ResponseMcpApprovalRequest,
    Field(discriminator="type"),
]
"""An item the model produced: an entry of ``Response.output``."""

ResponseInput: TypeAlias = str | list[ResponseInputItem]
"""The ``input`` of a create-response request: a user message as a string, or a list of items."""
