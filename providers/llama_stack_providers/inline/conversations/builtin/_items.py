"""The stored form of a conversation item: an input item with an id, a status, and list content."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import TypeAdapter

from llama_stack_api.responses import (
    ResponseFunctionToolCall,
    ResponseFunctionToolCallOutput,
    ResponseInputItem,
    ResponseInputText,
    ResponseMessage,
    ResponseMessageContent,
    ResponseOutputItem,
    ResponseOutputText,
)

ITEM: TypeAdapter[ResponseInputItem] = TypeAdapter(ResponseInputItem)

# OpenAI's id prefixes, so ids read like the ones clients already know
_ID_PREFIXES = {
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


def new_item_id(item_type: str) -> str:
    return f"{_ID_PREFIXES.get(item_type, 'item')}_{uuid.uuid4().hex}"


def stored_form(item: ResponseInputItem | ResponseOutputItem) -> ResponseInputItem:
    """A copy of ``item`` as a conversation keeps it (the caller's object is left alone).

    Output items (``ResponseOutputMessage``) become input items, so what the
    model said reads back like what the user said. The SDK requires an id and
    a status on listed items, and list content on messages, so they are filled
    in here once rather than on every read.
    """
    stored = ITEM.validate_python(item.model_dump(mode="json", by_alias=True))
    updates: dict[str, Any] = {}
    if stored.id is None:
        updates["id"] = new_item_id(stored.type)
    statused = (ResponseMessage, ResponseFunctionToolCall, ResponseFunctionToolCallOutput)
    if isinstance(stored, statused) and stored.status is None:
        updates["status"] = "completed"
    if isinstance(stored, ResponseMessage) and isinstance(stored.content, str):
        updates["content"] = [_text_part(stored.role, stored.content)]
    return stored.model_copy(update=updates) if updates else stored


def item_id(item: ResponseInputItem) -> str:
    """The id of a stored item (``stored_form`` gave every item one)."""
    assert item.id is not None, "stored items always have an id"
    return item.id


def _text_part(role: str, text: str) -> ResponseMessageContent:
    # what the model wrote is output text; everything else was input to it
    return ResponseOutputText(text=text) if role == "assistant" else ResponseInputText(text=text)
