"""Tool Runtime API: list and invoke the tools of tool groups, and the RAG tool.

A tool group (``builtin::rag``, ``builtin::websearch``, an MCP server ...) is a
resource served by one tool-runtime provider; ``invoke`` is routed by the
tool's name to the group that offers it. The RAG routes are those of
llama-stack-client 0.2.x and go to the provider of ``builtin::rag``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from ._routes import webmethod
from .apis import Api, ApiSpec
from .inference import URL, InterleavedContent
from .vector_io import HybridRanker

DEFAULT_CHUNK_TEMPLATE = "Result {index}\nContent: {chunk.content}\nMetadata: {metadata}\n"


class RAGDocument(BaseModel):
    """A document to index: its content inline, or a URL (``http(s)://`` or ``data:``) to fetch it from."""

    model_config = ConfigDict(extra="forbid")

    document_id: str
    content: InterleavedContent | URL
    mime_type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class DefaultQueryGeneratorConfig(BaseModel):
    type: Literal["default"] = "default"
    separator: str = " "


class LLMQueryGeneratorConfig(BaseModel):
    type: Literal["llm"] = "llm"
    model: str
    template: str


QueryGeneratorConfig = Annotated[
    DefaultQueryGeneratorConfig | LLMQueryGeneratorConfig, Field(discriminator="type")
]


class RAGQueryConfig(BaseModel):
    """How the RAG tool searches and formats: chunk budget, token budget, template, search mode."""

    query_generator_config: QueryGeneratorConfig = Field(default_factory=DefaultQueryGeneratorConfig)
    max_tokens_in_context: int = Field(default=4096, gt=0)
    max_chunks: int = Field(default=5, gt=0, le=100)
    chunk_template: str = DEFAULT_CHUNK_TEMPLATE
    mode: Literal["vector", "keyword", "hybrid"] | None = "vector"
    ranker: HybridRanker | None = None


class RAGQueryResult(BaseModel):
    """The context to give a model, and which documents and chunks it came from."""

    content: InterleavedContent | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ToolParameter(BaseModel):
    """One argument of a tool, in llama-stack-client 0.2.x's shape."""

    name: str
    parameter_type: str = Field(description="`string`, `integer`, `number`, `boolean`, `array` or `object`.")
    description: str = ""
    required: bool = True
    default: Any = None


class ToolDef(BaseModel):
    """A tool as a model sees it: name, description, parameters."""

    name: str
    description: str | None = None
    parameters: list[ToolParameter] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None


class ListToolDefsResponse(BaseModel):
    data: list[ToolDef]


class ToolInvocationResult(BaseModel):
    """What a tool returned; a failing tool is a result with ``error_message``, not an HTTP error."""

    content: InterleavedContent | None = None
    error_message: str | None = None
    error_code: int | None = None
    metadata: dict[str, Any] | None = None


@runtime_checkable
class ToolRuntime(Protocol):
    """Run tools for agents and applications."""

    @webmethod("GET", "/v1/tool-runtime/list-tools", summary="List the tools of a tool group.")
    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None
    ) -> ListToolDefsResponse:
        """The tools a group offers right now (an MCP server is asked); ``mcp_endpoint`` lists an
        unregistered MCP server's tools. Raises ``NotFoundError`` for an unknown group and
        ``InvalidRequestError`` when neither is given."""
        ...

    @webmethod("POST", "/v1/tool-runtime/invoke", summary="Run a tool.")
    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        """Run ``tool_name`` with ``kwargs``. Raises ``NotFoundError`` when no registered group
        offers the tool; a tool that fails answers with ``error_message``."""
        ...

    @webmethod("POST", "/v1/tool-runtime/rag-tool/insert", summary="Index documents into a vector store.")
    async def rag_tool_insert(
        self, documents: list[RAGDocument], vector_db_id: str, chunk_size_in_tokens: int = 512
    ) -> None:
        """Fetch (URLs), extract, chunk and store each document.

        Raises ``NotFoundError`` for an unknown store, ``InvalidRequestError`` for a
        document whose type is unsupported or whose URL cannot be read.
        """
        ...

    @webmethod("POST", "/v1/tool-runtime/rag-tool/query", summary="Retrieve context for a query.")
    async def rag_tool_query(
        self,
        content: InterleavedContent,
        vector_db_ids: list[str],
        query_config: RAGQueryConfig | None = None,
    ) -> RAGQueryResult:
        """The best chunks of the stores, formatted with ``chunk_template`` within the token budget.

        Raises ``NotFoundError`` for an unknown store, ``InvalidRequestError`` for an
        empty query or store list.
        """
        ...


API_SPEC = ApiSpec(
    api=Api.tool_runtime,
    protocol=ToolRuntime,
    routed_by=Api.tool_groups,
    description="Tools and the RAG tool",
)
