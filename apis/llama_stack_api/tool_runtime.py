"""Tool Runtime API: the RAG tool (insert documents into vector stores, query them as formatted context).

The agent tool groups (list-tools, invoke, MCP, code interpreter, web search)
join this module with the agents work; the RAG tool's routes are those of
llama-stack-client 0.2.x.
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


@runtime_checkable
class ToolRuntime(Protocol):
    """Run tools for agents and applications."""

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


API_SPEC = ApiSpec(api=Api.tool_runtime, protocol=ToolRuntime, description="Tools (the RAG tool)")
