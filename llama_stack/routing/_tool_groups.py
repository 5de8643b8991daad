"""Tool groups in the registry, and the Tool Runtime router that finds a tool's group.

Tools are not resources of their own: a group's tools are what its provider
lists (an MCP server may change them), asked at registration and cached, and
asked again when a tool name is not found.
"""

from __future__ import annotations

import logging
from typing import Any

from llama_stack_api import (
    InvalidRequestError,
    LlamaStackError,
    NotFoundError,
    ResourceSource,
    ResourceType,
    ToolGroup,
    current_principal,
)
from llama_stack_api.context import reset_current_resource, set_current_resource
from llama_stack_api.inference import URL, InterleavedContent
from llama_stack_api.tool_groups import ListToolGroupsResponse, ListToolsResponse, Tool
from llama_stack_api.tool_runtime import (
    ListToolDefsResponse,
    RAGDocument,
    RAGQueryConfig,
    RAGQueryResult,
    ToolDef,
    ToolInvocationResult,
)

from ._registry import ResourceRegistry
from ._router import Router
from ._table import ResourceTable

logger = logging.getLogger(__name__)

REGISTER_HINT = "register it with POST /v1/toolgroups or in the distribution's `tool_groups:`"
RAG_GROUP = "builtin::rag"


async def list_group_tools(provider: Any, group: ToolGroup) -> list[ToolDef]:
    """What ``group``'s provider offers now (the provider sees the group's record: its args)."""
    endpoint = URL(**group.mcp_endpoint) if group.mcp_endpoint else None
    token = set_current_resource(group)
    try:
        listed: ListToolDefsResponse = await provider.list_runtime_tools(
            tool_group_id=group.provider_key, mcp_endpoint=endpoint
        )
    finally:
        reset_current_resource(token)
    return listed.data


class ToolCatalog:
    """Tool definitions per group, shared by the registry table and the router."""

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any]) -> None:
        self.registry = registry
        self.providers = providers
        self._tools: dict[str, list[ToolDef]] = {}

    def groups(self) -> list[ToolGroup]:
        return [g for g in self.registry.list_of(ResourceType.tool_group) if isinstance(g, ToolGroup)]

    async def tools_of(self, group: ToolGroup, *, refresh: bool = False) -> list[ToolDef]:
        if refresh or group.identifier not in self._tools:
            provider = self.providers.get(group.provider_id)
            if provider is None:
                return []
            self._tools[group.identifier] = await list_group_tools(provider, group)
        return self._tools[group.identifier]

    def forget(self, group_id: str) -> None:
        self._tools.pop(group_id, None)

    async def find(self, tool_name: str) -> tuple[ToolGroup, ToolDef]:
        for refresh in (False, True):
            for group in self.groups():
                try:
                    tools = await self.tools_of(group, refresh=refresh)
                except LlamaStackError as exc:  # one unreachable MCP server must not hide the others' tools
                    logger.warning("cannot list the tools of %s: %s", group.identifier, exc)
                    continue
                for tool in tools:
                    if tool.name == tool_name:
                        return group, tool
        raise NotFoundError(
            f"no registered tool group offers a tool named {tool_name!r}; groups: "
            f"{', '.join(g.identifier for g in self.groups()) or 'none'}",
            param="tool_name",
            code="tool_not_found",
        )


class ToolGroupsTable(ResourceTable[ToolGroup]):
    """Implements ``ToolGroups``."""

    def __init__(self, registry: ResourceRegistry, providers: dict[str, Any], catalog: ToolCatalog) -> None:
        super().__init__(
            registry,
            ResourceType.tool_group,
            providers,
            api_name="tool_runtime",
            register_hint=REGISTER_HINT,
            checker=None,
        )
        self.catalog = catalog

    async def list_tool_groups(self) -> ListToolGroupsResponse:
        return ListToolGroupsResponse(data=self.catalog.groups())

    async def get_tool_group(self, toolgroup_id: str) -> ToolGroup:
        return _as_group(self._get(toolgroup_id))

    async def register_tool_group(
        self,
        toolgroup_id: str,
        provider_id: str,
        mcp_endpoint: URL | None = None,
        args: dict[str, Any] | None = None,
    ) -> None:
        principal = current_principal()
        group = ToolGroup(
            identifier=toolgroup_id,
            provider_id=self._choose_provider(provider_id),
            mcp_endpoint=mcp_endpoint.model_dump() if mcp_endpoint else None,
            args=args,
            source=ResourceSource.user,
            owner=principal.name if principal else None,
        )
        self._check_not_taken(group)
        await self.catalog.tools_of(group, refresh=True)  # refuses a group its provider cannot serve
        await self._register(group)

    async def unregister_toolgroup(self, toolgroup_id: str) -> None:
        group = self._get(toolgroup_id)
        await self._registry.delete(ResourceType.tool_group, group.identifier)
        self.catalog.forget(group.identifier)

    async def list_tools(self, toolgroup_id: str | None = None) -> ListToolsResponse:
        groups = [_as_group(self._get(toolgroup_id))] if toolgroup_id else self.catalog.groups()
        tools: list[Tool] = []
        for group in groups:
            try:
                definitions = await self.catalog.tools_of(group)
            except LlamaStackError as exc:
                if toolgroup_id:
                    raise
                logger.warning("cannot list the tools of %s: %s", group.identifier, exc)
                continue
            tools.extend(_tool(group, d) for d in definitions)
        return ListToolsResponse(data=tools)

    async def get_tool(self, tool_name: str) -> Tool:
        group, definition = await self.catalog.find(tool_name)
        return _tool(group, definition)

    async def sync_at_startup(self, declared: list[ToolGroup]) -> None:
        await self._sync_declared(declared)


