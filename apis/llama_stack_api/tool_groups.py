"""Tool Groups API: the registry of tool groups and the tools they offer (llama-stack-client 0.2.x routes)."""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ._routes import webmethod
from .apis import Api, ApiSpec
from .inference import URL
from .resources import ToolGroup
from .tool_runtime import ToolParameter


class Tool(BaseModel):
    """A tool of a registered group, in llama-stack-client 0.2.x's shape."""

    identifier: str
    provider_id: str
    toolgroup_id: str
    type: Literal["tool"] = "tool"
    description: str = ""
    parameters: list[ToolParameter] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    provider_resource_id: str | None = None


class ListToolGroupsResponse(BaseModel):
    data: list[ToolGroup]


class ListToolsResponse(BaseModel):
    data: list[Tool]


@runtime_checkable
class ToolGroups(Protocol):
    """Register tool groups (built-in ones, MCP servers) and list their tools."""

    @webmethod("GET", "/v1/toolgroups", summary="List tool groups.")
    async def list_tool_groups(self) -> ListToolGroupsResponse: ...

    @webmethod("GET", "/v1/toolgroups/{toolgroup_id:path}", summary="Get a tool group.")
    async def get_tool_group(self, toolgroup_id: str) -> ToolGroup:
        """Raises ``NotFoundError`` naming the registered groups when unknown."""
        ...

    @webmethod("POST", "/v1/toolgroups", summary="Register a tool group.")
    async def register_tool_group(
        self,
        toolgroup_id: str,
        provider_id: str,
        mcp_endpoint: URL | None = None,
        args: dict[str, Any] | None = None,
    ) -> None:
        """Register a group with the tool-runtime provider that serves it (asked for its tools first).

        Raises ``InvalidRequestError`` for an unknown provider, ``ConflictError`` when the id is
        taken by another provider, and the provider's error when it cannot list the group's tools
        (e.g. ``ProviderUnavailableError`` for an MCP server that is down).
        """
        ...

    @webmethod("DELETE", "/v1/toolgroups/{toolgroup_id:path}", summary="Unregister a tool group.")
    async def unregister_toolgroup(self, toolgroup_id: str) -> None:
        """Raises ``NotFoundError`` when no such group is registered."""
        ...

    @webmethod("GET", "/v1/tools", summary="List tools, optionally of one group.")
    async def list_tools(self, toolgroup_id: str | None = None) -> ListToolsResponse:
        """Raises ``NotFoundError`` for an unknown group."""
        ...

    @webmethod("GET", "/v1/tools/{tool_name:path}", summary="Get a tool.")
    async def get_tool(self, tool_name: str) -> Tool:
        """Raises ``NotFoundError`` when no registered group offers the tool."""
        ...


API_SPEC = ApiSpec(
    api=Api.tool_groups, protocol=ToolGroups, framework=True, description="Tool group registry"
)
