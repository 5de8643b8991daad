"""The tools of a response: functions the client runs, and file search, web search and MCP run in the stack.

``file_search`` searches the request's vector stores through the Vector IO API;
``web_search`` calls the ``web_search`` tool of a registered tool group
(``builtin::websearch``: Brave or Tavily); an ``mcp`` tool lists the server's
tools (reported as an ``mcp_list_tools`` item) and offers each, calling it
over MCP with the request's headers. An MCP tool that needs approval is
offered like a client tool: the loop pauses on it and the response asks for
approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import InvalidRequestError, LlamaStackError, NotFoundError
from llama_stack_api.responses import (
    FileSearchTool,
    FunctionTool,
    McpListToolsTool,
    McpTool,
    McpToolFilter,
    ResponseMcpListTools,
    ResponseTool,
    WebSearchTool,
)
from llama_stack_api.vector_io import SearchRankingOptions
from llama_stack_providers.utils.mcp_client import MCPToolDef, call_mcp_tool, list_mcp_tools

from ..agent_tools import WEB_SEARCH_AS_OFFERED, outcome_from_result
from ..engine import EngineTool, ToolOutcome, ToolSet
from .items import new_item_id

WEB_SEARCH_GROUP = "builtin::websearch"
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "What to search for."}},
    "required": ["query"],
}


@dataclass
class McpServerTool:
    """Where an offered MCP tool lives, and whether calling it needs the user's approval."""

    server_label: str
    server_url: str
    headers: dict[str, str]
    needs_approval: bool


@dataclass(frozen=True)
class CitedFile:
    file_id: str
    filename: str


@dataclass
class ResponseTools:
    """The loop's tools, the ``mcp_list_tools`` items to report, the MCP tools by name, and the files that
    file search showed the model, numbered across the response (``[n]`` in the answer cites ``sources[n-1]``)."""

    toolset: ToolSet = field(default_factory=ToolSet)
    listings: list[ResponseMcpListTools] = field(default_factory=list)
    mcp: dict[str, McpServerTool] = field(default_factory=dict)
    sources: list[CitedFile] = field(default_factory=list)


async def build_response_tools(
    tools: list[ResponseTool], vector_io: Any | None, tool_runtime: Any | None, mcp_timeout_s: float
) -> ResponseTools:
    built = ResponseTools()
    for tool in tools:
        if isinstance(tool, FunctionTool):
            built.toolset.add(
                EngineTool(
                    tool.name, tool.description or "", tool.parameters or EMPTY_SCHEMA, kind="function"
                )
            )
        elif isinstance(tool, FileSearchTool):
            built.toolset.add(_file_search(tool, vector_io, built.sources))
        elif isinstance(tool, WebSearchTool):
            built.toolset.add(await _web_search(tool_runtime))
        elif isinstance(tool, McpTool):
            await _add_mcp(built, tool, mcp_timeout_s)
    return built


def _file_search(tool: FileSearchTool, vector_io: Any | None, sources: list[CitedFile]) -> EngineTool:
    if vector_io is None:
        raise InvalidRequestError("file_search needs the vector_io API in this stack", param="tools")
    limit = tool.max_num_results or 10
    ranking = (
        SearchRankingOptions(score_threshold=tool.ranking_options.score_threshold or 0.0)
        if tool.ranking_options is not None
        else None
    )

    async def invoke(arguments: dict[str, Any]) -> ToolOutcome:
        query = str(arguments.get("query") or "")
        found: list[Any] = []
        for store_id in tool.vector_store_ids:
            page = await vector_io.openai_search_vector_store(
                vector_store_id=store_id,
                query=query,
                filters=tool.filters,
                max_num_results=limit,
                ranking_options=ranking,
            )
            found.extend(page.data)
        found.sort(key=lambda r: r.score, reverse=True)
        found = found[:limit]
        results = [
            {
                "file_id": r.file_id,
                "filename": r.filename,
                "score": r.score,
                "text": "\n".join(c.text for c in r.content),
                "attributes": r.attributes or {},
            }
            for r in found
        ]
        lines = [
            f"file_search found {len(results)} results for {query!r}. Cite a result you use by its "
            "number in brackets, e.g. [1]."
        ]
        for result in results:
            sources.append(CitedFile(result["file_id"], result["filename"]))
            lines.append(f"[{len(sources)}] {result['filename']}:\n{result['text']}")
        return ToolOutcome(content="\n\n".join(lines), metadata={"queries": [query], "results": results})

    return EngineTool(
        "file_search",
        "Search the user's files for passages relevant to a query.",
        QUERY_SCHEMA,
        kind="file_search",
        invoke=invoke,
    )


