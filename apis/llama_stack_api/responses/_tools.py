"""The tools a create-response request offers the model, and how it may choose among them.

``function`` tools run in the client; ``file_search`` searches the stack's
vector stores; ``web_search`` searches the web; ``mcp`` calls tools on a
remote Model Context Protocol server. Tools are echoed back in ``Response.tools``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field

from ..inference._base import OpenAIModel
from ..vector_io import SearchFilter


class FunctionTool(OpenAIModel):
    """A function the client runs; the model answers with a ``function_call`` item to ask for it."""

    type: Literal["function"] = "function"
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = Field(default=None, description="A JSON Schema of the arguments.")
    strict: bool | None = Field(default=None, description="Whether arguments must match the schema exactly.")


class FileSearchHybridWeights(OpenAIModel):
    embedding_weight: float
    text_weight: float


class FileSearchRankingOptions(OpenAIModel):
    ranker: str | None = Field(default=None, description="`auto` or `default-2024-11-15`.")
    score_threshold: float | None = Field(default=None, description="Drop results scoring below it (0..1).")
    hybrid_search: FileSearchHybridWeights | None = None


class FileSearchTool(OpenAIModel):
    """Search the named vector stores; results feed the model and become ``file_citation`` annotations."""

    type: Literal["file_search"] = "file_search"
    vector_store_ids: list[str]
    filters: SearchFilter | None = Field(default=None, description="Match on file attributes.")
    max_num_results: int | None = Field(default=None, ge=1, le=50)
    ranking_options: FileSearchRankingOptions | None = None


class WebSearchUserLocation(OpenAIModel):
    type: Literal["approximate"] = "approximate"
    city: str | None = None
    country: str | None = Field(default=None, description="Two-letter ISO country code.")
    region: str | None = None
    timezone: str | None = Field(default=None, description="IANA timezone.")


class WebSearchFilters(OpenAIModel):
    allowed_domains: list[str] | None = None


class WebSearchTool(OpenAIModel):
    """Search the web; results become ``url_citation`` annotations."""

    type: Literal["web_search", "web_search_2025_08_26"] = "web_search"
    search_context_size: Literal["low", "medium", "high"] | None = None
    user_location: WebSearchUserLocation | None = None
    filters: WebSearchFilters | None = None


class WebSearchPreviewTool(OpenAIModel):
    """The preview web search (no domain filters); served like ``web_search``."""

    type: Literal["web_search_preview", "web_search_preview_2025_03_11"] = "web_search_preview"
    search_context_size: Literal["low", "medium", "high"] | None = None
    user_location: WebSearchUserLocation | None = None


class McpToolFilter(OpenAIModel):
    """Tools picked by name (and/or by whether the server marks them read-only)."""

    tool_names: list[str] | None = None
    read_only: bool | None = None


class McpRequireApprovalFilter(OpenAIModel):
    """Which tools need approval (``always``) and which do not (``never``)."""

    always: McpToolFilter | None = None
    never: McpToolFilter | None = None


class McpTool(OpenAIModel):
    """Tools of a remote MCP server, reached at ``server_url`` with ``headers``."""

    type: Literal["mcp"] = "mcp"
    server_label: str = Field(description="Names the server in items and events.")
    server_url: str | None = None
    headers: dict[str, str] | None = Field(
        default=None, description="Sent to the server (e.g. Authorization)."
    )
    authorization: str | None = None
    server_description: str | None = None
    require_approval: Literal["always", "never"] | McpRequireApprovalFilter = Field(
        default="always", description="OpenAI asks for approval unless told otherwise."
    )
    allowed_tools: list[str] | McpToolFilter | None = Field(
        default=None, description="Only these tools are offered to the model; all when absent."
    )


ResponseTool: TypeAlias = Annotated[
    FunctionTool | FileSearchTool | WebSearchTool | WebSearchPreviewTool | McpTool,
    Field(discriminator="type"),
]
"""A tool offered to the model in a create-response request."""

# --- tool choice -------------------------------------------------------------------------------


class ToolChoiceFunction(OpenAIModel):
    """Force a call of this function."""

    type: Literal["function"] = "function"
    name: str


class ToolChoiceMcp(OpenAIModel):
    """Force a call on this MCP server (of ``name`` when given)."""

    type: Literal["mcp"] = "mcp"
    server_label: str
    name: str | None = None


class ToolChoiceHosted(OpenAIModel):
    """Force the use of a hosted tool."""

    type: Literal["file_search", "web_search", "web_search_preview", "web_search_preview_2025_03_11"]


class ToolChoiceAllowed(OpenAIModel):
    """Restrict the model to a subset of ``tools`` (``mode`` says whether it must call one)."""

    type: Literal["allowed_tools"] = "allowed_tools"
    mode: Literal["auto", "required"]
    tools: list[dict[str, Any]]


ResponseToolChoice: TypeAlias = (
    Literal["none", "auto", "required"]
    | Annotated[
        ToolChoiceFunction | ToolChoiceMcp | ToolChoiceHosted | ToolChoiceAllowed, Field(discriminator="type")
    ]
)
"""``auto`` (the default), ``none``, ``required``, or a specific tool."""
