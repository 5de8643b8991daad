"""Response items as chat messages (what the loop reads), and ids for items that lack one.

Input and conversation items become OpenAI chat messages: messages keep their
role (``developer`` reads as ``system``), consecutive ``function_call`` /
``mcp_call`` items become one assistant message with tool calls, and their
outputs tool messages. Hosted search calls are not replayed: their findings
are already in the answer that followed them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from llama_stack_api.responses import (
    ResponseFunctionToolCall,
    ResponseFunctionToolCallOutput,
    ResponseInput,
    ResponseInputImage,
    ResponseInputItem,
    ResponseInputText,
    ResponseMcpCall,
    ResponseMessage,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
)

ID_PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "file_search_call": "fs",
    "web_search_call": "ws",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcpl",
    "mcp_approval_request": "mcpr",
    "mcp_approval_response": "mcpa",
}


def new_item_id(kind: str) -> str:
    return f"{ID_PREFIXES.get(kind, 'item')}_{uuid.uuid4().hex}"


def input_items(value: ResponseInput) -> list[ResponseInputItem]:
    """The request's ``input`` as items, each with an id (a string is one user message)."""
    items: list[Any] = (
        [ResponseMessage(role="user", content=value)] if isinstance(value, str) else list(value)
    )
    for item in items:
        if getattr(item, "id", None) is None:
            item.id = new_item_id(item.type)
    return items


def messages_from_items(items: list[Any]) -> list[dict[str, Any]]:
    """Chat messages for ``items`` (input items, or a conversation's items, or output items)."""
    messages: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, ResponseMessage | ResponseOutputMessage):
            messages.append(_message(item))
        elif isinstance(item, ResponseFunctionToolCall):
            _call(messages, item.call_id, item.name, item.arguments)
        elif isinstance(item, ResponseFunctionToolCallOutput):
            messages.append(
                {"role": "tool", "tool_call_id": item.call_id, "content": _output_text(item.output)}
            )
        elif isinstance(item, ResponseMcpCall) and (item.output is not None or item.error is not None):
            _call(messages, item.id, item.name, item.arguments)
            result = item.output if item.output is not None else f"Error: {_error_text(item.error)}"
            messages.append({"role": "tool", "tool_call_id": item.id, "content": result})
    return messages


def _message(item: ResponseMessage | ResponseOutputMessage) -> dict[str, Any]:
    role = "system" if item.role == "developer" else item.role
    content = item.content
    if isinstance(content, str):
        return {"role": role, "content": content}
    if role != "user":
        return {"role": role, "content": "".join(_part_text(p) for p in content)}
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, ResponseInputImage) and part.image_url:
            parts.append({"type": "image_url", "image_url": {"url": part.image_url}})
        elif text := _part_text(part):
            parts.append({"type": "text", "text": text})
    return {"role": role, "content": parts}


def _part_text(part: Any) -> str:
    if isinstance(part, ResponseInputText | ResponseOutputText):
        return part.text
    if isinstance(part, ResponseOutputRefusal):
        return part.refusal
    text = getattr(part, "text", None)
    return text if isinstance(text, str) else ""


def _call(messages: list[dict[str, Any]], call_id: str, name: str, arguments: str) -> None:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        # text then calls in one answer (a message item followed by call items): one assistant message
        last.setdefault("tool_calls", []).append(call)
        return
    messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return "".join(_part_text(p) for p in output)


def _error_text(error: Any) -> str:
    if error is None:
        return ""
    message = getattr(error, "message", None)
    return (
        message
        if isinstance(message, str)
        else json.dumps(getattr(error, "content", str(error)), default=str)
    )
