"""The agent loop on the local Llama's tool-call formats: the model writes Llama 3 text (a ``<|python_tag|>``
built-in call, a JSON call, code for the interpreter); the provider parses it; the loop runs the tool and
feeds the result back as the ``ipython`` turn. The engine is scripted (tests/fakes/meta_reference.py)."""

from __future__ import annotations

from typing import Any

import pytest

from llama_stack_providers.inline.agents.meta_reference.engine import (
    AgentLoop,
    EngineTool,
    LoopEnded,
    LoopRequest,
    ToolExecutionDone,
    ToolOutcome,
    ToolSet,
)
from llama_stack_providers.inline.inference.meta_reference.config import MetaReferenceInferenceConfig
from llama_stack_providers.inline.inference.meta_reference.provider import MetaReferenceInference
from tests.fakes.meta_reference import ScriptedEngine, llama3_served_model

QUERY = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CODE = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}


def recording_tool(name: str, schema: dict[str, Any], answer: str, calls: list[dict[str, Any]]) -> EngineTool:
    async def invoke(arguments: dict[str, Any]) -> ToolOutcome:
        calls.append({"tool": name, **arguments})
        return ToolOutcome(content=answer)

    return EngineTool(name, f"The {name} tool.", schema, invoke=invoke)


async def run(scripts: list[str], tools: ToolSet) -> tuple[list[Any], ScriptedEngine]:
    served, engine = llama3_served_model(scripts)
    engine.end_token = None  # each script ends with its own <|eom_id|> or <|eot_id|>
    provider = MetaReferenceInference(MetaReferenceInferenceConfig(), preloaded=[served])
    loop = AgentLoop(provider, safety=None)
    request = LoopRequest(model="tiny-llama3", messages=[{"role": "user", "content": "go"}], tools=tools)
    events = [event async for event in loop.run(request)]
    return events, engine


@pytest.mark.parametrize(
    ("first_answer", "tool", "expected_call"),
    [
        (
            '<|python_tag|>brave_search.call(query="tide times")<|eom_id|>',
            "brave_search",
            {"query": "tide times"},
        ),
        (
            '{"name": "get_weather", "parameters": {"city": "Oslo"}}<|eot_id|>',
            "get_weather",
            {"city": "Oslo"},
        ),
        ('<function=get_weather>{"city": "Oslo"}</function><|eot_id|>', "get_weather", {"city": "Oslo"}),
        ("<|python_tag|>print(6 * 7)<|eom_id|>", "code_interpreter", {"code": "print(6 * 7)"}),
    ],
)
async def test_llama3_tool_calls_are_run_and_answered(
    first_answer: str, tool: str, expected_call: dict[str, Any]
) -> None:
    calls: list[dict[str, Any]] = []
    tools = ToolSet(
        [
            recording_tool("brave_search", QUERY, "High tide is at noon.", calls),
            recording_tool("get_weather", CITY, "Snowing.", calls),
            recording_tool("code_interpreter", CODE, "42", calls),
        ]
    )
    events, engine = await run([first_answer, "Done: here is the answer.<|eot_id|>"], tools)
    assert calls == [{"tool": tool, **expected_call}]
    [execution] = [e for e in events if isinstance(e, ToolExecutionDone)]
    assert execution.calls[0].name == tool
    end = events[-1]
    assert isinstance(end, LoopEnded) and end.reason == "end_of_turn"
    assert end.text == "Done: here is the answer."
    # the second prompt carries the tool result in Llama 3's ipython turn
    second_prompt = engine.tokenizer.decode(engine.calls[1].prompt_ids)
    ipython = "<|start_header_id|>ipython<|end_header_id|>\n\n"
    assert ipython in second_prompt
    result = {"brave_search": "High tide is at noon.", "get_weather": "Snowing.", "code_interpreter": "42"}[
        tool
    ]
    assert result in second_prompt.split(ipython)[1]
