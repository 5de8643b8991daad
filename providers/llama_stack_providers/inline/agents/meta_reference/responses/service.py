"""The OpenAI Responses API over the agent loop: create (streamed, or not, or in the background), chain,
store, list, delete, input items, cancel, and conversations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from llama_stack_api import ConflictError, InvalidRequestError, NotSupportedError
from llama_stack_api.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseConversationRef,
    ResponseDeletedObject,
    ResponseError,
    ResponseFailedEvent,
    ResponseFunctionToolCall,
    ResponseIncompleteDetails,
    ResponseIncompleteEvent,
    ResponseInput,
    ResponseInputItemList,
    ResponseList,
    ResponseMcpApprovalResponse,
    ResponseStreamEvent,
    ResponseTextConfig,
    ResponseTextFormatJSONObject,
    ResponseTextFormatJSONSchema,
    ResponseTool,
    ResponseToolChoice,
    ResponseUsage,
    ToolChoiceFunction,
    ToolChoiceHosted,
    ToolChoiceMcp,
)

from .. import engine
from ..agent_tools import WEB_SEARCH_AS_OFFERED
from ..config import MetaReferenceAgentsConfig
from ..names import NameCheck
from .hosted_tools import ResponseTools, build_response_tools, run_mcp_call
from .items import input_items, messages_from_items
from .output import OutputBuilder
from .records import PendingApproval, ResponseRecord, ResponseStore

logger = logging.getLogger(__name__)

DENIED = "The user did not approve this call."
UNFINISHED = ("queued", "in_progress")


class ResponsesService:
    """Implements the Responses routes; ``conversations`` (optional) is the Conversations provider."""

    def __init__(
        self,
        config: MetaReferenceAgentsConfig,
        store: ResponseStore,
        loop: engine.AgentLoop,
        vector_io: Any | None,
        tool_runtime: Any | None,
        conversations: Any | None,
        names: NameCheck | None = None,
    ) -> None:
        self.names = names or NameCheck(None)
        self.config = config
        self.responses = store
        self.loop = loop
        self.vector_io = vector_io
        self.tool_runtime = tool_runtime
        self.conversations = conversations
        self._background: dict[str, asyncio.Task[None]] = {}

    async def fail_interrupted(self) -> None:
        """Background responses a previous process left unfinished can never finish: mark them failed."""
        for record in await self.responses.all():
            if record.response.status in UNFINISHED:
                record.response.status = "failed"
                record.response.error = ResponseError(
                    code="server_error", message="the server stopped before this background response finished"
                )
                await self.responses.put(record)

    async def stop_background(self) -> None:
        for task in list(self._background.values()):
            task.cancel()
        await asyncio.gather(*self._background.values(), return_exceptions=True)

    # --- create ----------------------------------------------------------------------------------

    async def create_openai_response(
        self,
        input: ResponseInput,
        model: str,
        instructions: str | None = None,
        previous_response_id: str | None = None,
        conversation: str | ResponseConversationRef | None = None,
        store: bool | None = True,
        stream: bool | None = False,
        background: bool | None = False,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        text: ResponseTextConfig | None = None,
        tools: list[ResponseTool] | None = None,
        tool_choice: ResponseToolChoice | None = None,
        parallel_tool_calls: bool | None = True,
        max_tool_calls: int | None = None,
        include: list[str] | None = None,
        metadata: dict[str, str] | None = None,
        truncation: Literal["auto", "disabled"] | None = None,
    ) -> Response | AsyncIterator[ResponseStreamEvent]:
        if previous_response_id and conversation is not None:
            raise InvalidRequestError(
                "give previous_response_id or conversation, not both", param="previous_response_id"
            )
        if truncation == "auto":
            raise NotSupportedError("truncation 'auto' is not supported; the conversation is sent whole")
        if background and not store:
            raise InvalidRequestError("a background response must be stored (store=true)", param="background")
        if background and stream:
            raise NotSupportedError("streaming a background response is not supported; poll it instead")
        if max_tool_calls is not None and max_tool_calls < 1:
            raise InvalidRequestError("max_tool_calls must be at least 1", param="max_tool_calls")
        if metadata is not None and len(metadata) > 16:
            raise InvalidRequestError("metadata holds at most 16 pairs", param="metadata")
        self.names.model(model, "model", bad_request=False)

        history: list[dict[str, Any]] = []
        in_conversation: set[str | None] = set()
        previous: ResponseRecord | None = None
        conversation_id: str | None = None
        if previous_response_id:
            previous = await self.responses.get(previous_response_id)
            history = list(previous.messages)
        elif conversation is not None:
            conversation_id = conversation if isinstance(conversation, str) else conversation.id
            if self.conversations is None:
                raise InvalidRequestError("this stack serves no conversations API", param="conversation")
            earlier = await self.conversations.all_items(conversation_id)
            history = messages_from_items(earlier)
            in_conversation = {item.id for item in earlier}
        items = input_items(input)
        approvals = [i for i in items if isinstance(i, ResponseMcpApprovalResponse)]
        built = await build_response_tools(
            tools or [], self.vector_io, self.tool_runtime, self.config.tool_timeout_s
        )
        response = Response(
            id=f"resp_{uuid.uuid4().hex}",
            created_at=int(time.time()),
            model=model,
            status="queued" if background else "in_progress",
            instructions=instructions,
            previous_response_id=previous_response_id,
            conversation=ResponseConversationRef(id=conversation_id) if conversation_id else None,
            parallel_tool_calls=parallel_tool_calls is not False,
            tool_choice=tool_choice or "auto",
            tools=list(tools or []),
            temperature=temperature,
            top_p=top_p,
            text=text or ResponseTextConfig(),
            max_output_tokens=max_output_tokens,
            max_tool_calls=max_tool_calls,
            metadata=dict(metadata or {}),
            store=store is not False,
            background=bool(background),
            truncation=truncation,
        )
        run = _Run(
            service=self,
            response=response,
            items=items,
            history=history,
            approvals=approvals,
            previous=previous,
            tools=built,
            include=set(include or []),
            conversation_id=conversation_id,
            in_conversation=in_conversation,
        )
        loop_request = run.loop_request(
            instructions, temperature, top_p, max_output_tokens, text, tool_choice
        )
        if background:
            record = ResponseRecord(response=response, input_items=items, messages=history)
            await self.responses.put(record)
            self._background[response.id] = asyncio.create_task(self._run_background(run, loop_request))
            return response.model_copy(deep=True)
        events = run.events(loop_request)
        if stream:
            return events
        async for _ in events:
            pass
        return run.builder.response

    async def _run_background(self, run: _Run, request: engine.LoopRequest) -> None:
        try:
            async for _ in run.events(request):
                pass
        except asyncio.CancelledError:
            run.builder.response.status = "cancelled"
            await run.save()
        except Exception as exc:  # the failure is the response's outcome, read by whoever polls it
            logger.warning("background response %s failed: %s", run.response.id, exc)
        finally:
            self._background.pop(run.response.id, None)

    # --- read, list, delete, cancel --------------------------------------------------------------

    async def get_openai_response(self, response_id: str) -> Response:
        return (await self.responses.get(response_id)).response

    async def delete_openai_response(self, response_id: str) -> ResponseDeletedObject:
        task = self._background.get(response_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.responses.delete(response_id)
        return ResponseDeletedObject(id=response_id)

    async def cancel_openai_response(self, response_id: str) -> Response:
        record = await self.responses.get(response_id)
        if not record.response.background:
            raise ConflictError(
                f"response {response_id!r} was not created in the background", param="response_id"
            )
        task = self._background.get(response_id)
        if task is None or record.response.status not in UNFINISHED:
            if record.response.status == "cancelled":
                return record.response
            raise ConflictError(
                f"response {response_id!r} has already finished ({record.response.status})",
                param="response_id",
            )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return (await self.responses.get(response_id)).response

    async def list_openai_responses(
        self,
        after: str | None = None,
        limit: int | None = 50,
        model: str | None = None,
        order: Literal["asc", "desc"] | None = "desc",
    ) -> ResponseList:
        rows = [r.response for r in await self.responses.all() if model is None or r.response.model == model]
        if order != "asc":
            rows.reverse()
        page, has_more = _page(rows, after, None, limit or 50, lambda r: r.id)
        return ResponseList(
            data=page,
            first_id=page[0].id if page else None,
            last_id=page[-1].id if page else None,
            has_more=has_more,
        )

    async def list_openai_response_input_items(
        self,
        response_id: str,
        after: str | None = None,
        before: str | None = None,
        include: list[str] | None = None,
        limit: int | None = 20,
        order: Literal["asc", "desc"] | None = "desc",
    ) -> ResponseInputItemList:
        items = list((await self.responses.get(response_id)).input_items)
        if order != "asc":
            items.reverse()
        page, has_more = _page(items, after, before, limit or 20, lambda i: i.id or "")
        return ResponseInputItemList(
            data=page,
            first_id=(page[0].id if page else None),
            last_id=(page[-1].id if page else None),
            has_more=has_more,
        )


class _Run:
    """One response being produced: its output builder, its transcript, and where it is saved."""

    def __init__(
        self,
        *,
        service: ResponsesService,
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
        self.service = service
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
            max_infer_iters=self.service.config.max_infer_iters,
            max_tool_calls=self.response.max_tool_calls,
            parallel_tool_calls=self.response.parallel_tool_calls,
            tool_timeout_s=self.service.config.tool_timeout_s,
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
            async with contextlib.aclosing(self.service.loop.run(request)) as step_events:
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
                server.server_url, pending.name, arguments, server.headers, self.service.config.tool_timeout_s
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
            await self.service.responses.put(record)
        conversations = self.service.conversations
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


def _page(
    rows: list[Any], after: str | None, before: str | None, limit: int, key: Any
) -> tuple[list[Any], bool]:
    if not 1 <= limit <= 100:
        raise InvalidRequestError("limit must be between 1 and 100", param="limit")
    ids = [key(r) for r in rows]
    start, stop = 0, len(rows)
    if after is not None:
        if after not in ids:
            raise InvalidRequestError(f"after names {after!r}, which is not in this list", param="after")
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise InvalidRequestError(f"before names {before!r}, which is not in this list", param="before")
        stop = ids.index(before)
    window = rows[start:stop]
    return window[:limit], len(window) > limit
