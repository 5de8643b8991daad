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
    ResponseConversationRef,
    ResponseDeletedObject,
    ResponseError,
    ResponseInput,
    ResponseInputItemList,
    ResponseList,
    ResponseMcpApprovalResponse,
    ResponseStreamEvent,
    ResponseTextConfig,
    ResponseTool,
    ResponseToolChoice,
)

from .. import engine
from ..config import MetaReferenceAgentsConfig
from ..names import NameCheck
from .hosted_tools import build_response_tools
from .items import input_items, messages_from_items
from .records import ResponseRecord, ResponseStore
from .run import ResponseRun, RunContext

logger = logging.getLogger(__name__)

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
        self.context = RunContext(config, loop, store, conversations)
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
        run = ResponseRun(
            context=self.context,
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

    async def _run_background(self, run: ResponseRun, request: engine.LoopRequest) -> None:
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
