"""The agent loop through llama-stack-client 0.2.12's raw ``agents.*`` calls, with the scripted model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from llama_stack_client import LlamaStackClient

from tests.fakes.scripted_inference import script
from tests.support.server import ServedStack


@pytest.fixture
def client(agents_server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=agents_server.base_url, max_retries=0) as sdk:
        yield sdk


def model_log(server: ServedStack) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = server.provider("scripted").log
    return log


def new_session(client: LlamaStackClient, **config: Any) -> tuple[str, str]:
    agent_config = {"model": "scripted-llm", "instructions": "You are a calculator.", **config}
    agent_id = client.agents.create(agent_config=agent_config).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
    return agent_id, session_id


def test_multi_step_tool_use_runs_the_tools_and_feeds_results_back(
    client: LlamaStackClient, agents_server: ServedStack
) -> None:
    agent_id, session_id = new_session(client, toolgroups=["mcp::calc"])
    moves = script(
        {"call": [{"name": "add", "arguments": {"a": 2, "b": 3}}]},
        {"call": [{"name": "add", "arguments": {"a": 5, "b": 10}}]},
        {"say": "the sum is {tool_results}"},
    )
    turn = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    assert turn.output_message.content == "the sum is 15"
    assert turn.output_message.stop_reason == "end_of_turn"
    kinds = [s.step_type for s in turn.steps]
    assert kinds == ["inference", "tool_execution", "inference", "tool_execution", "inference"]
    first_tools = turn.steps[1]
    assert first_tools.tool_calls[0].tool_name == "add"
    assert first_tools.tool_responses[0].content == "5"
    for step in turn.steps:
        assert step.started_at is not None and step.completed_at is not None
        assert step.started_at <= step.completed_at
    # what the model was sent: the system instructions, the mcp tools, then the tool result
    last = model_log(agents_server)[-1]
    assert last["messages"][0] == {"role": "system", "content": "You are a calculator."}
    assert "add" in last["tools"] and "echo" in last["tools"]
    assert [m["role"] for m in last["messages"][1:]] == ["user", "assistant", "tool", "assistant", "tool"]
    # the turn and a step are stored
    stored = client.agents.turn.retrieve(agent_id=agent_id, session_id=session_id, turn_id=turn.turn_id)
    assert stored.output_message.content == "the sum is 15"
    step = client.agents.steps.retrieve(
        agent_id=agent_id, session_id=session_id, turn_id=turn.turn_id, step_id=turn.steps[1].step_id
    )
    assert step.step.step_type == "tool_execution"


def test_parallel_tool_calls_run_in_one_step_in_call_order(client: LlamaStackClient) -> None:
    agent_id, session_id = new_session(client, toolgroups=["mcp::calc"])
    moves = script(
        {
            "call": [
                {"name": "nap", "arguments": {"seconds": 0.2}},
                {"name": "echo", "arguments": {"text": "quick"}},
            ]
        },
        {"say": "got {tool_results}"},
    )
    turn = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    [execution] = [s for s in turn.steps if s.step_type == "tool_execution"]
    assert [c.tool_name for c in execution.tool_calls] == ["nap", "echo"]
    assert [r.tool_name for r in execution.tool_responses] == ["nap", "echo"]
    assert turn.output_message.content.startswith("got ")


def test_streamed_turn_events(client: LlamaStackClient) -> None:
    agent_id, session_id = new_session(client, toolgroups=["mcp::calc"])
    moves = script({"call": [{"name": "echo", "arguments": {"text": "hi"}}]}, {"say": "said {tool_results}"})
    events = [
        chunk.event.payload
        for chunk in client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": moves}],
            stream=True,
        )
    ]
    kinds = [e.event_type for e in events]
    assert kinds[0] == "turn_start" and kinds[-1] == "turn_complete"
    assert "step_progress" in kinds
    completes = [e.step_type for e in events if e.event_type == "step_complete"]
    assert completes == ["inference", "tool_execution", "inference"]
    text = "".join(e.delta.text for e in events if e.event_type == "step_progress" and e.delta.type == "text")
    assert text.strip() == "said hi"
    assert events[-1].turn.output_message.content == "said hi"


def test_history_carries_over_between_turns(client: LlamaStackClient, agents_server: ServedStack) -> None:
    agent_id, session_id = new_session(client)
    client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "first"}],
        stream=False,
    )
    client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "second"}],
        stream=False,
    )
    sent = model_log(agents_server)[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[2]["content"] == "echo: first"
    session = client.agents.session.retrieve(agent_id=agent_id, session_id=session_id)
    assert [t.output_message.content for t in session.turns] == ["echo: first", "echo: second"]


def test_max_infer_iters_stops_a_model_that_keeps_calling_tools(client: LlamaStackClient) -> None:
    agent_id, session_id = new_session(client, toolgroups=["mcp::calc"], max_infer_iters=3)
    moves = script({"call": [{"name": "echo", "arguments": {"text": "again"}}]})
    turn = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    assert [s.step_type for s in turn.steps].count("inference") == 3
    assert turn.output_message.stop_reason == "out_of_tokens"


def test_input_shield_blocks_before_the_model_is_called(
    client: LlamaStackClient, agents_server: ServedStack
) -> None:
    agent_id, session_id = new_session(client, input_shields=["words"])
    before = len(model_log(agents_server))
    turn = client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "how do I smuggle things"}],
        stream=False,
    )
    assert len(model_log(agents_server)) == before
    [shield] = turn.steps
    assert shield.step_type == "shield_call" and shield.violation is not None
    assert shield.violation.violation_level == "error"
    assert turn.output_message.content == shield.violation.user_message


def test_output_shield_blocks_the_answer(client: LlamaStackClient) -> None:
    agent_id, session_id = new_session(client, output_shields=["words"])
    turn = client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": script({"say": "this is forbidden knowledge"})}],
        stream=False,
    )
    assert [s.step_type for s in turn.steps] == ["inference", "shield_call"]
    assert turn.steps[1].violation is not None
    assert "forbidden knowledge" not in turn.output_message.content


def test_tool_output_is_checked_by_the_input_shields(client: LlamaStackClient) -> None:
    # the input itself passes; the tool echoes the system instructions, which the shield blocks
    agent_id, session_id = new_session(
        client, toolgroups=["mcp::calc"], input_shields=["words"], instructions="Never smuggle anything."
    )
    moves = script({"call": [{"name": "echo", "arguments": {"text": "{system}"}}]}, {"say": "ok"})
    turn = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    kinds = [s.step_type for s in turn.steps]
    assert kinds == ["shield_call", "inference", "tool_execution", "shield_call"]
    assert turn.steps[-1].violation is not None


def test_a_failing_tool_is_reported_to_the_model(client: LlamaStackClient) -> None:
    agent_id, session_id = new_session(client, toolgroups=["mcp::calc"])
    moves = script({"call": [{"name": "fail", "arguments": {}}]}, {"say": "saw: {tool_results}"})
    turn = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    assert "failed on purpose" in turn.output_message.content
    response = turn.steps[1].tool_responses[0]
    assert response.metadata is not None and "failed on purpose" in response.metadata["error"]
