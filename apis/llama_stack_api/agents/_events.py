"""The event stream of a turn: steps starting, progressing and completing, then the turn.

Each server-sent event is an ``AgentTurnResponseStreamChunk`` whose payload is
told apart by ``event_type``. A turn that stops for client tools ends with
``turn_awaiting_input`` (its output message carries the calls, with
``stop_reason: end_of_message``) instead of ``turn_complete``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from ..inference import ContentDelta
from ._turns import Step, StepTypeName, Turn


class AgentTurnResponseTurnStartPayload(BaseModel):
    event_type: Literal["turn_start"] = "turn_start"
    turn_id: str


class AgentTurnResponseStepStartPayload(BaseModel):
    event_type: Literal["step_start"] = "step_start"
    step_type: StepTypeName
    step_id: str
    metadata: dict[str, Any] | None = Field(default_factory=dict)


class AgentTurnResponseStepProgressPayload(BaseModel):
    """Text or tool-call deltas of an inference step as the model produces them."""

    event_type: Literal["step_progress"] = "step_progress"
    step_type: StepTypeName
    step_id: str
    delta: ContentDelta


class AgentTurnResponseStepCompletePayload(BaseModel):
    event_type: Literal["step_complete"] = "step_complete"
    step_type: StepTypeName
    step_id: str
    step_details: Step


class AgentTurnResponseTurnCompletePayload(BaseModel):
    event_type: Literal["turn_complete"] = "turn_complete"
    turn: Turn


class AgentTurnResponseTurnAwaitingInputPayload(BaseModel):
    event_type: Literal["turn_awaiting_input"] = "turn_awaiting_input"
    turn: Turn


AgentTurnResponseEventPayload: TypeAlias = Annotated[
    AgentTurnResponseTurnStartPayload
    | AgentTurnResponseStepStartPayload
    | AgentTurnResponseStepProgressPayload
    | AgentTurnResponseStepCompletePayload
    | AgentTurnResponseTurnCompletePayload
    | AgentTurnResponseTurnAwaitingInputPayload,
    Field(discriminator="event_type"),
]


class AgentTurnResponseEvent(BaseModel):
    payload: AgentTurnResponseEventPayload


class AgentTurnResponseStreamChunk(BaseModel):
    event: AgentTurnResponseEvent
