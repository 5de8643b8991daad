"""OpenAI chat requests as chat-template input, and tool calls in and out of plain model text.

llama.cpp renders prompts with the model's Jinja chat template, which expects
plain ``{"role", "content"}`` dicts. Tools reach the model in one of two ways:
templates that render ``tools`` themselves get them as OpenAI tool dicts;
for the others (SmolLM2's ChatML, ...) the tools and the expected reply shape
are described in the system message. Either way the model answers a call with
``{"name": ..., "arguments": {...}}`` (optionally inside ``<tool_call>`` tags);
forced calls (``tool_choice`` naming a tool, or ``required``) are held to that
shape by a JSON-schema grammar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from llama_stack_api import InvalidRequestError, NotSupportedError
from llama_stack_api.inference import (
    OpenAIAllowedToolsChoice,
    OpenAIAssistantMessageParam,
    OpenAIChatCompletionFunctionTool,
    OpenAIChatCompletionTool,
    OpenAIChatCompletionToolCall,
    OpenAIDeveloperMessageParam,
    OpenAIFunctionCallChoice,
    OpenAIFunctionDefinition,
    OpenAIFunctionMessageParam,
    OpenAIMessageParam,
    OpenAINamedFunction,
    OpenAINamedToolChoice,
    OpenAISystemMessageParam,
    OpenAIToolChoice,
    OpenAIToolMessageParam,
    OpenAIUserMessageParam,
)

ToolMode = Literal["none", "auto", "forced"]

TOOL_INSTRUCTIONS = (
    "You can call these functions:\n{tools}\n\n"
    "To call a function, reply with only a JSON object of the form "
    '{{"name": <function name>, "arguments": <object of arguments>}}. '
    "Otherwise, answer normally."
)
# how models mark a tool call: Hermes / Qwen tags, Llama 3's python tag, markdown fences
_WRAPPERS = re.compile(r"</?tool_call>|<\|python_tag\|>|```(?:json)?")
_CALL_PREFIXES = ("{", "[", "<tool_call>", "<|python_tag|>", "```")


@dataclass(frozen=True)
class ToolPlan:
    """Which tools the model sees and whether it must call one."""

    mode: ToolMode = "none"
    functions: list[OpenAIFunctionDefinition] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)
    parallel: bool = True

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def forced_schema(self) -> dict[str, Any]:
        """The JSON Schema of a call to one of the forced tools (for the grammar)."""
        options = [
            {
                "type": "object",
                "properties": {"name": {"const": f.name}, "arguments": f.parameters or {"type": "object"}},
                "required": ["name", "arguments"],
            }
            for f in self.functions
            if f.name in self.forced
        ]
        return options[0] if len(options) == 1 else {"oneOf": options}


def plan_tools(
    tools: list[OpenAIChatCompletionTool] | None,
    tool_choice: OpenAIToolChoice | None,
    functions: list[OpenAIFunctionDefinition] | None,
    function_call: OpenAIFunctionCallChoice | None,
    parallel_tool_calls: bool | None,
) -> ToolPlan:
    """Validate the tool fields of a request (the deprecated ``functions`` included)."""
    if functions is not None or function_call is not None:
        if tools is not None or tool_choice is not None:
            raise InvalidRequestError(
                "give either tools/tool_choice or the deprecated functions/function_call"
            )
        tools = [OpenAIChatCompletionFunctionTool(function=f) for f in functions or []]
        if isinstance(function_call, str):
            tool_choice = function_call
        elif function_call is not None:
            tool_choice = OpenAINamedToolChoice(function=OpenAINamedFunction(name=function_call.name))
    defined: list[OpenAIFunctionDefinition] = []
    for i, tool in enumerate(tools or []):
        if not isinstance(tool, OpenAIChatCompletionFunctionTool):
            raise NotSupportedError(
                "custom (free-form input) tools are not supported by inline::llama-cpp; define function tools",
                param=f"tools[{i}]",
            )
        defined.append(tool.function)
    names = [f.name for f in defined]
    parallel = parallel_tool_calls is not False
    if tool_choice is None:
        tool_choice = "auto" if defined else "none"
    if isinstance(tool_choice, OpenAIAllowedToolsChoice):
        allowed = {ref.get("function", {}).get("name") for ref in tool_choice.allowed_tools.tools}
        defined = [f for f in defined if f.name in allowed]
        tool_choice = tool_choice.allowed_tools.mode
    if tool_choice == "none" or not defined:
        if tool_choice not in ("none", "auto"):
            raise InvalidRequestError(
                f"tool_choice {_describe(tool_choice)} needs tools", param="tool_choice"
            )
        return ToolPlan()
    if tool_choice == "auto":
        return ToolPlan("auto", defined, parallel=parallel)
    if tool_choice == "required":
        return ToolPlan("forced", defined, forced=[f.name for f in defined], parallel=parallel)
    if isinstance(tool_choice, OpenAINamedToolChoice):
        name = tool_choice.function.name
        if name not in names:
            raise InvalidRequestError(
                f"tool_choice names function {name!r}, which is not in tools ({', '.join(names)})",
                param="tool_choice",
            )
        return ToolPlan("forced", defined, forced=[name], parallel=parallel)
    raise NotSupportedError(
        f"tool_choice {_describe(tool_choice)} is not supported by inline::llama-cpp", param="tool_choice"
    )


def _describe(choice: Any) -> str:
    return repr(choice) if isinstance(choice, str) else repr(getattr(choice, "type", choice))


# --- messages ------------------------------------------------------------------------------------


def template_messages(
    messages: list[OpenAIMessageParam], plan: ToolPlan, *, template_has_tools: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(messages for the chat template, tools for the template or ``None``)."""
    rendered = [_message(m, i, template_has_tools) for i, m in enumerate(messages)]
    if plan.mode == "none":
        return rendered, None
    tool_dicts = [
        {"type": "function", "function": f.model_dump(exclude_none=True, exclude={"strict"})}
        for f in plan.functions
    ]
    if template_has_tools:
        return rendered, tool_dicts
    listing = "\n".join(json.dumps(t["function"]) for t in tool_dicts)
    instructions = TOOL_INSTRUCTIONS.format(tools=listing)
    if rendered and rendered[0]["role"] == "system":
        rendered[0] = {**rendered[0], "content": f"{rendered[0]['content']}\n\n{instructions}"}
    else:
        rendered.insert(0, {"role": "system", "content": instructions})
    return rendered, None


