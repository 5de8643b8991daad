"""OpenAI chat messages and tools, reduced to the plain shapes the chat formats render."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from llama_stack_api import InvalidRequestError, NotSupportedError
from llama_stack_api.inference import (
    OpenAIAllowedToolsChoice,
    OpenAIAssistantMessageParam,
    OpenAIChatCompletionFunctionTool,
    OpenAIChatCompletionTool,
    OpenAIChatCompletionToolCall,
    OpenAIDeveloperMessageParam,
    OpenAIFunctionMessageParam,
    OpenAIMessageParam,
    OpenAINamedToolChoice,
    OpenAISystemMessageParam,
    OpenAIToolChoice,
    OpenAIToolMessageParam,
    OpenAIUserMessageParam,
)


@dataclass(frozen=True)
class ToolCallRequest:
    """A call the model made (or makes): ``arguments`` is JSON text, as OpenAI carries it."""

    id: str
    name: str
    arguments: str

    def arguments_dict(self) -> dict[str, Any]:
        """The arguments as a dict; text that is not a JSON object is kept under ``"input"``."""
        try:
            parsed = json.loads(self.arguments) if self.arguments.strip() else {}
        except json.JSONDecodeError:
            return {"input": self.arguments}
        return parsed if isinstance(parsed, dict) else {"input": parsed}


@dataclass(frozen=True)
class ChatMessage:
    """One turn: ``role`` is system, user, assistant or tool; ``content`` is plain text."""

    role: str
    content: str
    tool_calls: tuple[ToolCallRequest, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class FunctionTool:
    """A function the model may call; ``parameters`` is its JSON Schema (``{}`` when none)."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolChoice:
    """What the model may do with the tools: ``auto`` or ``required`` (``function`` names the one tool)."""

    mode: str = "auto"
    function: str | None = None


def _text(content: Any, *, role: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content:
        kind = getattr(part, "type", None)
        if kind == "text":
            parts.append(part.text)
        elif kind == "refusal":
            parts.append(part.refusal)
        else:
            raise NotSupportedError(
                f"meta-reference serves text-only models; a {role} message has a {kind!r} part. "
                "Send text parts only."
            )
    return "".join(parts)


def to_chat_messages(messages: list[OpenAIMessageParam]) -> list[ChatMessage]:
    """Every OpenAI role as a ``ChatMessage`` (developer -> system, function -> tool).

    Raises ``InvalidRequestError`` for an empty conversation and ``NotSupportedError``
    for images, audio, files and custom (free-form) tool calls.
    """
    if not messages:
        raise InvalidRequestError("messages must not be empty", param="messages")
    converted: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, OpenAISystemMessageParam | OpenAIDeveloperMessageParam):
            converted.append(ChatMessage("system", _text(message.content, role="system"), name=message.name))
        elif isinstance(message, OpenAIUserMessageParam):
            converted.append(ChatMessage("user", _text(message.content, role="user"), name=message.name))
        elif isinstance(message, OpenAIAssistantMessageParam):
            if message.audio is not None:
                raise NotSupportedError("meta-reference cannot take earlier audio answers as history")
            calls: list[ToolCallRequest] = []
            for call in message.tool_calls or []:
                if not isinstance(call, OpenAIChatCompletionToolCall):
                    raise NotSupportedError(
                        "meta-reference supports function tool calls only, not custom tools"
                    )
                calls.append(ToolCallRequest(call.id, call.function.name, call.function.arguments))
            if message.function_call is not None:
                fc = message.function_call
                calls.append(ToolCallRequest(f"call_{fc.name}", fc.name, fc.arguments))
            text = _text(message.content, role="assistant")
            if message.refusal and not text:
                text = message.refusal
            converted.append(ChatMessage("assistant", text, tool_calls=tuple(calls), name=message.name))
        elif isinstance(message, OpenAIToolMessageParam):
            converted.append(
                ChatMessage("tool", _text(message.content, role="tool"), tool_call_id=message.tool_call_id)
            )
        elif isinstance(message, OpenAIFunctionMessageParam):
            converted.append(ChatMessage("tool", message.content or "", name=message.name))
        else:  # pragma: no cover - the discriminated union has no other member
            raise InvalidRequestError(f"unknown message role {getattr(message, 'role', None)!r}")
    for turn in list(converted):
        if turn.role == "tool" and turn.name is None and turn.tool_call_id:
            _name_tool_result(converted, turn)
    return converted


def _name_tool_result(messages: list[ChatMessage], result: ChatMessage) -> None:
    # templates often print the tool's name next to its result; find it from the call's id
    for message in messages:
        for call in message.tool_calls:
            if call.id == result.tool_call_id:
                index = messages.index(result)
                messages[index] = ChatMessage(
                    "tool", result.content, tool_call_id=result.tool_call_id, name=call.name
                )
                return


def to_function_tools(tools: list[OpenAIChatCompletionTool] | None) -> list[FunctionTool]:
    """The function tools of a request; custom (free-form) tools raise ``NotSupportedError``."""
    functions: list[FunctionTool] = []
    for tool in tools or []:
        if not isinstance(tool, OpenAIChatCompletionFunctionTool):
            raise NotSupportedError(
                "meta-reference supports function tools only, not custom (free-form) tools", param="tools"
            )
        fn = tool.function
        functions.append(FunctionTool(fn.name, fn.description or "", dict(fn.parameters or {})))
    names = [f.name for f in functions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidRequestError(
            f"tool names must be unique; repeated: {', '.join(duplicates)}", param="tools"
        )
    return functions


def resolve_tool_choice(
    tools: list[FunctionTool], tool_choice: OpenAIToolChoice | None
) -> tuple[list[FunctionTool], ToolChoice]:
    """The tools the model is shown and what it is asked to do with them.

    ``none`` hides the tools; a named tool must be one of them; ``allowed_tools``
    narrows the list. Raises ``InvalidRequestError`` for a choice without tools or
    an unknown name.
    """
    if tool_choice is None:
        return tools, ToolChoice("auto")
    if tool_choice == "none":
        return [], ToolChoice("auto")
    if not tools:
        raise InvalidRequestError("tool_choice needs tools", param="tool_choice")
    known = {t.name for t in tools}
    if tool_choice in ("auto", "required"):
        return tools, ToolChoice(str(tool_choice))
    if isinstance(tool_choice, OpenAINamedToolChoice):
        name = tool_choice.function.name
        if name not in known:
            raise InvalidRequestError(
                f"tool_choice names {name!r}, which is not among the tools: {', '.join(sorted(known))}",
                param="tool_choice",
            )
        return tools, ToolChoice("required", function=name)
    if isinstance(tool_choice, OpenAIAllowedToolsChoice):
        allowed: set[str] = set()
        for ref in tool_choice.allowed_tools.tools:
            function = ref.get("function")
            ref_name = function.get("name") if isinstance(function, dict) else ref.get("name")
            if ref_name not in known:
                raise InvalidRequestError(
                    f"allowed_tools names {ref_name!r}, which is not among the tools", param="tool_choice"
                )
            allowed.add(str(ref_name))
        return [t for t in tools if t.name in allowed], ToolChoice(tool_choice.allowed_tools.mode)
    raise NotSupportedError(
        "meta-reference supports function tools only, not custom tools", param="tool_choice"
    )