async def _web_search(tool_runtime: Any | None) -> EngineTool:
    missing = InvalidRequestError(
        f"web_search needs a tool group {WEB_SEARCH_GROUP!r} (remote::brave-search or remote::tavily-search) "
        "registered in this stack",
        param="tools",
    )
    if tool_runtime is None:
        raise missing
    try:
        offered = (await tool_runtime.list_runtime_tools(tool_group_id=WEB_SEARCH_GROUP)).data
    except NotFoundError as exc:
        raise missing from exc
    if not any(d.name == "web_search" for d in offered):
        raise missing

    async def invoke(arguments: dict[str, Any]) -> ToolOutcome:
        query = str(arguments.get("query") or "")
        result = await tool_runtime.invoke_tool(tool_name="web_search", kwargs={"query": query})
        outcome = outcome_from_result(result)
        outcome.metadata.setdefault("queries", [query])
        return outcome

    return EngineTool(
        WEB_SEARCH_AS_OFFERED,
        "Search the web for up-to-date information.",
        QUERY_SCHEMA,
        kind="web_search",
        invoke=invoke,
    )


async def _add_mcp(built: ResponseTools, tool: McpTool, timeout_s: float) -> None:
    if not tool.server_url:
        raise InvalidRequestError(
            f"mcp tool {tool.server_label!r} needs a server_url (connectors are not served here)",
            param="tools",
        )
    headers = dict(tool.headers or {})
    if tool.authorization:
        headers.setdefault("Authorization", f"Bearer {tool.authorization}")
    listing = ResponseMcpListTools(id=new_item_id("mcp_list_tools"), server_label=tool.server_label)
    built.listings.append(listing)
    try:
        defs = await list_mcp_tools(tool.server_url, headers=headers, timeout_s=timeout_s)
    except LlamaStackError as exc:
        # reported as the listing's error, as OpenAI does; the response goes on without these tools
        listing.error = str(exc)
        return
    for definition in defs:
        if not _allowed(definition, tool.allowed_tools):
            continue
        listing.tools.append(
            McpListToolsTool(
                name=definition.name, description=definition.description, input_schema=definition.input_schema
            )
        )
        needs_approval = _needs_approval(definition.name, tool.require_approval)
        built.mcp[definition.name] = McpServerTool(
            tool.server_label, tool.server_url, headers, needs_approval
        )
        schema = definition.input_schema if definition.input_schema.get("type") == "object" else EMPTY_SCHEMA
        built.toolset.add(
            EngineTool(
                definition.name,
                definition.description or "",
                schema,
                kind="mcp",
                invoke=None
                if needs_approval
                else _mcp_invoke(tool.server_url, definition.name, headers, timeout_s),
                metadata={"server_label": tool.server_label},
            )
        )


def _mcp_invoke(url: str, name: str, headers: dict[str, str], timeout_s: float) -> Any:
    async def invoke(arguments: dict[str, Any]) -> ToolOutcome:
        return await run_mcp_call(url, name, arguments, headers, timeout_s)

    return invoke


async def run_mcp_call(
    url: str, name: str, arguments: dict[str, Any], headers: dict[str, str], timeout_s: float
) -> ToolOutcome:
    """Call an MCP tool; its failure (or the server's) is an outcome with ``error``."""
    try:
        result = await call_mcp_tool(url, name, arguments, headers=headers, timeout_s=timeout_s)
    except LlamaStackError as exc:
        return ToolOutcome(content=f"Error: {exc}", error=str(exc))
    text = "\n".join(block.text or "" for block in result.content if block.type == "text")
    if result.is_error:
        message = result.error_message or text or "the tool failed"
        return ToolOutcome(content=f"Error: {message}", error=message)
    return ToolOutcome(content=text)


def _allowed(definition: MCPToolDef, allowed: list[str] | McpToolFilter | None) -> bool:
    if allowed is None:
        return True
    if isinstance(allowed, list):
        return definition.name in allowed
    return allowed.tool_names is None or definition.name in allowed.tool_names


def _needs_approval(name: str, policy: Any) -> bool:
    if policy == "never":
        return False
    if policy == "always" or policy is None:
        return True
    never = policy.never.tool_names if policy.never is not None else None
    always = policy.always.tool_names if policy.always is not None else None
    if never is not None and name in never:
        return False
    if always is not None:
        return name in always
    return never is None  # only a never-list given: the rest need approval


def arguments_json(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)
