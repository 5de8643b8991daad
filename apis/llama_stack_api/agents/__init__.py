"""Agents API: agents, their sessions and turns, and OpenAI's Responses — one agent loop behind both.

The agent routes and shapes are those of llama-stack-client 0.2.x
(``/v1/agents/...``): a turn streams its steps as server-sent events or answers
with the finished ``Turn``; a turn that needs client tools pauses
(``turn_awaiting_input``) until ``resume`` brings their results. The
Responses routes (``/v1/responses``) are OpenAI's; their types live in
``llama_stack_api.responses``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, Protocol, runtime_checkable

from .._routes import webmethod
from ..apis import Api, ApiSpec
from ..inference import ToolConfig
from ..responses import (
    Response,
    ResponseConversationRef,
    ResponseDeletedObject,
    ResponseInput,
    ResponseInputItemList,
    ResponseList,
    ResponseStreamEvent,
    ResponseTextConfig,
    ResponseTool,
    ResponseToolChoice,
)
from ._config import (
    DEFAULT_MAX_INFER_ITERS,
    Agent,
    AgentConfig,
    AgentCreateResponse,
    AgentSessionCreateResponse,
    AgentToolGroup,
    AgentToolGroupWithArgs,
    PaginatedResponse,
)
from ._events import (
    AgentTurnResponseEvent,
    AgentTurnResponseEventPayload,
    AgentTurnResponseStepCompletePayload,
    AgentTurnResponseStepProgressPayload,
    AgentTurnResponseStepStartPayload,
    AgentTurnResponseStreamChunk,
    AgentTurnResponseTurnAwaitingInputPayload,
    AgentTurnResponseTurnCompletePayload,
    AgentTurnResponseTurnStartPayload,
)
from ._turns import (
    AgentStepResponse,
    Attachment,
    Document,
    InferenceStep,
    MemoryRetrievalStep,
    Session,
    ShieldCallStep,
    Step,
    StepTypeName,
    ToolExecutionStep,
    ToolResponse,
    Turn,
    TurnInputMessage,
)

__all__ = [
    "API_SPEC",
    "DEFAULT_MAX_INFER_ITERS",
    "Agent",
    "AgentConfig",
    "AgentCreateResponse",
    "AgentSessionCreateResponse",
    "AgentStepResponse",
    "AgentToolGroup",
    "AgentToolGroupWithArgs",
    "AgentTurnResponseEvent",
    "AgentTurnResponseEventPayload",
    "AgentTurnResponseStepCompletePayload",
    "AgentTurnResponseStepProgressPayload",
    "AgentTurnResponseStepStartPayload",
    "AgentTurnResponseStreamChunk",
    "AgentTurnResponseTurnAwaitingInputPayload",
    "AgentTurnResponseTurnCompletePayload",
    "AgentTurnResponseTurnStartPayload",
    "Agents",
    "Attachment",
    "Document",
    "InferenceStep",
    "MemoryRetrievalStep",
    "PaginatedResponse",
    "Session",
    "ShieldCallStep",
    "Step",
    "StepTypeName",
    "ToolExecutionStep",
    "ToolResponse",
    "Turn",
    "TurnInputMessage",
]

_SESSION = "/v1/agents/{agent_id}/session/{session_id}"
_TURN = _SESSION + "/turn/{turn_id}"


@runtime_checkable
class Agents(Protocol):
    """Run agents: the model, tools, shields and memory in a loop, turn by turn."""

    @webmethod("POST", "/v1/agents", summary="Create an agent.")
    async def create_agent(self, agent_config: AgentConfig) -> AgentCreateResponse:
        """Raises ``InvalidRequestError`` for an unknown model, shield or tool group (naming the known
        ones), or a client tool whose name clashes with a tool group's."""
        ...

    @webmethod("GET", "/v1/agents", summary="List agents.")
    async def list_agents(
        self, start_index: int | None = None, limit: int | None = None
    ) -> PaginatedResponse:
        """Agents oldest first, each as ``{agent_id, agent_config, created_at}``."""
        ...

    @webmethod("GET", "/v1/agents/{agent_id}", summary="Get an agent.")
    async def get_agent(self, agent_id: str) -> Agent:
        """Raises ``NotFoundError`` for an unknown agent."""
        ...

    @webmethod("DELETE", "/v1/agents/{agent_id}", summary="Delete an agent and its sessions.")
    async def delete_agent(self, agent_id: str) -> None:
        """Raises ``NotFoundError`` for an unknown agent."""
        ...

    @webmethod("POST", "/v1/agents/{agent_id}/session", summary="Start a session with an agent.")
    async def create_agent_session(self, agent_id: str, session_name: str) -> AgentSessionCreateResponse:
        """Raises ``NotFoundError`` for an unknown agent."""
        ...

    @webmethod("GET", "/v1/agents/{agent_id}/sessions", summary="List an agent's sessions.")
    async def list_agent_sessions(
        self, agent_id: str, start_index: int | None = None, limit: int | None = None
    ) -> PaginatedResponse:
        """Sessions oldest first, without their turns."""
        ...

    @webmethod("GET", _SESSION, summary="Get a session and its turns.")
    async def get_agents_session(
        self, agent_id: str, session_id: str, turn_ids: list[str] | None = None
    ) -> Session:
        """The session with its turns (only ``turn_ids`` when given). Raises ``NotFoundError``."""
        ...

    @webmethod("DELETE", _SESSION, summary="Delete a session and its turns.")
    async def delete_agents_session(self, agent_id: str, session_id: str) -> None:
        """Raises ``NotFoundError`` for an unknown agent or session."""
        ...

    @webmethod("POST", _SESSION + "/turn", stream="stream", summary="Run a turn.")
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
        """Run the agent on ``messages`` with the session's history: the finished turn, or its events.

        ``documents`` are indexed into the session's own vector store, searched with
        ``knowledge_search``; ``toolgroups`` add to the agent's for this turn. Raises
        ``NotFoundError`` for an unknown agent or session, ``ConflictError`` while the
        session's previous turn awaits client tool responses.
        """
        ...

    @webmethod("GET", _TURN, summary="Get a turn.")
    async def get_agents_turn(self, agent_id: str, session_id: str, turn_id: str) -> Turn:
        """Raises ``NotFoundError``."""
        ...

    @webmethod("POST", _TURN + "/resume", stream="stream", summary="Resume a turn with client tool results.")
    async def resume_agent_turn(
        self,
        agent_id: str,
        session_id: str,
        turn_id: str,
        tool_responses: list[ToolResponse],
        stream: bool | None = False,
    ) -> Turn | AsyncIterator[AgentTurnResponseStreamChunk]:
        """Give the paused turn the results of its client tool calls (one per call) and go on.

        Raises ``NotFoundError`` for an unknown turn, ``ConflictError`` when the turn is
        not awaiting input, ``InvalidRequestError`` when responses do not match the calls.
        """
        ...

    @webmethod("GET", _TURN + "/step/{step_id}", summary="Get a step of a turn.")
    async def get_agents_step(
        self, agent_id: str, session_id: str, turn_id: str, step_id: str
    ) -> AgentStepResponse:
        """Raises ``NotFoundError``."""
        ...

    # --- OpenAI Responses -------------------------------------------------------------------------

    @webmethod("POST", "/v1/responses", stream="stream", openai=True, summary="Create a model response.")
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
        """Run the agent loop on ``input`` (after ``previous_response_id``'s conversation or the
        ``conversation``'s items): the response, or its events with ``stream``.

        ``function`` tools pause the loop (their calls are the output); ``file_search``,
        ``web_search`` and ``mcp`` tools run in the stack; an MCP tool that needs approval ends
        the response with an ``mcp_approval_request`` answered by a later request's
        ``mcp_approval_response``. Raises ``NotFoundError`` for an unknown model, previous
        response, conversation or vector store, ``InvalidRequestError`` for both
        ``previous_response_id`` and ``conversation`` or a tool the stack cannot serve.
        """
        ...

    @webmethod("GET", "/v1/responses", openai=True, summary="List stored responses.")
    async def list_openai_responses(
        self,
        after: str | None = None,
        limit: int | None = 50,
        model: str | None = None,
        order: Literal["asc", "desc"] | None = "desc",
    ) -> ResponseList: ...

    @webmethod("GET", "/v1/responses/{response_id}", openai=True, summary="Get a stored response.")
    async def get_openai_response(self, response_id: str) -> Response:
        """Raises ``NotFoundError`` for an unknown (or unstored) response."""
        ...

    @webmethod("DELETE", "/v1/responses/{response_id}", openai=True, summary="Delete a stored response.")
    async def delete_openai_response(self, response_id: str) -> ResponseDeletedObject:
        """Raises ``NotFoundError`` for an unknown response."""
        ...

    @webmethod(
        "GET",
        "/v1/responses/{response_id}/input_items",
        openai=True,
        summary="List a response's input items.",
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
        """The items the response was created from (its input, not earlier responses'). Raises
        ``NotFoundError``."""
        ...

    @webmethod(
        "POST", "/v1/responses/{response_id}/cancel", openai=True, summary="Cancel a background response."
    )
    async def cancel_openai_response(self, response_id: str) -> Response:
        """Stop a queued or running background response (status ``cancelled``). Raises
        ``NotFoundError``, and ``ConflictError`` for a response that was not created with
        ``background`` or has already finished."""
        ...


API_SPEC = ApiSpec(
    api=Api.agents, protocol=Agents, description="Agents (sessions, turns, steps) and Responses"
)
