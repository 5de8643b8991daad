"""The tools of an agent's turn: its tool groups (through the Tool Runtime API) and its client tools.

A group is named ``group`` (all its tools) or ``group/tool`` (one tool);
``args`` given with the group are passed to every call of its tools (the RAG
tool's ``vector_db_ids``) and override what the model sends. A session that
has documents adds its own store to the RAG tool's.
"""

from __future__ import annotations

from typing import Any

from llama_stack_api import InvalidRequestError, NotFoundError
from llama_stack_api.agents import AgentToolGroup, AgentToolGroupWithArgs
from llama_stack_api.inference import InterleavedContent
from llama_stack_api.tool_runtime import ToolDef, ToolInvocationResult

from .engine import EngineTool, ToolOutcome, ToolSet, schema_from_tool_def

RAG_GROUP = "builtin::rag"
KNOWLEDGE_SEARCH = "knowledge_search"
WEB_SEARCH = "web_search"
CODE_INTERPRETER = "code_interpreter"
# Llama 3.1+ models were trained to search the web as the built-in `brave_search`
# (`<|python_tag|>brave_search.call(query=...)`), and the local Llama parses that form only for a tool
# offered under that name; any other model reads it as an ordinary "search the web" function.
WEB_SEARCH_AS_OFFERED = "brave_search"


def group_name_and_args(group: AgentToolGroup) -> tuple[str, dict[str, Any]]:
    if isinstance(group, AgentToolGroupWithArgs):
        return group.name, dict(group.args)
    return group, {}


async def build_toolset(
    tool_runtime: Any,
    groups: list[AgentToolGroup],
    client_tools: list[ToolDef],
    session_store: str | None,
    session_id: str | None = None,
) -> ToolSet:
    """Every tool of ``groups`` (asked of the tool runtime now) and the client tools.

    Raises ``InvalidRequestError`` for a group that is not registered or names no
    tool it offers, and for a client tool whose name a group's tool already has.
    """
    tools = ToolSet()
    names_by_group = [group_name_and_args(g) for g in groups]
    if session_store is not None and not any(n.partition("/")[0] == RAG_GROUP for n, _ in names_by_group):
        names_by_group.append((RAG_GROUP, {}))
    for name, args in names_by_group:
        group_id, _, only = name.partition("/")
        if group_id == RAG_GROUP and session_store is not None:
            args = {**args, "vector_db_ids": [*_as_list(args.get("vector_db_ids")), session_store]}
        for tool in await _group_tools(tool_runtime, group_id, only):
            tool_args = args
            if tool.name == CODE_INTERPRETER and session_id is not None:
                # each agent session gets its own scratch folder (files persist across its turns)
                tool_args = {"session_id": session_id, **args}
            tools.add(_server_tool(tool_runtime, tool, group_id, tool_args))
    for tool in client_tools:
        if tools.get(tool.name) is not None:
            raise InvalidRequestError(
                f"client tool {tool.name!r} has the name of a tool group's tool; rename it",
                param="client_tools",
            )
        tools.add(EngineTool(tool.name, tool.description or "", schema_from_tool_def(tool), kind="client"))
    return tools


async def _group_tools(tool_runtime: Any, group_id: str, only: str) -> list[ToolDef]:
    if tool_runtime is None:
        raise InvalidRequestError(
            f"tool group {group_id!r} is named but this stack serves no tool_runtime API", param="toolgroups"
        )
    try:
        defs: list[ToolDef] = (await tool_runtime.list_runtime_tools(tool_group_id=group_id)).data
    except NotFoundError as exc:
        raise InvalidRequestError(str(exc), param="toolgroups") from exc
    if not only:
        return defs
    chosen = [d for d in defs if d.name == only]
    if not chosen:
        offered = ", ".join(d.name for d in defs) or "none"
        raise InvalidRequestError(
            f"tool group {group_id!r} has no tool {only!r}; its tools: {offered}", param="toolgroups"
        )
    return chosen


def _server_tool(tool_runtime: Any, tool: ToolDef, group_id: str, args: dict[str, Any]) -> EngineTool:
    async def invoke(arguments: dict[str, Any]) -> ToolOutcome:
        result = await tool_runtime.invoke_tool(tool_name=tool.name, kwargs={**arguments, **args})
        return outcome_from_result(result)

    kind = {KNOWLEDGE_SEARCH: KNOWLEDGE_SEARCH, WEB_SEARCH: WEB_SEARCH}.get(tool.name, "function")
    return EngineTool(
        WEB_SEARCH_AS_OFFERED if tool.name == WEB_SEARCH else tool.name,
        tool.description or "",
        schema_from_tool_def(tool),
        kind=kind,
        invoke=invoke,
        metadata={"toolgroup_id": group_id},
    )


def outcome_from_result(result: ToolInvocationResult) -> ToolOutcome:
    text = interleaved_text(result.content)
    if result.error_message:
        return ToolOutcome(
            content=f"Error: {result.error_message}" + (f"\n{text}" if text else ""),
            error=result.error_message,
            metadata=dict(result.metadata or {}),
        )
    return ToolOutcome(content=text, metadata=dict(result.metadata or {}))


def interleaved_text(content: InterleavedContent | None) -> str:
    """The text of native interleaved content (images are left out: a tool result for a text model)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    items = content if isinstance(content, list) else [content]
    return "\n".join(getattr(item, "text", "") for item in items if getattr(item, "type", "") == "text")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
