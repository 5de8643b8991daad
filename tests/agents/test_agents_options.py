"""Options that shape a turn or a response: per-turn tool groups, tool_choice, response formats, parallel calls,
and failures reported in the stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import llama_stack_client
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.fakes.mcp_server import MCPTestServer
from tests.fakes.scripted_inference import script
from tests.support.server import ServedStack, wait_for


@pytest.fixture
def client(agents_server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=agents_server.base_url, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def openai_client(agents_server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{agents_server.base_url}/v1", api_key="none", max_retries=0) as sdk:
        yield sdk


def last_request(server: ServedStack) -> dict[str, Any]:
    entry: dict[str, Any] = server.provider("scripted").log[-1]
    return entry


def test_per_turn_tool_groups_add_to_the_agents(client: LlamaStackClient, agents_server: ServedStack) -> None:
    agent_id = client.agents.create(agent_config={"model": "scripted-llm", "instructions": ""}).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
    client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "plain"}],
        stream=False,
    )
    assert last_request(agents_server)["tools"] == []
    client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "with tools"}],
        toolgroups=["mcp::calc/add"],
        stream=False,
    )
    assert last_request(agents_server)["tools"] == ["add"]


def test_agent_tool_choice_and_response_format_reach_the_model(
    client: LlamaStackClient, agents_server: ServedStack
) -> None:
    config = {
        "model": "scripted-llm",
        "instructions": "",
        "toolgroups": ["mcp::calc"],
        "tool_config": {"tool_choice": "none"},
        "response_format": {"type": "json_schema", "json_schema": {"title": "Answer", "type": "object"}},
        "sampling_params": {
            "strategy": {"type": "top_p", "temperature": 0.5, "top_p": 0.9},
            "max_tokens": 64,
        },
    }
    agent_id = client.agents.create(agent_config=config).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
    turn = client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": script({"json": {"ok": True}})}],
        stream=False,
    )
    assert turn.output_message.content == '{"ok": true}'
    sent = last_request(agents_server)
    assert sent["tool_choice"] == "none"
    assert sent["response_format"]["json_schema"]["name"] == "Answer"


def test_a_named_tool_choice_in_a_response(openai_client: OpenAI, agents_server: ServedStack) -> None:
    weather = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
    openai_client.responses.create(
        model="scripted-llm",
        input="hi",
        tools=[weather],
        tool_choice={"type": "function", "name": "get_weather"},
    )
    assert last_request(agents_server)["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


def test_sequential_tool_calls_when_parallel_calls_are_off(
    openai_client: OpenAI, mcp_server: MCPTestServer, agents_server: ServedStack
) -> None:
    moves = script(
        {
            "call": [
                {"name": "add", "arguments": {"a": 1, "b": 2}},
                {"name": "add", "arguments": {"a": 3, "b": 4}},
            ]
        },
        {"say": "{tool_results}"},
    )
    tool = {
        "type": "mcp",
        "server_label": "calc",
        "server_url": mcp_server.http_url,
        "require_approval": "never",
    }
    response = openai_client.responses.create(
        model="scripted-llm", input=moves, tools=[tool], parallel_tool_calls=False
    )
    assert response.output_text == "3 | 7"
    assert response.parallel_tool_calls is False


def test_a_failing_model_fails_the_response(openai_client: OpenAI) -> None:
    with openai_client.responses.create(
        model="scripted-llm", input=script({"fail": "the engine fell over"}), stream=True
    ) as stream:
        events = []
        with pytest.raises(Exception, match="the engine fell over"):
            for event in stream:
                events.append(event)
    failed = [e for e in events if e.type == "response.failed"]
    assert failed and failed[0].response.error is not None
    assert "the engine fell over" in failed[0].response.error.message
    stored = openai_client.responses.retrieve(failed[0].response.id)
    assert stored.status == "failed"


def test_the_code_interpreter_keeps_a_scratch_folder_per_agent_session(client: LlamaStackClient) -> None:
    config = {"model": "scripted-llm", "instructions": "", "toolgroups": ["builtin::code_interpreter"]}
    agent_id = client.agents.create(agent_config=config).agent_id

    def call(code: str) -> dict[str, Any]:
        return {"call": [{"name": "code_interpreter", "arguments": {"code": code}}]}

    # one script for the whole session: turn 1 writes a file, turn 2 reads it back
    moves = script(
        call("open('note.txt', 'w').write('kept'); 6 * 7"),
        {"say": "{tool_results}"},
        call("open('note.txt').read()"),
        {"say": "{tool_results}"},
    )

    def turn(session_id: str, text: str) -> str:
        answer = client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": text}],
            stream=False,
        )
        return str(answer.output_message.content)

    first = client.agents.session.create(agent_id=agent_id, session_name="a").session_id
    assert "42" in turn(first, moves)
    assert "kept" in turn(first, "again")
    other = client.agents.session.create(agent_id=agent_id, session_name="b").session_id
    other_moves = script(call("open('note.txt').read()"), {"say": "{tool_results}"})
    assert "FileNotFoundError" in turn(other, other_moves)


def test_a_client_leaving_mid_turn_stops_the_model_and_frees_the_session(
    agents_server: ServedStack,
) -> None:
    with LlamaStackClient(base_url=agents_server.base_url, max_retries=0) as client:
        agent_id = client.agents.create(agent_config={"model": "scripted-llm", "instructions": ""}).agent_id
        session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
        slow = script({"say": " ".join(["word"] * 200), "delay_s": 0.05})
        with httpx.stream(
            "POST",
            f"{agents_server.base_url}/v1/agents/{agent_id}/session/{session_id}/turn",
            json={"messages": [{"role": "user", "content": slow}], "stream": True},
            timeout=30,
        ) as response:
            for line in response.iter_lines():
                if "step_progress" in line:
                    break  # leave after the first token
        entry = agents_server.provider("scripted").log[-1]
        assert wait_for(lambda: entry.get("stream_end") == "closed")
        # the abandoned turn is not stored, and the session takes the next turn
        turn = client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": "next"}],
            stream=False,
        )
        assert turn.output_message.content == "echo: next"
        assert len(client.agents.session.retrieve(agent_id=agent_id, session_id=session_id).turns) == 1


def test_unknown_models_and_shields_are_refused_before_any_work(
    client: LlamaStackClient, openai_client: OpenAI
) -> None:
    with pytest.raises(llama_stack_client.BadRequestError) as model:
        client.agents.create(agent_config={"model": "no-such-llm", "instructions": ""})
    assert "scripted-llm" in str(model.value)  # the registered language models are named
    with pytest.raises(llama_stack_client.BadRequestError) as embedder:
        client.agents.create(agent_config={"model": "fake-embed", "instructions": ""})
    assert "not a language model" in str(embedder.value)
    with pytest.raises(llama_stack_client.BadRequestError) as shield:
        client.agents.create(
            agent_config={"model": "scripted-llm", "instructions": "", "output_shields": ["nope"]}
        )
    assert "words" in str(shield.value)
    with pytest.raises(openai.NotFoundError):
        openai_client.responses.create(model="no-such-llm", input="hi", stream=True)
