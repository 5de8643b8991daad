"""What tool-runtime providers that are not the RAG runtime share: one tool each, no RAG routes."""

from __future__ import annotations

from llama_stack_api import NotFoundError, NotSupportedError
from llama_stack_api.inference import URL, InterleavedContent
from llama_stack_api.tool_runtime import (
    ListToolDefsResponse,
    RAGDocument,
    RAGQueryConfig,
    RAGQueryResult,
    ToolDef,
)


class WithoutRAGTool:
    """The RAG routes of ``ToolRuntime`` for a provider that does not serve them: 501 naming it."""

    provider_type: str

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def rag_tool_insert(
        self, documents: list[RAGDocument], vector_db_id: str, chunk_size_in_tokens: int = 512
    ) -> None:
        raise NotSupportedError(f"{self.provider_type} does not serve the RAG tool")

    async def rag_tool_query(
        self,
        content: InterleavedContent,
        vector_db_ids: list[str],
        query_config: RAGQueryConfig | None = None,
    ) -> RAGQueryResult:
        raise NotSupportedError(f"{self.provider_type} does not serve the RAG tool")


class SingleToolRuntime(WithoutRAGTool):
    """A provider offering one tool (``tool``), whatever group serves it."""

    tool: ToolDef

    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None
    ) -> ListToolDefsResponse:
        if mcp_endpoint is not None:
            raise NotSupportedError(
                f"{self.provider_type} serves the {self.tool.name} tool, not MCP servers",
                param="mcp_endpoint",
            )
        return ListToolDefsResponse(data=[self.tool])

    def check_tool(self, tool_name: str) -> None:
        if tool_name != self.tool.name:
            raise NotFoundError(f"{self.provider_type} has no tool {tool_name!r}; it has {self.tool.name}")
