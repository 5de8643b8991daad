"""Agents, sessions and turns in the provider's kv store, so they survive a restart.

Keys (each value one JSON document, written whole, so a crash leaves the
previous version or the new one, never half of one):

- ``agent:{agent_id}`` — the ``Agent``;
- ``session:{agent_id}:{session_id}`` — a ``SessionRecord``;
- ``turn:{session_id}:{started_at}:{turn_id}`` — a ``TurnRecord`` (the turn, the chat messages it
  added, and what a paused turn waits for); the timestamp in the key orders a session's turns;
- ``turn-key:{turn_id}`` — where that turn lives.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from llama_stack_api import NotFoundError
from llama_stack_api.agents import Agent, AgentToolGroup, Turn
from llama_stack_api.inference import ToolConfig
from llama_stack_api.plugins import KeyValueStore


class SessionRecord(BaseModel):
    agent_id: str
    session_id: str
    session_name: str
    started_at: datetime
    vector_store_id: str | None = Field(default=None, description="The store of the session's documents.")


class PendingCall(BaseModel):
    call_id: str
    name: str
    arguments: dict[str, Any] | str
    arguments_json: str


class TurnRecord(BaseModel):
    """A turn as stored: the wire ``Turn``, the chat messages it added to the conversation, and, while it
    awaits client tool results, the calls it waits for and the per-turn settings to resume with."""

    turn: Turn
    messages: list[dict[str, Any]]
    pending_calls: list[PendingCall] = Field(default_factory=list)
    toolgroups: list[AgentToolGroup] = Field(default_factory=list)
    tool_config: ToolConfig | None = None
    inference_steps: int = 0


PARSED_TURNS_KEPT = 4096


class AgentStore:
    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv
        # Every turn reads its session's earlier turns; parsing each record again made a turn's cost grow
        # with the session (bench/agents.py). A record is reparsed only when its stored text changed.
        self._parsed: OrderedDict[str, tuple[str, TurnRecord]] = OrderedDict()

    # agents

    async def put_agent(self, agent: Agent) -> None:
        await self.kv.set(f"agent:{agent.agent_id}", agent.model_dump_json())

    async def agent(self, agent_id: str) -> Agent:
        raw = await self.kv.get(f"agent:{agent_id}")
        if raw is None:
            raise NotFoundError(f"agent {agent_id!r} does not exist; create one with POST /v1/agents")
        return Agent.model_validate_json(raw)

    async def agents(self) -> list[Agent]:
        found = [Agent.model_validate_json(v) for _, v in await self.kv.items_with_prefix("agent:")]
        return sorted(found, key=lambda a: a.created_at)

    async def delete_agent(self, agent_id: str) -> list[SessionRecord]:
        """Delete the agent, its sessions and their turns; returns the sessions (their stores to drop)."""
        await self.agent(agent_id)
        sessions = await self.sessions(agent_id)
        for session in sessions:
            await self.delete_session(session)
        await self.kv.delete(f"agent:{agent_id}")
        return sessions

    # sessions

    async def put_session(self, session: SessionRecord) -> None:
        await self.kv.set(f"session:{session.agent_id}:{session.session_id}", session.model_dump_json())

    async def session(self, agent_id: str, session_id: str) -> SessionRecord:
        # a session's key names its agent, and an agent's sessions are deleted before it: the agent is read
        # only to say which of the two is missing
        raw = await self.kv.get(f"session:{agent_id}:{session_id}")
        if raw is None:
            await self.agent(agent_id)
            raise NotFoundError(
                f"session {session_id!r} of agent {agent_id!r} does not exist; "
                f"create one with POST /v1/agents/{agent_id}/session"
            )
        return SessionRecord.model_validate_json(raw)

    async def sessions(self, agent_id: str) -> list[SessionRecord]:
        found = [
            SessionRecord.model_validate_json(v)
            for _, v in await self.kv.items_with_prefix(f"session:{agent_id}:")
        ]
        return sorted(found, key=lambda s: s.started_at)

    async def delete_session(self, session: SessionRecord) -> None:
        for key, _ in await self.kv.items_with_prefix(f"turn:{session.session_id}:"):
            turn_id = key.rsplit(":", 1)[1]
            await self.kv.delete(f"turn-key:{turn_id}")
            await self.kv.delete(key)
        await self.kv.delete(f"session:{session.agent_id}:{session.session_id}")

    # turns

    async def put_turn(self, record: TurnRecord) -> None:
        turn = record.turn
        key = f"turn:{turn.session_id}:{turn.started_at.isoformat()}:{turn.turn_id}"
        await self.kv.set(key, record.model_dump_json())
        await self.kv.set(f"turn-key:{turn.turn_id}", key)

    async def turns(self, session_id: str) -> list[TurnRecord]:
        return [
            TurnRecord.model_validate_json(v)
            for _, v in await self.kv.items_with_prefix(f"turn:{session_id}:")
        ]

    async def turn(self, session_id: str, turn_id: str) -> TurnRecord:
        key = await self.kv.get(f"turn-key:{turn_id}")
        raw = await self.kv.get(key) if key is not None else None
        record = TurnRecord.model_validate_json(raw) if raw is not None else None
        if record is None or record.turn.session_id != session_id:
            raise NotFoundError(f"turn {turn_id!r} does not exist in session {session_id!r}")
        return record
