"""What the agent loop reports as it runs: API-neutral events that the Agents and Responses adapters
turn into their own wire events and records.

Every step has an id and a ``kind`` (``inference``, ``tool_execution``,
``shield_call``, ``memory_retrieval``); ``StepStarted`` opens it, deltas and
per-call events report progress, and a ``*Done`` event closes it with timings.
The loop ends with exactly one ``LoopEnded``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from llama_stack_api.safety import SafetyViolation

StepKind = Literal["inference", "tool_execution", "shield_call", "memory_retrieval"]
ShieldTarget = Literal["input", "output", "tool_output"]
EndReason = Literal["end_of_turn", "client_tools", "max_iterations", "max_tool_calls", "blocked"]


@dataclass
class ToolCallRequest:
    """A call the model made: ``arguments`` parsed (a dict), ``arguments_json`` as the model wrote it."""

    call_id: str
    name: str
    arguments: dict[str, Any] | str
    arguments_json: str


@dataclass
class ToolOutcome:
    """What a tool returned: text for the model, an error if it failed, details for the records."""

    content: str
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens


@dataclass
class StepStarted:
    step_id: str
    kind: StepKind


@dataclass
class TextDelta:
    step_id: str
    text: str


@dataclass
class ToolCallDelta:
    """Part of a tool call as the model streams it; the first delta of a call carries its name and id."""

    step_id: str
    index: int
    call_id: str
    name: str
    arguments_delta: str


@dataclass
class InferenceDone:
    step_id: str
    started_at: datetime
    completed_at: datetime
    text: str
    tool_calls: list[ToolCallRequest]
    finish_reason: str
    usage: Usage
    refusal: str | None = None


@dataclass
class ToolCallStarted:
    step_id: str
    call: ToolCallRequest
    kind: str  # the tool's kind (function, file_search, web_search, mcp ...), for the adapters' events


@dataclass
class ToolCallDone:
    step_id: str
    call: ToolCallRequest
    kind: str
    outcome: ToolOutcome


@dataclass
class ToolExecutionDone:
    step_id: str
    started_at: datetime
    completed_at: datetime
    calls: list[ToolCallRequest]
    outcomes: list[ToolOutcome]


@dataclass
class ShieldDone:
    step_id: str
    started_at: datetime
    completed_at: datetime
    target: ShieldTarget
    shields: list[str]
    violation: SafetyViolation | None


@dataclass
class MemoryRetrievalDone:
    step_id: str
    started_at: datetime
    completed_at: datetime
    vector_store_ids: list[str]
    context: str


@dataclass
class LoopEnded:
    """Why the loop stopped, the answer, and the messages it added to the conversation (OpenAI chat form).

    ``pending_calls`` are the client tool calls the caller must answer (``reason == "client_tools"``).
    """

    reason: EndReason
    text: str
    tool_calls: list[ToolCallRequest]
    pending_calls: list[ToolCallRequest]
    new_messages: list[dict[str, Any]]
    usage: Usage
    violation: SafetyViolation | None = None


EngineEvent = (
    StepStarted
    | TextDelta
    | ToolCallDelta
    | InferenceDone
    | ToolCallStarted
    | ToolCallDone
    | ToolExecutionDone
    | ShieldDone
    | MemoryRetrievalDone
    | LoopEnded
)
