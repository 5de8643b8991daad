"""Engine events as a response's output items and its stream events (OpenAI's order and shapes).

A message item opens at the first text delta and closes when its inference step
ends; a function call streams its arguments; hosted tool calls (file search,
web search, MCP) open when they start running and close with their result; an
MCP call that needs approval becomes an ``mcp_approval_request``. Every event
carries the next ``sequence_number``; the items end up in ``response.output``.
"""

from __future__ import annotations

import re
from typing import Any

from llama_stack_api.responses import (
    AnnotationFileCitation,
    McpToolExecutionError,
    Response,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFileSearchCallCompletedEvent,
    ResponseFileSearchCallInProgressEvent,
    ResponseFileSearchCallSearchingEvent,
    ResponseFileSearchResult,
    ResponseFileSearchToolCall,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseMcpApprovalRequest,
    ResponseMcpCall,
    ResponseMcpCallArgumentsDoneEvent,
    ResponseMcpCallCompletedEvent,
    ResponseMcpCallFailedEvent,
    ResponseMcpCallInProgressEvent,
    ResponseMcpListTools,
    ResponseMcpListToolsCompletedEvent,
    ResponseMcpListToolsFailedEvent,
    ResponseMcpListToolsInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    ResponseWebSearchCallCompletedEvent,
    ResponseWebSearchCallInProgressEvent,
    ResponseWebSearchCallSearchingEvent,
    ResponseWebSearchToolCall,
)
from llama_stack_api.responses._items import WebSearchActionSearch

from .. import engine
from .hosted_tools import ResponseTools
from .items import new_item_id

Event = ResponseStreamEvent
_CITATION = re.compile(r"\[(\d{1,3})\]")


