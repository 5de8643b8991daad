"""Engine events as the Agents API's turn events and step records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llama_stack_api.agents import (
    AgentTurnResponseEvent,
    AgentTurnResponseEventPayload,
    AgentTurnResponseStepCompletePayload,
    AgentTurnResponseStepProgressPayload,
    AgentTurnResponseStepStartPayload,
    AgentTurnResponseStreamChunk,
    InferenceStep,
    MemoryRetrievalStep,
    ShieldCallStep,
    Step,
    ToolExecutionStep,
    ToolResponse,
)
from llama_stack_api.inference import (
    CompletionMessage,
    StopReason,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallParseStatus,
)

from . import engine


def chunk(payload: AgentTurnResponseEventPayload) -> AgentTurnResponseStreamChunk:
    return AgentTurnResponseStreamChunk(event=AgentTurnResponseEvent(payload=payload))


def native_call(call: engine.ToolCallRequest) -> ToolCall:
    return ToolCall(
        call_id=call.call_id,
        tool_name=call.name,
        arguments=call.arguments,
        arguments_json=call.arguments_json,
    )


def tool_response(call: engine.ToolCallRequest, outcome: engine.ToolOutcome) -> ToolResponse:
    metadata: dict[str, Any] = dict(outcome.metadata)
    if outcome.error is not None:
        metadata["error"] = outcome.error
    return ToolResponse(
        call_id=call.call_id, tool_name=call.name, content=outcome.content, metadata=metadata or None
    )


class TurnRecorder:
    """Turns one turn's engine events into stream chunks, keeping the finished steps in order."""

    def __init__(self, turn_id: str, steps: list[Step] | None = None) -> None:
        self.turn_id = turn_id
        self.steps: list[Step] = list(steps or [])
        self.inference_steps = 0

    def add_step(self, step: Step) -> AgentTurnResponseStreamChunk:
        self.steps.append(step)
        return chunk(
            AgentTurnResponseStepCompletePayload(
                step_type=step.step_type, step_id=step.step_id, step_details=step
            )
        )

    def chunks(self, event: engine.EngineEvent) -> list[AgentTurnResponseStreamChunk]:
        if isinstance(event, engine.StepStarted):
            return [chunk(AgentTurnResponseStepStartPayload(step_type=event.kind, step_id=event.step_id))]
        if isinstance(event, engine.TextDelta):
            return [_progress(event.step_id, TextDelta(text=event.text))]
        if isinstance(event, engine.ToolCallDelta):
            delta = ToolCallDelta(
                tool_call=event.arguments_delta, parse_status=ToolCallParseStatus.in_progress
            )
            return [_progress(event.step_id, delta)]
        if isinstance(event, engine.InferenceDone):
            self.inference_steps += 1
            parsed = [
                _progress(
                    event.step_id,
                    ToolCallDelta(tool_call=native_call(c), parse_status=ToolCallParseStatus.succeeded),
                )
                for c in event.tool_calls
            ]
            stop = StopReason.end_of_message if event.tool_calls else StopReason.end_of_turn
            if event.finish_reason == "length":
                stop = StopReason.out_of_tokens
            message = CompletionMessage(
                content=event.text, stop_reason=stop, tool_calls=[native_call(c) for c in event.tool_calls]
            )
            inference = InferenceStep(**_timing(event, self.turn_id), model_response=message)
            return [*parsed, self.add_step(inference)]
        if isinstance(event, engine.ToolExecutionDone):
            execution = ToolExecutionStep(
                **_timing(event, self.turn_id),
                tool_calls=[native_call(c) for c in event.calls],
                tool_responses=[
                    tool_response(c, o) for c, o in zip(event.calls, event.outcomes, strict=True)
                ],
            )
            return [self.add_step(execution)]
        if isinstance(event, engine.ShieldDone):
            return [self.add_step(ShieldCallStep(**_timing(event, self.turn_id), violation=event.violation))]
        if isinstance(event, engine.MemoryRetrievalDone):
            memory = MemoryRetrievalStep(
                **_timing(event, self.turn_id),
                vector_db_ids=",".join(event.vector_store_ids),
                inserted_context=event.context,
            )
            return [self.add_step(memory)]
        return []  # per-call events and the end are the service's business


def _progress(step_id: str, delta: TextDelta | ToolCallDelta) -> AgentTurnResponseStreamChunk:
    return chunk(AgentTurnResponseStepProgressPayload(step_type="inference", step_id=step_id, delta=delta))


def _timing(event: Any, turn_id: str) -> dict[str, str | datetime]:
    return {
        "turn_id": turn_id,
        "step_id": event.step_id,
        "started_at": event.started_at,
        "completed_at": event.completed_at,
    }


def output_message(end: engine.LoopEnded) -> CompletionMessage:
    """The turn's answer. Paused for client tools: ``end_of_message`` with the calls the caller runs
    (only those: the client helper would run any call it is shown). Out of iterations: ``out_of_tokens``,
    so clients do not try to run the unanswered calls."""
    if end.reason == "client_tools":
        return CompletionMessage(
            content=end.text,
            stop_reason=StopReason.end_of_message,
            tool_calls=[native_call(c) for c in end.pending_calls],
        )
    if end.reason == "max_iterations":
        return CompletionMessage(
            content=end.text,
            stop_reason=StopReason.out_of_tokens,
            tool_calls=[native_call(c) for c in end.tool_calls],
        )
    return CompletionMessage(content=end.text, stop_reason=StopReason.end_of_turn, tool_calls=[])
