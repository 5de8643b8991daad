"""One response being produced: the loop's request, the approved MCP calls run first, the output items and
stream events, and the record saved at the end (and the conversation appended to)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llama_stack_api import InvalidRequestError
from llama_stack_api.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseError,
    ResponseFailedEvent,
    ResponseFunctionToolCall,
    ResponseIncompleteDetails,
    ResponseIncompleteEvent,
    ResponseMcpApprovalResponse,
    ResponseStreamEvent,
    ResponseTextConfig,
    ResponseTextFormatJSONObject,
    ResponseTextFormatJSONSchema,
    ResponseToolChoice,
    ResponseUsage,
    ToolChoiceFunction,
    ToolChoiceHosted,
    ToolChoiceMcp,
)

from .. import engine
from ..agent_tools import WEB_SEARCH_AS_OFFERED
from ..config import MetaReferenceAgentsConfig
from .hosted_tools import ResponseTools, run_mcp_call
from .items import messages_from_items
from .output import OutputBuilder
from .records import PendingApproval, ResponseRecord, ResponseStore

DENIED = "The user did not approve this call."


@dataclass(frozen=True)
class RunContext:
    """What every run needs from the service: its settings, the loop, where records go, the conversations."""

    config: MetaReferenceAgentsConfig
    loop: engine.AgentLoop
    store: ResponseStore
    conversations: Any | None


class ResponseRun:
    """One response being produced: its output builder, its transcript, and where it is saved."""

    def __init__(
        self,
        *,
        context: RunContext,
        response: Response,
        items: list[Any],
        history: list[dict[str, Any]],
        approvals: list[ResponseMcpApprovalResponse],
        previous: ResponseRecord | None,
        tools: ResponseTools,
        include: set[str],
        conversation_id: str | None,
        in_conversation: set[str | None],
    ) -> None:
        self.context = context
        self.in_conversation = in_conversation
        self.response = response
        self.items = items
        self.history = history
        self.approvals = approvals
        self.previous = previous
        self.tools = tools
        self.conversation_id = conversation_id
        self.builder = OutputBuilder(response, tools, include)
        self.transcript: list[dict[str, Any]] = []
        self.pending: dict[str, PendingApproval] = {}

    def loop_request(
        self,
        instructions: str | None,
        temperature: float | None,
        top_p: float | None,
        max_output_tokens: int | None,
        text: ResponseTextConfig | None,
        tool_choice: ResponseToolChoice | None,
    ) -> engine.LoopRequest:
        sampling: dict[str, Any] = {}
        if temperature is not None:
            sampling["temperature"] = temperature
        if top_p is not None:
            sampling["top_p"] = top_p
        if max_output_tokens is not None:
            sampling["max_tokens"] = max_output_tokens
        fmt = text.format if text is not None else None
        response_format: dict[str, Any] | None = None
        if isinstance(fmt, ResponseTextFormatJSONSchema):
            schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema_}
            if fmt.strict is not None:
                schema["strict"] = fmt.strict
            response_format = {"type": "json_schema", "json_schema": schema}
        elif isinstance(fmt, ResponseTextFormatJSONObject):
            response_format = {"type": "json_object"}
        toolset, choice = _tool_choice(self.tools.toolset, tool_choice)
        # Clients often send a previous output's call items back with their outputs; the conversation
        # (or the previous response) has them already, and a call twice in the history is refused by
        # OpenAI-compatible engines.
        known_calls = {call["id"] for m in self.history for call in m.get("tool_calls") or []}
        self.new_messages = messages_from_items(
            [
                i
                for i in self.items
                if not isinstance(i, ResponseMcpApprovalResponse)
                and i.id not in self.in_conversation
                and not (isinstance(i, ResponseFunctionToolCall) and i.call_id in known_calls)
            ]
        )
        system = [{"role": "system", "content": instructions}] if instructions else []
        return engine.LoopRequest(
            model=self.response.model,
            messages=[*system, *self.history],  # the new input is added once approvals have run
            tools=toolset,
            tool_choice=choice,
            sampling=sampling,
            response_format=response_format,
            max_infer_iters=self.context.config.max_infer_iters,
            max_tool_calls=self.response.max_tool_calls,
            parallel_tool_calls=self.response.parallel_tool_calls,
            tool_timeout_s=self.context.config.tool_timeout_s,
        )

    async def events(self, request: engine.LoopRequest) -> AsyncIterator[ResponseStreamEvent]:
        builder = self.builder
        self.response.status = "in_progress"
        for event in builder.start():
            yield event
        approved_messages: list[dict[str, Any]] = []
        for approval in self.approvals:
            async for event in self._run_approval(approval, approved_messages):
                yield event
        request.messages = [*request.messages, *approved_messages, *self.new_messages]
        end: engine.LoopEnded | None = None
        try:
            # closed however this ends (a client gone mid-stream too): the model's stream closes with it
            async with contextlib.aclosing(self.context.loop.run(request)) as step_events:
                async for step_event in step_events:
                    if isinstance(step_event, engine.LoopEnded):
                        end = step_event
                        break
                    for out in builder.on(step_event):
                        yield out
        except Exception as exc:
            self.response.status = "failed"
            self.response.error = ResponseError(code="server_error", message=str(exc))
            await self.save()
            yield ResponseFailedEvent(sequence_number=builder._next(), response=builder.snapshot())
            raise
        assert end is not None
        for out in self._finish(end):
            yield out
        await self.save()
        if end.reason == "max_iterations":
            yield ResponseIncompleteEvent(sequence_number=builder._next(), response=builder.snapshot())
        else:
            yield ResponseCompletedEvent(sequence_number=builder._next(), response=builder.snapshot())

    async def _run_approval(
        self, approval: ResponseMcpApprovalResponse, messages: list[dict[str, Any]]
    ) -> AsyncIterator[ResponseStreamEvent]:
        pending = self.previous.approvals.get(approval.approval_request_id) if self.previous else None
        if pending is None:
            raise InvalidRequestError(
                f"mcp_approval_response answers {approval.approval_request_id!r}, which the previous response "
                "did not ask for",
                param="input",
            )
        server = self.tools.mcp.get(pending.name)
        call = engine.ToolCallRequest(
            pending.call_id, pending.name, pending.arguments, pending.arguments_json
        )
        if not approval.approve:
            outcome = engine.ToolOutcome(content=DENIED, error=approval.reason or DENIED)
        elif server is None:
            raise InvalidRequestError(
                f"the approved call of {pending.name!r} needs its mcp tool ({pending.server_label!r}) in tools",
                param="tools",
            )
        else:
            arguments = pending.arguments if isinstance(pending.arguments, dict) else {}
            outcome = await run_mcp_call(
                server.server_url, pending.name, arguments, server.headers, self.context.config.tool_timeout_s
            )
        for event in self.builder.approved_call(call, pending.server_label, outcome):
            yield event
        messages.append({"role": "tool", "tool_call_id": pending.call_id, "content": outcome.content})

    def _finish(self, end: engine.LoopEnded) -> list[ResponseStreamEvent]:
        events: list[ResponseStreamEvent] = []
        if end.reason == "blocked":
            events.extend(self.builder.refuse(end.text))
        usage = end.usage
        self.response.usage = ResponseUsage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.input_tokens + usage.output_tokens,
        )
        if end.reason == "max_iterations":
            self.response.status = "incomplete"
            self.response.incomplete_details = ResponseIncompleteDetails(reason="max_output_tokens")
        else:
            self.response.status = "completed"
        for request_id, call in self.builder.approval_requests.items():
            server = self.tools.mcp[call.name]
            self.pending[request_id] = PendingApproval(
                call_id=call.call_id,
                name=call.name,
                arguments=call.arguments,
                arguments_json=call.arguments_json,
                server_label=server.server_label,
            )
        self.transcript = end.new_messages
        return events

    async def save(self) -> None:
        """Store the response (unless ``store=false``) and add its items to its conversation."""
        messages = [*self.history, *self.new_messages, *self.transcript]
        if self.response.store:
            record = ResponseRecord(
                response=self.response, input_items=self.items, messages=messages, approvals=self.pending
            )
            await self.context.store.put(record)
        conversations = self.context.conversations
        if (
            conversations is not None
            and self.conversation_id is not None
            and self.response.status != "failed"
        ):
            # input items sent back from the conversation itself (e.g. a call item) are there already
            new_input = [item for item in self.items if item.id not in self.in_conversation]
            await conversations.append_items(self.conversation_id, [*new_input, *self.response.output])


def _tool_choice(toolset: engine.ToolSet, choice: ResponseToolChoice | None) -> tuple[engine.ToolSet, Any]:
    """The tools to offer and the chat tool_choice for a Responses ``tool_choice``."""
    if choice is None or isinstance(choice, str):
        return toolset, choice
    if isinstance(choice, ToolChoiceFunction):
        return toolset, _named(toolset, choice.name)
    if isinstance(choice, ToolChoiceHosted):
        name = "file_search" if choice.type == "file_search" else WEB_SEARCH_AS_OFFERED
        return toolset, _named(toolset, name)
    if isinstance(choice, ToolChoiceMcp):
        if choice.name:
            return toolset, _named(toolset, choice.name)
        kept = engine.ToolSet([t for t in toolset if t.metadata.get("server_label") == choice.server_label])
        return kept, "required"
    # allowed_tools: a subset of the tools, by name (functions, MCP tools) or type (file_search, web_search)
    names = {str(t.get("name") or t.get("type")) for t in choice.tools}
    kept = engine.ToolSet([t for t in toolset if t.name in names or t.kind in names])
    return kept, choice.mode


def _named(toolset: engine.ToolSet, name: str) -> dict[str, Any]:
    if toolset.get(name) is None:
        offered = ", ".join(toolset.names()) or "none"
        raise InvalidRequestError(
            f"tool_choice names {name!r}, which is not among the tools: {offered}", param="tool_choice"
        )
    return {"type": "function", "function": {"name": name}}
