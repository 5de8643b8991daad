"""The tools a loop may offer the model: how each is described, and how it runs (or that the caller runs it).

The loop knows nothing of tool groups, MCP servers or vector stores: an
adapter builds a ``ToolSet`` of ``EngineTool``s, each with its JSON schema and
an ``invoke`` coroutine. A tool without ``invoke`` is a *client* tool: the loop
pauses and hands its calls back to the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api.tool_runtime import ToolDef

from .events import ToolCallRequest, ToolOutcome

Invoke = Callable[[dict[str, Any]], Awaitable[ToolOutcome]]

JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}


@dataclass
class EngineTool:
    """One tool as the model sees it (``name``, ``description``, ``parameters`` JSON schema).

    ``kind`` is for the records and events (``function``, ``file_search``,
    ``web_search``, ``mcp``, ``knowledge_search`` ...); ``invoke`` is ``None``
    for a tool the caller runs.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    kind: str = "function"
    invoke: Invoke | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def runs_on_client(self) -> bool:
        return self.invoke is None

    def openai_definition(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class ToolSet:
    """The tools of one loop run, by name; a later tool with the same name replaces an earlier one."""

    def __init__(self, tools: list[EngineTool] | None = None) -> None:
        self._tools: dict[str, EngineTool] = {}
        for tool in tools or []:
            self.add(tool)

    def add(self, tool: EngineTool) -> None:
        self._tools[tool.name] = tool

    def get(self, name: str) -> EngineTool | None:
        return self._tools.get(name)

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)

    def openai_definitions(self) -> list[dict[str, Any]]:
        return [tool.openai_definition() for tool in self._tools.values()]

    async def run(self, call: ToolCallRequest, timeout_s: float | None) -> ToolOutcome:
        """Run a server-side call; an unknown tool, bad arguments, a failure or a timeout become an
        outcome with ``error`` (the model reads it and may recover), never an exception."""
        tool = self._tools.get(call.name)
        if tool is None or tool.invoke is None:
            offered = ", ".join(self.names()) or "none"
            return _failed(f"unknown tool {call.name!r}; the tools offered are: {offered}")
        if not isinstance(call.arguments, dict):
            return _failed(f"the arguments of {call.name!r} are not a JSON object: {call.arguments_json!r}")
        try:
            async with asyncio.timeout(timeout_s):
                return await tool.invoke(call.arguments)
        except TimeoutError:
            return _failed(f"tool {call.name!r} did not answer within {timeout_s:g}s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing tool is reported to the model, which may try another way
            return _failed(f"tool {call.name!r} failed: {type(exc).__name__}: {exc}")


def _failed(message: str) -> ToolOutcome:
    return ToolOutcome(content=f"Error: {message}", error=message)


def schema_from_tool_def(tool: ToolDef) -> dict[str, Any]:
    """The JSON schema of a llama-stack ``ToolDef``: the one it carries (MCP tools keep theirs in
    ``metadata.input_schema``), else one built from its parameter list."""
    carried = (tool.metadata or {}).get("input_schema")
    if isinstance(carried, dict) and carried.get("type") == "object":
        return carried
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in tool.parameters:
        kind = parameter.parameter_type if parameter.parameter_type in JSON_TYPES else "string"
        prop: dict[str, Any] = {"type": kind}
        if parameter.description:
            prop["description"] = parameter.description
        if parameter.default is not None:
            prop["default"] = parameter.default
        properties[parameter.name] = prop
        if parameter.required and parameter.default is None:
            required.append(parameter.name)
    return {"type": "object", "properties": properties, "required": required}
