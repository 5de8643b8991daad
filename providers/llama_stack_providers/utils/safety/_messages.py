"""Native messages as the text a shield judges (images are not text, and are left out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_stack_api import InvalidRequestError
from llama_stack_api.inference import Message


def message_text(message: Message) -> str:
    """The text of a message: its text content, plus the arguments of any tool calls it makes."""
    parts = [_content_text(message.content)]
    for call in getattr(message, "tool_calls", None) or []:
        parts.append(call.arguments_json or str(call.arguments))
    return "\n".join(p for p in parts if p)


def require_messages(messages: Sequence[Message]) -> None:
    if not messages:
        raise InvalidRequestError(
            "`messages` is empty: a shield needs at least one message", param="messages"
        )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(filter(None, (_content_text(item) for item in content)))
    return str(getattr(content, "text", "") or "")
