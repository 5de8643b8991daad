"""``ToolSet.run``: whatever goes wrong with a call becomes an error the model reads, never an exception."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from llama_stack_providers.inline.agents.meta_reference.engine import (
    EngineTool,
    ToolCallRequest,
    ToolOutcome,
    ToolSet,
)

SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


async def slow(arguments: dict[str, Any]) -> ToolOutcome:
    await asyncio.sleep(10)
    return ToolOutcome(content="late")


async def broken(arguments: dict[str, Any]) -> ToolOutcome:
    raise RuntimeError("disk on fire")


async def echo(arguments: dict[str, Any]) -> ToolOutcome:
    return ToolOutcome(content=str(arguments))


TOOLS = ToolSet(
    [
        EngineTool("slow", "", SCHEMA, invoke=slow),
        EngineTool("broken", "", SCHEMA, invoke=broken),
        EngineTool("echo", "", SCHEMA, invoke=echo),
        EngineTool("ask_user", "", SCHEMA),  # runs on the client
    ]
)


def call(name: str, arguments: dict[str, Any] | str = "{}") -> ToolCallRequest:
    raw = arguments if isinstance(arguments, str) else "{}"
    return ToolCallRequest("c1", name, arguments if isinstance(arguments, dict) else raw, raw)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (call("nope", {}), "unknown tool 'nope'; the tools offered are: slow, broken, echo, ask_user"),
        (call("ask_user", {}), "unknown tool 'ask_user'"),
        (call("echo", "{not json"), "the arguments of 'echo' are not a JSON object: '{not json'"),
        (call("broken", {}), "tool 'broken' failed: RuntimeError: disk on fire"),
        (call("slow", {}), "tool 'slow' did not answer within 0.05s"),
    ],
)
async def test_failures_are_outcomes(request_: ToolCallRequest, expected: str) -> None:
    outcome = await TOOLS.run(request_, timeout_s=0.05)
    assert outcome.error is not None and outcome.error.startswith(expected)
    assert outcome.content == f"Error: {outcome.error}"


async def test_a_good_call_answers() -> None:
    outcome = await TOOLS.run(call("echo", {"x": 1}), timeout_s=1)
    assert outcome.error is None and outcome.content == "{'x': 1}"


async def test_cancelling_a_call_is_not_turned_into_an_outcome() -> None:
    task = asyncio.create_task(TOOLS.run(call("slow", {}), timeout_s=None))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
