"""``remote::model-context-protocol``: the tools of remote MCP servers, listed and called per tool group."""

from __future__ import annotations

from typing import Any

from llama_stack_api import (
    Api,
    InvalidRequestError,
    ToolGroup,
    current_provider_data,
    current_resource,
)
from llama_stack_api.inference import (
    URL,
    ImageContentItem,
    ImageSource,
    InterleavedContentItem,
    TextContentItem,
)
from llama_stack_api.tool_runtime import (
    ListToolDefsResponse,
    ToolDef,
    ToolInvocationResult,
    ToolParameter,
)
from llama_stack_providers.utils.mcp_client import MCPContent, MCPToolDef, call_mcp_tool, list_mcp_tools
from llama_stack_providers.utils.tool_runtime import WithoutRAGTool

from .config import MCPToolRuntimeConfig

PROVIDER_TYPE = "remote::model-context-protocol"
PROVIDER_DATA_KEY = "mcp_headers"
_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")


class MCPToolRuntime(WithoutRAGTool):
    """Implements ``ToolRuntime`` over MCP: each tool group is one server, named by its ``mcp_endpoint``.

    Every list or call is a fresh MCP session (see ``client``); headers are the config's, overridden
    per request by provider data ``{"mcp_headers": {endpoint_uri: {header: value}}}``.
    """

    provider_type = PROVIDER_TYPE

    def __init__(self, config: MCPToolRuntimeConfig) -> None:
        self.config = config

    async def list_runtime_tools(
        self, tool_group_id: str | None = None, mcp_endpoint: URL | None = None
    ) -> ListToolDefsResponse:
        if mcp_endpoint is None or not mcp_endpoint.uri:
            raise InvalidRequestError(
                f"{PROVIDER_TYPE} needs the MCP server's `mcp_endpoint` ({{'uri': ...}}) to list tools"
                + (f" of tool group {tool_group_id!r}" if tool_group_id else ""),
                param="mcp_endpoint",
            )
        endpoint = mcp_endpoint.uri
        tools = await list_mcp_tools(
            endpoint, headers=self._headers(endpoint), timeout_s=self.config.timeout_s
        )
        return ListToolDefsResponse(data=[tool_def(tool, endpoint) for tool in tools])

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        endpoint = _group_endpoint(tool_name)
        result = await call_mcp_tool(
            endpoint,
            tool_name,
            kwargs,
            headers=self._headers(endpoint),
            timeout_s=self.config.timeout_s,
        )
        content = _content(result.content)
        if result.is_error:
            return ToolInvocationResult(
                content=content or None, error_message=result.error_message or "the tool reported an error"
            )
        return ToolInvocationResult(content=content)

    def _headers(self, endpoint: str) -> dict[str, str]:
        """The config's headers, with this request's ``mcp_headers`` for ``endpoint`` over them."""
        merged = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        for name, value in _request_headers(endpoint).items():
            for existing in [key for key in merged if key.lower() == name.lower()]:
                del merged[existing]
            merged[name] = value
        return merged


def _request_headers(endpoint: str) -> dict[str, str]:
    """This request's headers for ``endpoint`` from provider data (``{uri: {header: value}}``)."""
    per_endpoint = current_provider_data().get(PROVIDER_DATA_KEY)
    if per_endpoint is None:
        return {}
    if not isinstance(per_endpoint, dict):
        raise InvalidRequestError(
            f"provider data `{PROVIDER_DATA_KEY}` must map MCP endpoint URIs to header objects",
            param=PROVIDER_DATA_KEY,
        )
    headers = per_endpoint.get(endpoint)
    if headers is None:
        headers = per_endpoint.get(endpoint.rstrip("/"), per_endpoint.get(endpoint.rstrip("/") + "/"))
    if headers is None:
        return {}
    if not isinstance(headers, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in headers.items()
    ):
        raise InvalidRequestError(
            f"provider data `{PROVIDER_DATA_KEY}[{endpoint!r}]` must be an object of string header values",
            param=PROVIDER_DATA_KEY,
        )
    return dict(headers)


def _group_endpoint(tool_name: str) -> str:
    """The MCP endpoint of the tool group the router is calling this provider for."""
    group = current_resource()
    if not isinstance(group, ToolGroup):
        raise InvalidRequestError(
            f"{PROVIDER_TYPE} runs tools of registered tool groups only; {tool_name!r} was not routed "
            "through one",
            param="tool_name",
        )
    uri = (group.mcp_endpoint or {}).get("uri")
    if not isinstance(uri, str) or not uri:
        raise InvalidRequestError(
            f"tool group {group.identifier!r} has no `mcp_endpoint` for {PROVIDER_TYPE} to call",
            param="mcp_endpoint",
        )
    return uri


def tool_def(tool: MCPToolDef, endpoint: str) -> ToolDef:
    """A ``ToolDef`` for an MCP tool: its JSON-schema properties as parameters, the schema in metadata."""
    return ToolDef(
        name=tool.name,
        description=tool.description,
        parameters=parameters(tool.input_schema),
        metadata={"endpoint": endpoint, "input_schema": tool.input_schema},
    )


def parameters(schema: dict[str, Any]) -> list[ToolParameter]:
    """The top-level properties of a JSON object schema, in order, as ``ToolParameter``s."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = schema.get("required")
    required_names = (
        {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()
    )
    result: list[ToolParameter] = []
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        description = prop.get("description") or prop.get("title") or ""
        result.append(
            ToolParameter(
                name=name,
                parameter_type=_parameter_type(prop),
                description=description if isinstance(description, str) else "",
                required=name in required_names,
                default=prop.get("default"),
            )
        )
    return result


def _parameter_type(prop: dict[str, Any]) -> str:
    """The property's JSON type (the first non-null one of a union); ``string`` when the schema gives none."""
    declared = prop.get("type")
    candidates: list[Any] = list(declared) if isinstance(declared, list) else [declared]
    for key in ("anyOf", "oneOf"):
        alternatives = prop.get(key)
        if isinstance(alternatives, list):
            candidates.extend(alt.get("type") for alt in alternatives if isinstance(alt, dict))
    for candidate in candidates:
        if candidate in _JSON_TYPES:
            return str(candidate)
    if "properties" in prop:
        return "object"
    if "items" in prop:
        return "array"
    return "string"


def _content(blocks: list[MCPContent]) -> list[InterleavedContentItem]:
    items: list[InterleavedContentItem] = []
    for block in blocks:
        if block.type == "image" and block.data is not None:
            items.append(ImageContentItem(image=ImageSource(data=block.data)))
        else:
            items.append(TextContentItem(text=block.text or ""))
    return items


async def create(config: MCPToolRuntimeConfig, deps: dict[Api, Any]) -> MCPToolRuntime:
    return MCPToolRuntime(config)
