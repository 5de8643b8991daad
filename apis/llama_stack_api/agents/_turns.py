"""What a turn records: its input, the steps the agent took (with timings), and its answer.

A turn is one user request and everything the agent did for it: inference
steps, tool executions, shield calls and memory retrievals, in order. Steps are
the wire shapes of llama-stack-client 0.2.x (``model_response`` is the
inference step's answer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from ..inference import (
    URL,
    CompletionMessage,
    InterleavedContent,
    InterleavedContentItem,
    ToolCall,
    ToolResponseMessage,
    UserMessage,
)
from ..safety import SafetyViolation

StepTypeName: TypeAlias = Literal["inference", "tool_execution", "shield_call", "memory_retrieval"]


class _StepBase(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    turn_id: str
    step_id: str
    started_at: datetime | None = None
    completed_at: datetime | None = None


class InferenceStep(_StepBase):
    """One call to the model, and what it answered (text and/or tool calls)."""

    step_type: Literal["inference"] = "inference"
    model_response: CompletionMessage


class ToolResponse(BaseModel):
    """What one tool call returned; ``metadata`` carries the tool's details (an error, documents...)."""

    call_id: str
    tool_name: str
    content: InterleavedContent
    metadata: dict[str, Any] | None = None


class ToolExecutionStep(_StepBase):
    """The tool calls of one inference step, run (concurrently), and their responses in call order."""

    step_type: Literal["tool_execution"] = "tool_execution"
    tool_calls: list[ToolCall]
    tool_responses: list[ToolResponse]


class ShieldCallStep(_StepBase):
    """A shield check on the turn's input, an answer or a tool output; ``violation`` when it blocked."""

    step_type: Literal["shield_call"] = "shield_call"
    violation: SafetyViolation | None = None


class MemoryRetrievalStep(_StepBase):
    """Context retrieved from vector stores (the turn's documents) and given to the model."""

    step_type: Literal["memory_retrieval"] = "memory_retrieval"
    vector_db_ids: str = Field(description="The stores searched, comma-separated.")
    inserted_context: InterleavedContent


Step: TypeAlias = Annotated[
    InferenceStep | ToolExecutionStep | ShieldCallStep | MemoryRetrievalStep, Field(discriminator="step_type")
]


class Document(BaseModel):
    """A document given with a turn: indexed into the session's store for the agent to search."""

    content: InterleavedContent | URL | list[InterleavedContentItem]
    mime_type: str


class Attachment(BaseModel):
    """A file the turn produced (e.g. by the code interpreter)."""

    content: InterleavedContent | URL
    mime_type: str


TurnInputMessage: TypeAlias = Annotated[UserMessage | ToolResponseMessage, Field(discriminator="role")]


class Turn(BaseModel):
    turn_id: str
    session_id: str
    input_messages: list[TurnInputMessage]
    steps: list[Step]
    output_message: CompletionMessage
    output_attachments: list[Attachment] | None = Field(default_factory=list)
    started_at: datetime
    completed_at: datetime | None = None


class Session(BaseModel):
    session_id: str
    session_name: str
    turns: list[Turn]
    started_at: datetime


class AgentStepResponse(BaseModel):
    step: Step
