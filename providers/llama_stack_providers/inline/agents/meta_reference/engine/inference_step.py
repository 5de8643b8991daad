"""One inference step: a streamed chat completion, reassembled into text and tool calls as it arrives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from .events import TextDelta, ToolCallDelta, ToolCallRequest, Usage


@dataclass
class _PartialCall:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class StreamedAnswer:
    """The reassembled answer; filled in while ``deltas()`` runs."""

    step_id: str
    text_parts: list[str] = field(default_factory=list)
    refusal_parts: list[str] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    _calls: dict[int, _PartialCall] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def refusal(self) -> str | None:
        return "".join(self.refusal_parts) or None

    def tool_calls(self) -> list[ToolCallRequest]:
        calls: list[ToolCallRequest] = []
        for index in sorted(self._calls):
            partial = self._calls[index]
            raw = "".join(partial.arguments)
            calls.append(
                ToolCallRequest(
                    call_id=partial.call_id or f"call_{self.step_id[:8]}_{index}",
                    name=partial.name,
                    arguments=parse_arguments(raw),
                    arguments_json=raw or "{}",
                )
            )
        return calls

    async def deltas(self, chunks: AsyncIterator[Any]) -> AsyncIterator[TextDelta | ToolCallDelta]:
        """Read OpenAI ``chat.completion.chunk``s, yield text and tool-call deltas, remember the rest.

        The provider's stream is closed when this ends, also early (the client went away), so the
        engine stops generating.
        """
        try:
            async for delta in self._read(chunks):
                yield delta
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()

    async def _read(self, chunks: AsyncIterator[Any]) -> AsyncIterator[TextDelta | ToolCallDelta]:
        async for chunk in chunks:
            if chunk.usage is not None:
                self.usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    self.text_parts.append(delta.content)
                    yield TextDelta(self.step_id, delta.content)
                if getattr(delta, "refusal", None):
                    self.refusal_parts.append(delta.refusal)
                for call_delta in delta.tool_calls or []:
                    partial = self._calls.setdefault(call_delta.index, _PartialCall())
                    function = call_delta.function
                    if call_delta.id:
                        partial.call_id = call_delta.id
                    if function is not None and function.name:
                        partial.name += function.name
                    piece = (function.arguments if function is not None else None) or ""
                    partial.arguments.append(piece)
                    yield ToolCallDelta(self.step_id, call_delta.index, partial.call_id, partial.name, piece)
                if choice.finish_reason:
                    self.finish_reason = choice.finish_reason


def parse_arguments(raw: str) -> dict[str, Any] | str:
    """A call's arguments as a dict; the raw text when the model did not write a JSON object."""
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return parsed if isinstance(parsed, dict) else raw
