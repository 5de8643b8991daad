"""The agent loop: inference → tool calls → tool execution → inference … until the model is done.

One loop serves the Agents API and the Responses API. It stops when the model
answers without tool calls, when it calls a tool the caller runs (the loop
pauses; the caller resumes it with the results as tool messages), when a shield
blocks, or when ``max_infer_iters`` inference steps are spent. It keeps the
conversation in OpenAI chat form and reports everything as ``events``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from llama_stack_api.inference import (
    OpenAIChatCompletionTool,
    OpenAIMessageParam,
    OpenAIResponseFormatParam,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from llama_stack_api.safety import SafetyViolation

from .events import (
    EngineEvent,
    InferenceDone,
    LoopEnded,
    ShieldDone,
    ShieldTarget,
    StepStarted,
    ToolCallDone,
    ToolCallRequest,
    ToolCallStarted,
    ToolExecutionDone,
    ToolOutcome,
    Usage,
)
from .inference_step import StreamedAnswer
from .shields import first_violation, judged_text
from .tools import ToolSet

_MESSAGES = TypeAdapter(list[OpenAIMessageParam])
# in-process calls skip the HTTP layer's validation, and providers read typed fields: type them here
_TOOLS = TypeAdapter(list[OpenAIChatCompletionTool])
_TOOL_CHOICE = TypeAdapter(OpenAIToolChoice)
_RESPONSE_FORMAT = TypeAdapter(OpenAIResponseFormatParam)
_WITH_USAGE = OpenAIStreamOptions(include_usage=True)
MAX_TOOL_CALLS_REACHED = "the tool-call limit of this request is reached; answer with what you have"


@dataclass
class LoopRequest:
    """One run of the loop. ``messages`` is the whole conversation so far (system and history included),
    ending with the new input; ``sampling`` holds chat-completion options (temperature, top_p, max_tokens)."""

    model: str
    messages: list[dict[str, Any]]
    tools: ToolSet = field(default_factory=ToolSet)
    tool_choice: Any = None  # an OpenAI tool_choice (a string or a named choice)
    sampling: dict[str, Any] = field(default_factory=dict)
    response_format: Any = None  # an OpenAI response_format
    input_shields: list[str] = field(default_factory=list)
    output_shields: list[str] = field(default_factory=list)
    shield_tool_outputs: bool = True
    check_input: bool = True
    max_infer_iters: int = 10
    max_tool_calls: int | None = None
    parallel_tool_calls: bool = True
    tool_timeout_s: float | None = 60.0


def now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class AgentLoop:
    """Runs ``LoopRequest``s against the stack's inference and safety APIs."""

    def __init__(self, inference: Any, safety: Any | None, make_id: Callable[[], str] = new_id) -> None:
        self.inference = inference
        self.safety = safety
        self.make_id = make_id

    async def run(self, request: LoopRequest) -> AsyncGenerator[EngineEvent, None]:
        run = _Run(self, request)
        async for event in run.events():
            yield event