def _message(message: OpenAIMessageParam, index: int, template_has_tools: bool) -> dict[str, Any]:
    where = f"messages[{index}]"
    if isinstance(message, OpenAISystemMessageParam | OpenAIDeveloperMessageParam):
        return {"role": "system", "content": _text(message.content, where)}
    if isinstance(message, OpenAIUserMessageParam):
        return {"role": "user", "content": _text(message.content, where)}
    if isinstance(message, OpenAIAssistantMessageParam):
        return _assistant(message, where, template_has_tools)
    if isinstance(message, OpenAIToolMessageParam):
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": _text(message.content, where),
        }
    if isinstance(message, OpenAIFunctionMessageParam):
        return {"role": "tool", "name": message.name, "content": message.content or ""}
    raise InvalidRequestError(f"{where}: unknown role", param=where)


def _assistant(message: OpenAIAssistantMessageParam, where: str, template_has_tools: bool) -> dict[str, Any]:
    content = _text(message.content, where) if message.content is not None else ""
    calls = [
        (c.id, c.function.name, c.function.arguments)
        for c in message.tool_calls or []
        if isinstance(c, OpenAIChatCompletionToolCall)
    ]
    if message.function_call is not None:
        calls.append(("call_0", message.function_call.name, message.function_call.arguments))
    if not calls:
        return {"role": "assistant", "content": content}
    if template_has_tools:
        return {
            "role": "assistant",
            "content": content,
            "tool_calls": [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": _arguments(args)}}
                for cid, name, args in calls
            ],
        }
    # the model sees its earlier calls in the shape it was told to use
    shown = [json.dumps({"name": name, "arguments": _arguments(args)}) for _, name, args in calls]
    return {"role": "assistant", "content": "\n".join(filter(None, [content, *shown]))}


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for i, part in enumerate(content):
        kind = getattr(part, "type", None)
        if kind == "text":
            parts.append(part.text)
        elif kind == "refusal":
            parts.append(part.refusal)
        else:
            raise NotSupportedError(
                f"{where}.content[{i}]: {kind} content is not supported by inline::llama-cpp (text only)",
                param=f"{where}.content",
            )
    return "".join(parts)


# --- tool calls out of model text ----------------------------------------------------------------


def parse_tool_calls(text: str, plan: ToolPlan) -> list[tuple[str, str]] | None:
    """``[(name, arguments JSON)]`` when ``text`` is a call (or list of calls) to known tools, else ``None``."""
    body = _WRAPPERS.sub("\n", text).strip()
    if not body:
        return None
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = 0
    try:
        while position < len(body):
            value, position = decoder.raw_decode(body, position)
            values.extend(value if isinstance(value, list) else [value])
            while position < len(body) and body[position] in " \t\r\n,;":
                position += 1
    except ValueError:
        return None
    calls = []
    for value in values:
        if not isinstance(value, dict) or value.get("name") not in plan.names:
            return None
        arguments = value.get("arguments", value.get("parameters", {}))
        if isinstance(arguments, str):
            arguments = _arguments(arguments)
        if not isinstance(arguments, dict):
            return None
        calls.append((str(value["name"]), json.dumps(arguments)))
    if not calls:
        return None
    return calls if plan.parallel else calls[:1]


def may_be_tool_call(text: str) -> bool | None:
    """Whether streamed text is starting a tool call: ``True``, ``False``, or ``None`` (cannot tell yet)."""
    head = text.lstrip()
    if not head:
        return None
    if any(head.startswith(p) for p in _CALL_PREFIXES):
        return True
    if any(p.startswith(head) for p in _CALL_PREFIXES):
        return None
    return False