class OutputBuilder:
    """Builds ``response.output`` from engine events, returning the stream events each one causes."""

    def __init__(self, response: Response, tools: ResponseTools, include: set[str]) -> None:
        self.response = response
        self.tools = tools
        self.include = include
        self.sequence = 0
        self._message: ResponseOutputMessage | None = None
        self._message_index = -1
        self._text: list[str] = []
        self._function_calls: dict[int, tuple[ResponseFunctionToolCall, int]] = {}
        self._tool_items: dict[str, tuple[Any, int]] = {}
        # approval requests made: request id -> the call it stands for
        self.approval_requests: dict[str, engine.ToolCallRequest] = {}

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence - 1

    def _add(self, item: Any) -> tuple[int, Event]:
        self.response.output.append(item)
        index = len(self.response.output) - 1
        return index, ResponseOutputItemAddedEvent(
            sequence_number=self._next(), output_index=index, item=item
        )

    def _done(self, item: Any, index: int) -> Event:
        return ResponseOutputItemDoneEvent(sequence_number=self._next(), output_index=index, item=item)

    def snapshot(self) -> Response:
        return self.response.model_copy(deep=True)

    def start(self) -> list[Event]:
        events: list[Event] = [
            ResponseCreatedEvent(sequence_number=self._next(), response=self.snapshot()),
            ResponseInProgressEvent(sequence_number=self._next(), response=self.snapshot()),
        ]
        for listing in self.tools.listings:
            events.extend(self._listing(listing))
        return events

    def _listing(self, listing: ResponseMcpListTools) -> list[Event]:
        index, added = self._add(listing)
        ids = {"item_id": listing.id, "output_index": index}
        events: list[Event] = [
            added,
            ResponseMcpListToolsInProgressEvent(sequence_number=self._next(), **ids),
        ]
        if listing.error is None:
            events.append(ResponseMcpListToolsCompletedEvent(sequence_number=self._next(), **ids))
        else:
            events.append(ResponseMcpListToolsFailedEvent(sequence_number=self._next(), **ids))
        events.append(self._done(listing, index))
        return events

    def on(self, event: engine.EngineEvent) -> list[Event]:
        if isinstance(event, engine.TextDelta):
            return self._text_delta(event.text)
        if isinstance(event, engine.ToolCallDelta):
            return self._call_delta(event)
        if isinstance(event, engine.InferenceDone):
            return self._inference_done(event)
        if isinstance(event, engine.ToolCallStarted):
            return self._tool_started(event)
        if isinstance(event, engine.ToolCallDone):
            return self._tool_done(event)
        return []

    # --- messages --------------------------------------------------------------------------------

    def _open_message(self) -> list[Event]:
        self._message = ResponseOutputMessage(id=new_item_id("message"), status="in_progress", content=[])
        self._text = []
        self._message_index, added = self._add(self._message)
        part = ResponseContentPartAddedEvent(
            sequence_number=self._next(),
            item_id=self._message.id,
            output_index=self._message_index,
            content_index=0,
            part=ResponseOutputText(text=""),
        )
        return [added, part]

    def _text_delta(self, text: str) -> list[Event]:
        events = self._open_message() if self._message is None else []
        assert self._message is not None
        self._text.append(text)
        events.append(
            ResponseOutputTextDeltaEvent(
                sequence_number=self._next(),
                item_id=self._message.id,
                output_index=self._message_index,
                content_index=0,
                delta=text,
            )
        )
        return events

    def _close_message(self, refusal: str | None) -> list[Event]:
        events: list[Event] = []
        if self._message is None:
            if refusal is None:
                return events
            events.extend(self._open_message())
        message = self._message
        assert message is not None
        ids = {"item_id": message.id, "output_index": self._message_index, "content_index": 0}
        if refusal is not None:
            # a shield's or the model's refusal replaces whatever text came before it
            part: Any = ResponseOutputRefusal(refusal=refusal)
            events.append(ResponseRefusalDoneEvent(sequence_number=self._next(), refusal=refusal, **ids))
        else:
            part = ResponseOutputText(
                text="".join(self._text), annotations=self._citations("".join(self._text))
            )
            for number, annotation in enumerate(part.annotations):
                events.append(
                    ResponseOutputTextAnnotationAddedEvent(
                        sequence_number=self._next(), annotation_index=number, annotation=annotation, **ids
                    )
                )
            events.append(ResponseOutputTextDoneEvent(sequence_number=self._next(), text=part.text, **ids))
        events.append(ResponseContentPartDoneEvent(sequence_number=self._next(), part=part, **ids))
        message.content = [part]
        message.status = "completed"
        events.append(self._done(message, self._message_index))
        self._message = None
        return events

    def _citations(self, text: str) -> list[Any]:
        """A ``file_citation`` for each ``[n]`` in the answer that names a file search result."""
        sources = self.tools.sources
        found: list[Any] = []
        for match in _CITATION.finditer(text):
            number = int(match.group(1))
            if 1 <= number <= len(sources):
                source = sources[number - 1]
                found.append(
                    AnnotationFileCitation(
                        file_id=source.file_id, filename=source.filename, index=match.start()
                    )
                )
        return found

    def refuse(self, text: str) -> list[Event]:
        """End the answer with a refusal (a shield or the model's guardrails blocked it)."""
        return self._close_message(text)

    # --- calls -----------------------------------------------------------------------------------

    def _kind(self, name: str) -> str:
        tool = self.tools.toolset.get(name)
        if tool is None:
            return "unknown"
        if tool.kind == "mcp" and tool.runs_on_client:
            return "mcp_approval"
        return tool.kind

    def _call_delta(self, event: engine.ToolCallDelta) -> list[Event]:
        if self._kind(event.name) != "function":
            return []  # hosted calls are reported when they run, approval requests when the step ends
        events: list[Event] = []
        if event.index not in self._function_calls:
            events.extend(self._close_message(None))
            item = ResponseFunctionToolCall(
                id=new_item_id("function_call"),
                call_id=event.call_id,
                name=event.name,
                arguments="",
                status="in_progress",
            )
            index, added = self._add(item)
            self._function_calls[event.index] = (item, index)
            events.append(added)
        item, index = self._function_calls[event.index]
        if event.arguments_delta:
            item.arguments += event.arguments_delta
            events.append(
                ResponseFunctionCallArgumentsDeltaEvent(
                    sequence_number=self._next(),
                    item_id=item.id or "",
                    output_index=index,
                    delta=event.arguments_delta,
                )
            )
        return events

    def _inference_done(self, event: engine.InferenceDone) -> list[Event]:
        events = self._close_message(None)
        for position, call in enumerate(event.tool_calls):
            kind = self._kind(call.name)
            if kind == "function":
                item, index = self._function_calls.pop(position, (None, -1))
                if item is None:
                    item = ResponseFunctionToolCall(
                        id=new_item_id("function_call"), call_id=call.call_id, name=call.name, arguments=""
                    )
                    index, added = self._add(item)
                    events.append(added)
                item.call_id, item.arguments, item.status = call.call_id, call.arguments_json, "completed"
                events.append(
                    ResponseFunctionCallArgumentsDoneEvent(
                        sequence_number=self._next(),
                        item_id=item.id or "",
                        output_index=index,
                        arguments=item.arguments,
                    )
                )
                events.append(self._done(item, index))
            elif kind == "mcp_approval":
                server = self.tools.mcp[call.name]
                request = ResponseMcpApprovalRequest(
                    id=new_item_id("mcp_approval_request"),
                    server_label=server.server_label,
                    name=call.name,
                    arguments=call.arguments_json,
                )
                self.approval_requests[request.id] = call
                index, added = self._add(request)
                events.extend([added, self._done(request, index)])
        self._function_calls.clear()
        return events

    def _tool_started(self, event: engine.ToolCallStarted) -> list[Event]:
        call = event.call
        query = str(call.arguments.get("query", "")) if isinstance(call.arguments, dict) else ""
        item: Any
        if event.kind == "file_search":
            item = ResponseFileSearchToolCall(
                id=new_item_id("file_search_call"), queries=[query], status="in_progress"
            )
            progress: list[Any] = [
                ResponseFileSearchCallInProgressEvent,
                ResponseFileSearchCallSearchingEvent,
            ]
        elif event.kind == "web_search":
            item = ResponseWebSearchToolCall(
                id=new_item_id("web_search_call"),
                status="in_progress",
                action=WebSearchActionSearch(query=query),
            )
            progress = [ResponseWebSearchCallInProgressEvent, ResponseWebSearchCallSearchingEvent]
        elif event.kind == "mcp":
            item = ResponseMcpCall(
                id=new_item_id("mcp_call"),
                server_label=self.tools.mcp[call.name].server_label,
                name=call.name,
                arguments=call.arguments_json,
                status="in_progress",
            )
            progress = []
        else:
            return []
        index, added = self._add(item)
        self._tool_items[call.call_id] = (item, index)
        events: list[Event] = [added]
        if isinstance(item, ResponseMcpCall):
            events.append(
                ResponseMcpCallArgumentsDoneEvent(
                    sequence_number=self._next(),
                    item_id=item.id,
                    output_index=index,
                    arguments=item.arguments,
                )
            )
            progress = [ResponseMcpCallInProgressEvent]
        events.extend(
            kind(sequence_number=self._next(), item_id=item.id, output_index=index) for kind in progress
        )
        return events

    def _tool_done(self, event: engine.ToolCallDone) -> list[Event]:
        found = self._tool_items.pop(event.call.call_id, None)
        if found is None:
            return []
        item, index = found
        outcome = event.outcome
        ids = {"item_id": item.id, "output_index": index}
        events: list[Event] = []
        if isinstance(item, ResponseFileSearchToolCall):
            item.status = "failed" if outcome.error else "completed"
            if "file_search_call.results" in self.include:
                item.results = [ResponseFileSearchResult(**r) for r in outcome.metadata.get("results", [])]
            events.append(ResponseFileSearchCallCompletedEvent(sequence_number=self._next(), **ids))
        elif isinstance(item, ResponseWebSearchToolCall):
            item.status = "failed" if outcome.error else "completed"
            events.append(ResponseWebSearchCallCompletedEvent(sequence_number=self._next(), **ids))
        elif isinstance(item, ResponseMcpCall):
            if outcome.error is None:
                item.output, item.status = outcome.content, "completed"
                events.append(ResponseMcpCallCompletedEvent(sequence_number=self._next(), **ids))
            else:
                item.error, item.status = McpToolExecutionError(content=outcome.error), "failed"
                events.append(ResponseMcpCallFailedEvent(sequence_number=self._next(), **ids))
        events.append(self._done(item, index))
        return events

    def approved_call(
        self, call: engine.ToolCallRequest, server_label: str, outcome: engine.ToolOutcome
    ) -> list[Event]:
        """An approved (or denied) MCP call run at the start of a response, as an ``mcp_call`` item."""
        item = ResponseMcpCall(
            id=new_item_id("mcp_call"),
            server_label=server_label,
            name=call.name,
            arguments=call.arguments_json,
        )
        index, added = self._add(item)
        ids = {"item_id": item.id, "output_index": index}
        events: list[Event] = [added, ResponseMcpCallInProgressEvent(sequence_number=self._next(), **ids)]
        if outcome.error is None:
            item.output, item.status = outcome.content, "completed"
            events.append(ResponseMcpCallCompletedEvent(sequence_number=self._next(), **ids))
        else:
            item.error, item.status = McpToolExecutionError(content=outcome.error), "failed"
            events.append(ResponseMcpCallFailedEvent(sequence_number=self._next(), **ids))
        events.append(self._done(item, index))
        return events