def _tool(group: ToolGroup, definition: ToolDef) -> Tool:
    return Tool(
        identifier=definition.name,
        provider_id=group.provider_id,
        toolgroup_id=group.identifier,
        description=definition.description or "",
        parameters=definition.parameters,
        metadata=definition.metadata,
    )


def _as_group(resource: object) -> ToolGroup:
    if not isinstance(resource, ToolGroup):  # the registry stores typed resources; anything else is a bug
        raise NotFoundError(f"registry entry {resource!r} is not a tool group")
    return resource


class ToolRuntimeRouterMixin(Router):
    """Tool Runtime by tool group: ``invoke`` finds the group offering the tool, RAG goes to ``builtin::rag``."""

    catalog: ToolCatalog

    def _catalog(self) -> ToolCatalog:
        if not hasattr(self, "catalog"):
            self.catalog = ToolCatalog(self.registry, self.providers)
        return self.catalog

    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None
    ) -> ListToolDefsResponse:
        if tool_group_id is None:
            if mcp_endpoint is None:
                raise InvalidRequestError("give `tool_group_id` or `mcp_endpoint`", param="tool_group_id")
            tool_group_id = self._group_serving(mcp_endpoint.uri)
        group = _as_group(self.registry.get(ResourceType.tool_group, tool_group_id, hint=REGISTER_HINT))
        return ListToolDefsResponse(data=await self._catalog().tools_of(group, refresh=True))

    def _group_serving(self, uri: str) -> str:
        """The registered group of an MCP server (its provider holds the credentials and transport)."""
        wanted = uri.rstrip("/")
        for group in self._catalog().groups():
            if group.mcp_endpoint and str(group.mcp_endpoint.get("uri", "")).rstrip("/") == wanted:
                return group.identifier
        raise InvalidRequestError(
            f"no tool group is registered for the MCP server {uri}; register it with POST /v1/toolgroups "
            "(provider_id of a remote::model-context-protocol provider, mcp_endpoint) and list it by id",
            param="mcp_endpoint",
        )

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        group, _ = await self._catalog().find(tool_name)
        provider = self.providers[group.provider_id]
        token = set_current_resource(group)
        try:
            result: ToolInvocationResult = await provider.invoke_tool(tool_name=tool_name, kwargs=kwargs)
        finally:
            reset_current_resource(token)
        return result

    async def rag_tool_insert(
        self, documents: list[RAGDocument], vector_db_id: str, chunk_size_in_tokens: int = 512
    ) -> None:
        provider = self._rag_provider()
        await provider.rag_tool_insert(
            documents=documents, vector_db_id=vector_db_id, chunk_size_in_tokens=chunk_size_in_tokens
        )

    async def rag_tool_query(
        self,
        content: InterleavedContent,
        vector_db_ids: list[str],
        query_config: RAGQueryConfig | None = None,
    ) -> RAGQueryResult:
        provider = self._rag_provider()
        result: RAGQueryResult = await provider.rag_tool_query(
            content=content, vector_db_ids=vector_db_ids, query_config=query_config
        )
        return result

    def _rag_provider(self) -> Any:
        group = self.registry.find(ResourceType.tool_group, RAG_GROUP)
        if group is not None and group.provider_id in self.providers:
            return self.providers[group.provider_id]
        if len(self.providers) == 1:
            return next(iter(self.providers.values()))
        raise NotFoundError(
            f"no tool group {RAG_GROUP!r} is registered to say which tool-runtime provider serves the RAG tool",
            code="tool_group_not_found",
        )