class _Run:
    """The state of one loop run: the conversation as typed messages, what was added, the counters."""

    def __init__(self, loop: AgentLoop, request: LoopRequest) -> None:
        self.loop = loop
        self.request = request
        # typed once: validating the whole history again at every step would cost per step
        self.typed = _MESSAGES.validate_python(request.messages)
        self.added: list[dict[str, Any]] = []
        self.usage = Usage()
        self.tool_calls_made = 0
        self.tools = (
            _TOOLS.validate_python(request.tools.openai_definitions()) if len(request.tools) else None
        )
        self.tool_choice = _TOOL_CHOICE.validate_python(request.tool_choice or "auto") if self.tools else None
        self.response_format = (
            _RESPONSE_FORMAT.validate_python(request.response_format)
            if request.response_format is not None
            else None
        )

    def _append(self, message: dict[str, Any]) -> None:
        self.added.append(message)
        self.typed.extend(_MESSAGES.validate_python([message]))

    def _ended(self, reason: Any, text: str, **kwargs: Any) -> LoopEnded:
        return LoopEnded(
            reason=reason,
            text=text,
            tool_calls=kwargs.pop("tool_calls", []),
            pending_calls=kwargs.pop("pending_calls", []),
            new_messages=self.added,
            usage=self.usage,
            **kwargs,
        )

    async def events(self) -> AsyncIterator[EngineEvent]:
        request = self.request
        if request.check_input and request.input_shields:
            verdict: list[SafetyViolation | None] = []
            async for event in self._shield_step(
                "input", request.input_shields, self._new_input_text(), verdict
            ):
                yield event
            if verdict[0] is not None:
                yield self._blocked(verdict[0])
                return
        iterations = 0
        while True:
            iterations += 1
            answer = StreamedAnswer(self.loop.make_id())
            yield StepStarted(answer.step_id, "inference")
            started = now()
            async for delta in answer.deltas(await self._infer()):
                yield delta
            self.usage.add(answer.usage)
            calls = answer.tool_calls()
            yield InferenceDone(
                answer.step_id,
                started,
                now(),
                answer.text,
                calls,
                answer.finish_reason,
                answer.usage,
                answer.refusal,
            )
            if answer.refusal is not None or answer.finish_reason == "content_filter":
                # the model's own guardrails refused: the refusal is the answer
                self._append({"role": "assistant", "content": answer.refusal or answer.text})
                yield self._ended("blocked", answer.refusal or answer.text)
                return
            if request.output_shields and answer.text.strip():
                verdict = []
                messages = judged_text(answer.text, "assistant", self._last_user_text())
                async for event in self._shield_step("output", request.output_shields, messages, verdict):
                    yield event
                if verdict[0] is not None:
                    yield self._blocked(verdict[0])
                    return
            if not calls:
                self._append({"role": "assistant", "content": answer.text})
                yield self._ended("end_of_turn", answer.text)
                return
            if iterations >= request.max_infer_iters:
                # the calls stay unanswered, so they are left out of the history the next turn reads
                self._append({"role": "assistant", "content": answer.text})
                yield self._ended("max_iterations", answer.text, tool_calls=calls)
                return
            self._append(_assistant_with_calls(answer.text, calls))
            server_calls = [c for c in calls if not _runs_on_client(request.tools, c)]
            client_calls = [c for c in calls if _runs_on_client(request.tools, c)]
            if server_calls:
                verdict = []
                async for event in self._tool_step(server_calls, verdict):
                    yield event
                if verdict and verdict[0] is not None:
                    yield self._blocked(verdict[0])
                    return
            if client_calls:
                yield self._ended("client_tools", answer.text, tool_calls=calls, pending_calls=client_calls)
                return

    async def _infer(self) -> AsyncIterator[Any]:
        request = self.request
        options: dict[str, Any] = dict(request.sampling)
        if self.tools:
            options["tools"] = self.tools
            options["tool_choice"] = "none" if self._tool_budget_spent() else self.tool_choice
            if not request.parallel_tool_calls:
                options["parallel_tool_calls"] = False
        if self.response_format is not None:
            options["response_format"] = self.response_format
        stream = await self.loop.inference.openai_chat_completion(
            model=request.model, messages=list(self.typed), stream=True, stream_options=_WITH_USAGE, **options
        )
        return stream  # type: ignore[no-any-return]

    def _tool_budget_spent(self) -> bool:
        limit = self.request.max_tool_calls
        return limit is not None and self.tool_calls_made >= limit

    async def _shield_step(
        self,
        target: ShieldTarget,
        shields: list[str],
        messages: Any,
        verdict: list[SafetyViolation | None],
    ) -> AsyncIterator[EngineEvent]:
        step_id = self.loop.make_id()
        yield StepStarted(step_id, "shield_call")
        started = now()
        if isinstance(messages, str):
            messages = judged_text(messages, "user")
        violation = await first_violation(self.loop.safety, shields, messages)
        verdict.append(violation)
        yield ShieldDone(step_id, started, now(), target, list(shields), violation)

    async def _tool_step(
        self, calls: list[ToolCallRequest], verdict: list[SafetyViolation | None]
    ) -> AsyncIterator[EngineEvent]:
        request = self.request
        step_id = self.loop.make_id()
        yield StepStarted(step_id, "tool_execution")
        started = now()
        runnable: list[ToolCallRequest] = []
        outcomes: dict[str, ToolOutcome] = {}
        for call in calls:
            if self._tool_budget_spent():
                outcomes[call.call_id] = ToolOutcome(
                    content=f"Error: {MAX_TOOL_CALLS_REACHED}", error=MAX_TOOL_CALLS_REACHED
                )
                continue
            self.tool_calls_made += 1
            runnable.append(call)
        kinds = {c.call_id: _kind(request.tools, c) for c in calls}
        for call in runnable:
            yield ToolCallStarted(step_id, call, kinds[call.call_id])
        if request.parallel_tool_calls:
            tasks = [asyncio.create_task(self._run_call(call)) for call in runnable]
            try:
                for finished in asyncio.as_completed(tasks):
                    call, outcome = await finished
                    outcomes[call.call_id] = outcome
                    yield ToolCallDone(step_id, call, kinds[call.call_id], outcome)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        else:
            for call in runnable:
                outcome = await request.tools.run(call, request.tool_timeout_s)
                outcomes[call.call_id] = outcome
                yield ToolCallDone(step_id, call, kinds[call.call_id], outcome)
        ordered = [outcomes[c.call_id] for c in calls]
        yield ToolExecutionDone(step_id, started, now(), calls, ordered)
        for call, outcome in zip(calls, ordered, strict=True):
            self._append({"role": "tool", "tool_call_id": call.call_id, "content": outcome.content})
        if request.shield_tool_outputs and request.input_shields:
            # tool results are untrusted input to the model: where prompt injections come from
            text = "\n\n".join(o.content for o in ordered if o.content.strip())
            if text:
                async for event in self._shield_step("tool_output", request.input_shields, text, verdict):
                    yield event

    async def _run_call(self, call: ToolCallRequest) -> tuple[ToolCallRequest, ToolOutcome]:
        return call, await self.request.tools.run(call, self.request.tool_timeout_s)

    def _blocked(self, violation: SafetyViolation) -> LoopEnded:
        text = violation.user_message or "I can't help with that: a safety shield blocked it."
        self._append({"role": "assistant", "content": text})
        return self._ended("blocked", text, violation=violation)

    def _new_input_text(self) -> str:
        """The text of the messages after the last assistant message (the new input, tool results included)."""
        parts: list[str] = []
        for message in reversed(self.request.messages):
            if message.get("role") == "assistant":
                break
            if message.get("role") in ("user", "tool"):
                parts.append(content_text(message.get("content")))
        return "\n\n".join(reversed([p for p in parts if p]))

    def _last_user_text(self) -> str:
        for message in reversed(self.request.messages):
            if message.get("role") == "user":
                return content_text(message.get("content"))
        return ""


def content_text(content: Any) -> str:
    """The text of an OpenAI message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "\n".join(parts)


def _runs_on_client(tools: ToolSet, call: ToolCallRequest) -> bool:
    tool = tools.get(call.name)
    return tool is not None and tool.runs_on_client


def _kind(tools: ToolSet, call: ToolCallRequest) -> str:
    tool = tools.get(call.name)
    return tool.kind if tool is not None else "function"


def _assistant_with_calls(text: str, calls: list[ToolCallRequest]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in calls
        ],
    }
