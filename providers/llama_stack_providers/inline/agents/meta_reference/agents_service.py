"""The Agents API over the agent loop: agents, sessions, turns (streamed or not), resume, and their records."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from llama_stack_api import ConflictError, InvalidRequestError, NotFoundError, NotSupportedError
from llama_stack_api.agents import (
    Agent,
    AgentConfig,
    AgentCreateResponse,
    AgentSessionCreateResponse,
    AgentStepResponse,
    AgentToolGroup,
    AgentTurnResponseStreamChunk,
    AgentTurnResponseTurnAwaitingInputPayload,
    AgentTurnResponseTurnCompletePayload,
    AgentTurnResponseTurnStartPayload,
    Document,
    PaginatedResponse,
    Session,
    ToolExecutionStep,
    ToolResponse,
    Turn,
    TurnInputMessage,
)
from llama_stack_api.inference import (
    GrammarResponseFormat,
    ToolConfig,
    ToolResponseMessage,
    UserMessage,
)
from llama_stack_providers.utils.inference import (
    openai_messages_from_native,
    openai_response_format_from_native,
    openai_sampling_from_native,
    openai_tool_choice_from_native,
)

from . import engine
from .agent_tools import build_toolset, interleaved_text
from .config import MetaReferenceAgentsConfig
from .documents import SessionDocuments
from .names import NameCheck
from .store import AgentStore, PendingCall, SessionRecord, TurnRecord
from .turn_events import TurnRecorder, chunk, native_call, output_message


class AgentsService:
    """Implements the Agents API routes; one ``AgentLoop`` runs every turn."""

    def __init__(
        self,
        config: MetaReferenceAgentsConfig,
        store: AgentStore,
        loop: engine.AgentLoop,
        tool_runtime: Any | None,
        documents: SessionDocuments,
        names: NameCheck | None = None,
    ) -> None:
        self.names = names or NameCheck(None)
        self.config = config
        self.store = store
        self.loop = loop
        self.tool_runtime = tool_runtime
        self.documents = documents
        self._busy: set[str] = set()

    # agents

    async def create_agent(self, agent_config: AgentConfig) -> AgentCreateResponse:
        if isinstance(agent_config.response_format, GrammarResponseFormat):
            raise NotSupportedError("agents take a json_schema response_format, not a grammar")
        self.names.model(agent_config.model, "agent_config.model", bad_request=True)
        self.names.shields(list(agent_config.input_shields or []), "agent_config.input_shields")
        self.names.shields(list(agent_config.output_shields or []), "agent_config.output_shields")
        # asks the tool runtime for every group now, so a misspelt group fails here, not at the first turn
        await build_toolset(
            self.tool_runtime, agent_config.toolgroups or [], agent_config.client_tools or [], None
        )
        agent = Agent(agent_id=engine.new_id(), agent_config=agent_config, created_at=engine.now())
        await self.store.put_agent(agent)
        return AgentCreateResponse(agent_id=agent.agent_id)

    async def list_agents(
        self, start_index: int | None = None, limit: int | None = None
    ) -> PaginatedResponse:
        return _page([a.model_dump(mode="json") for a in await self.store.agents()], start_index, limit)

    async def get_agent(self, agent_id: str) -> Agent:
        return await self.store.agent(agent_id)

    async def delete_agent(self, agent_id: str) -> None:
        for session in await self.store.delete_agent(agent_id):
            await self.documents.drop(session.vector_store_id)

    # sessions

    async def create_agent_session(self, agent_id: str, session_name: str) -> AgentSessionCreateResponse:
        await self.store.agent(agent_id)
        session = SessionRecord(
            agent_id=agent_id, session_id=engine.new_id(), session_name=session_name, started_at=engine.now()
        )
        await self.store.put_session(session)
        return AgentSessionCreateResponse(session_id=session.session_id)

    async def list_agent_sessions(
        self, agent_id: str, start_index: int | None = None, limit: int | None = None
    ) -> PaginatedResponse:
        await self.store.agent(agent_id)
        sessions = [
            {
                "session_id": s.session_id,
                "session_name": s.session_name,
                "started_at": s.started_at.isoformat(),
            }
            for s in await self.store.sessions(agent_id)
        ]
        return _page(sessions, start_index, limit)

    async def get_agents_session(
        self, agent_id: str, session_id: str, turn_ids: list[str] | None = None
    ) -> Session:
        session = await self.store.session(agent_id, session_id)
        turns = [r.turn for r in await self.store.turns(session_id)]
        if turn_ids:
            wanted = set(turn_ids)
            turns = [t for t in turns if t.turn_id in wanted]
        return Session(
            session_id=session_id,
            session_name=session.session_name,
            turns=turns,
            started_at=session.started_at,
        )

    async def delete_agents_session(self, agent_id: str, session_id: str) -> None:
        session = await self.store.session(agent_id, session_id)
        await self.store.delete_session(session)
        await self.documents.drop(session.vector_store_id)

    # turns

    async def get_agents_turn(self, agent_id: str, session_id: str, turn_id: str) -> Turn:
        await self.store.session(agent_id, session_id)
        return (await self.store.turn(session_id, turn_id)).turn

    async def get_agents_step(
        self, agent_id: str, session_id: str, turn_id: str, step_id: str
    ) -> AgentStepResponse:
        turn = await self.get_agents_turn(agent_id, session_id, turn_id)
        for step in turn.steps:
            if step.step_id == step_id:
                return AgentStepResponse(step=step)
        raise NotFoundError(f"step {step_id!r} does not exist in turn {turn_id!r}")

    async def create_agent_turn(
        self,
        agent_id: str,
        session_id: str,
        messages: list[TurnInputMessage],
        stream: bool | None = False,
        documents: list[Document] | None = None,
        toolgroups: list[AgentToolGroup] | None = None,
        tool_config: ToolConfig | None = None,
    ) -> Turn | AsyncIterator[AgentTurnResponseStreamChunk]:
        if not messages:
            raise InvalidRequestError("a turn needs at least one message", param="messages")
        agent = await self.store.agent(agent_id)
        session = await self.store.session(agent_id, session_id)
        history = await self.store.turns(session_id)
        if history and history[-1].pending_calls:
            raise ConflictError(
                f"turn {history[-1].turn.turn_id!r} awaits client tool responses; resume it first",
                param="session_id",
            )
        if documents:
            self.documents.check_available()
        self._check_free(session_id)
        run = self._turn(agent, session, history, messages, documents or [], toolgroups or [], tool_config)
        exclusive = self._exclusive(session_id, run)
        return exclusive if stream else await _finished_turn(exclusive)

    async def resume_agent_turn(
        self,
        agent_id: str,
        session_id: str,
        turn_id: str,
        tool_responses: list[ToolResponse],
        stream: bool | None = False,
    ) -> Turn | AsyncIterator[AgentTurnResponseStreamChunk]:
        agent = await self.store.agent(agent_id)
        session = await self.store.session(agent_id, session_id)
        record = await self.store.turn(session_id, turn_id)
        if not record.pending_calls:
            raise ConflictError(f"turn {turn_id!r} is not awaiting tool responses", param="turn_id")
        _check_responses(record.pending_calls, tool_responses)
        history = [r for r in await self.store.turns(session_id) if r.turn.turn_id != turn_id]
        self._check_free(session_id)
        run = self._resume(agent, session, history, record, tool_responses)
        exclusive = self._exclusive(session_id, run)
        return exclusive if stream else await _finished_turn(exclusive)

    def _check_free(self, session_id: str) -> None:
        if session_id in self._busy:
            raise ConflictError(
                f"session {session_id!r} is running a turn; wait for it to end", param="session_id"
            )

    async def _exclusive(
        self, session_id: str, run: AsyncGenerator[AgentTurnResponseStreamChunk, None]
    ) -> AsyncIterator[AgentTurnResponseStreamChunk]:
        """``run`` with the session marked busy while it runs. The mark is taken when iteration starts (a
        stream that is never read holds nothing), so the session is checked again here."""
        self._check_free(session_id)
        self._busy.add(session_id)
        try:
            async for item in run:
                yield item
        finally:
            self._busy.discard(session_id)
            await run.aclose()

    async def _turn(
        self,
        agent: Agent,
        session: SessionRecord,
        history: list[TurnRecord],
        messages: list[TurnInputMessage],
        documents: list[Document],
        toolgroups: list[AgentToolGroup],
        tool_config: ToolConfig | None,
    ) -> AsyncGenerator[AgentTurnResponseStreamChunk, None]:
        turn_id, started = engine.new_id(), engine.now()
        yield chunk(AgentTurnResponseTurnStartPayload(turn_id=turn_id))
        recorder = TurnRecorder(turn_id)
        new_input = [m.model_dump(exclude_none=True) for m in openai_messages_from_native(messages)]
        if documents or session.vector_store_id is not None:
            step_id = engine.new_id()
            yield recorder.chunks(engine.StepStarted(step_id, "memory_retrieval"))[0]
            retrieval = await self.documents.retrieve(step_id, session, documents, _query_text(messages))
            yield recorder.chunks(retrieval)[0]
            if retrieval.context:
                new_input = _with_context(new_input, retrieval.context)
        record = TurnRecord(
            turn=Turn(
                turn_id=turn_id,
                session_id=session.session_id,
                input_messages=messages,
                steps=[],
                output_message=output_message(_empty_end()),
                started_at=started,
            ),
            messages=new_input,
            toolgroups=toolgroups,
            tool_config=tool_config,
        )
        async for item in self._run_loop(agent, session, history, record, recorder, check_input=True):
            yield item

    async def _resume(
        self,
        agent: Agent,
        session: SessionRecord,
        history: list[TurnRecord],
        record: TurnRecord,
        responses: list[ToolResponse],
    ) -> AsyncGenerator[AgentTurnResponseStreamChunk, None]:
        recorder = TurnRecorder(record.turn.turn_id, record.turn.steps)
        recorder.inference_steps = record.inference_steps
        by_id = {r.call_id: r for r in responses}
        ordered = [by_id[c.call_id] for c in record.pending_calls]
        at = engine.now()
        step = ToolExecutionStep(
            turn_id=record.turn.turn_id,
            step_id=engine.new_id(),
            started_at=at,
            completed_at=at,
            tool_calls=[native_call(_request(c)) for c in record.pending_calls],
            tool_responses=ordered,
        )
        yield recorder.add_step(step)
        for response in ordered:
            text = interleaved_text(response.content)
            record.messages.append({"role": "tool", "tool_call_id": response.call_id, "content": text})
        record.pending_calls = []
        async for item in self._run_loop(agent, session, history, record, recorder, check_input=False):
            yield item

    async def _run_loop(
        self,
        agent: Agent,
        session: SessionRecord,
        history: list[TurnRecord],
        record: TurnRecord,
        recorder: TurnRecorder,
        *,
        check_input: bool,
    ) -> AsyncIterator[AgentTurnResponseStreamChunk]:
        config = agent.agent_config
        groups = [*(config.toolgroups or []), *record.toolgroups]
        tools = await build_toolset(
            self.tool_runtime, groups, config.client_tools or [], session.vector_store_id, session.session_id
        )
        request = self._loop_request(config, record.tool_config, tools, history, record, check_input)
        request.max_infer_iters = max(1, request.max_infer_iters - recorder.inference_steps)
        end: engine.LoopEnded | None = None
        # closed however this ends (a client gone mid-stream too): the model's stream closes with it
        async with contextlib.aclosing(self.loop.run(request)) as events:
            async for event in events:
                if isinstance(event, engine.LoopEnded):
                    end = event
                    break
                for item in recorder.chunks(event):
                    yield item
        assert end is not None  # the loop always ends with LoopEnded
        record.messages.extend(end.new_messages)
        record.inference_steps = recorder.inference_steps
        record.pending_calls = [PendingCall(**vars(c)) for c in end.pending_calls]
        turn = record.turn.model_copy(
            update={
                "steps": recorder.steps,
                "output_message": output_message(end),
                "completed_at": None if end.pending_calls else engine.now(),
            }
        )
        record.turn = turn
        await self.store.put_turn(record)
        if end.pending_calls:
            yield chunk(AgentTurnResponseTurnAwaitingInputPayload(turn=turn))
        else:
            yield chunk(AgentTurnResponseTurnCompletePayload(turn=turn))

    def _loop_request(
        self,
        config: AgentConfig,
        turn_tool_config: ToolConfig | None,
        tools: engine.ToolSet,
        history: list[TurnRecord],
        record: TurnRecord,
        check_input: bool,
    ) -> engine.LoopRequest:
        messages: list[dict[str, Any]] = []
        if config.instructions:
            messages.append({"role": "system", "content": config.instructions})
        for past in history:
            if not past.pending_calls:
                messages.extend(past.messages)
        messages.extend(record.messages)
        sampling = openai_sampling_from_native(config.sampling_params)
        options: dict[str, Any] = {
            k: v for k, v in vars(sampling).items() if v is not None and k != "extra_body"
        }
        if sampling.extra_body:
            options["extra_body"] = sampling.extra_body
        tool_config = turn_tool_config or config.tool_config
        choice = (tool_config.tool_choice if tool_config else None) or config.tool_choice
        response_format, _ = openai_response_format_from_native(config.response_format)
        return engine.LoopRequest(
            model=config.model,
            messages=messages,
            tools=tools,
            tool_choice=openai_tool_choice_from_native(choice, tools.names()) if len(tools) else None,
            sampling=options,
            response_format=response_format,
            input_shields=list(config.input_shields or []),
            output_shields=list(config.output_shields or []),
            shield_tool_outputs=self.config.shield_tool_outputs,
            check_input=check_input,
            max_infer_iters=config.max_infer_iters or self.config.max_infer_iters,
            tool_timeout_s=self.config.tool_timeout_s,
        )


async def _finished_turn(run: AsyncIterator[AgentTurnResponseStreamChunk]) -> Turn:
    last: AgentTurnResponseStreamChunk | None = None
    async for item in run:
        last = item
    assert last is not None and isinstance(
        last.event.payload, AgentTurnResponseTurnCompletePayload | AgentTurnResponseTurnAwaitingInputPayload
    )
    return last.event.payload.turn


def _check_responses(pending: list[PendingCall], responses: list[ToolResponse]) -> None:
    expected = {c.call_id for c in pending}
    given = [r.call_id for r in responses]
    unknown = [c for c in given if c not in expected]
    missing = sorted(expected - set(given))
    repeated = sorted({c for c in given if given.count(c) > 1})
    if unknown or missing or repeated:
        problems = []
        if unknown:
            problems.append(f"unknown call ids {unknown}")
        if missing:
            problems.append(f"no response for {missing}")
        if repeated:
            problems.append(f"several responses for {repeated}")
        raise InvalidRequestError(
            "tool_responses must answer each awaited call once: " + "; ".join(problems),
            param="tool_responses",
        )


def _request(call: PendingCall) -> engine.ToolCallRequest:
    return engine.ToolCallRequest(call.call_id, call.name, call.arguments, call.arguments_json)


def _query_text(messages: list[TurnInputMessage]) -> str:
    texts = [
        interleaved_text(m.content) for m in messages if isinstance(m, UserMessage | ToolResponseMessage)
    ]
    return "\n".join(t for t in texts if t)


def _with_context(messages: list[dict[str, Any]], context: str) -> list[dict[str, Any]]:
    """The turn's input with the retrieved context after the last user message's text."""
    out = [dict(m) for m in messages]
    for message in reversed(out):
        if message.get("role") == "user":
            addition = f"\n\nHere is context from the documents of this session:\n{context}"
            content = message.get("content")
            if isinstance(content, str):
                message["content"] = content + addition
            else:
                message["content"] = [*(content or []), {"type": "text", "text": addition}]
            break
    return out


def _empty_end() -> engine.LoopEnded:
    return engine.LoopEnded("end_of_turn", "", [], [], [], engine.Usage())


def _page(rows: list[dict[str, Any]], start_index: int | None, limit: int | None) -> PaginatedResponse:
    start = start_index or 0
    if start < 0 or (limit is not None and limit < 1):
        raise InvalidRequestError("start_index must be ≥ 0 and limit ≥ 1", param="limit")
    end = len(rows) if limit is None else start + limit
    return PaginatedResponse(data=rows[start:end], has_more=end < len(rows))
