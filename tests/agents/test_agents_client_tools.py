"""Client tools, resume, documents, session records and restarts, through llama-stack-client 0.2.12."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_stack_client import Agent, LlamaStackClient
from llama_stack_client.lib.agents.client_tool import client_tool

from tests.agents.conftest import agents_yaml
from tests.fakes.mcp_server import MCPTestServer
from tests.fakes.scripted_inference import script
from tests.fakes.search_servers import FakeBrave
from tests.support.server import ServedStack, ServeStack, serve_distribution


@pytest.fixture
def client(agents_server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=agents_server.base_url, max_retries=0) as sdk:
        yield sdk


@client_tool
def get_weather(city: str) -> str:
    """The weather in a city.

    :param city: the city's name
    :returns: the weather
    """
    return f"sunny in {city}"


def test_the_agent_helper_runs_client_tools_and_resumes(client: LlamaStackClient) -> None:
    agent = Agent(client, model="scripted-llm", instructions="Be brief.", tools=[get_weather])
    session_id = agent.create_session("weather")
    moves = script(
        {"call": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"say": "The weather: {tool_results}"},
    )
    turn = agent.create_turn(
        messages=[{"role": "user", "content": moves}], session_id=session_id, stream=False
    )
    # the helper's client_tool sends its result JSON-encoded
    assert turn.output_message.content == 'The weather: "sunny in Paris"'
    kinds = [s.step_type for s in turn.steps]
    assert kinds == ["inference", "tool_execution", "inference"]
    assert turn.steps[1].tool_responses[0].content == '"sunny in Paris"'


def test_a_turn_pauses_for_client_tools_and_resume_checks_the_responses(client: LlamaStackClient) -> None:
    tool = {
        "name": "lookup",
        "description": "Look a word up.",
        "parameters": [{"name": "word", "parameter_type": "string", "description": "", "required": True}],
    }
    agent_id = client.agents.create(
        agent_config={"model": "scripted-llm", "instructions": "", "client_tools": [tool]}
    ).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
    moves = script(
        {"call": [{"name": "lookup", "arguments": {"word": "agent"}}]}, {"say": "means {tool_results}"}
    )
    paused = client.agents.turn.create(
        agent_id=agent_id, session_id=session_id, messages=[{"role": "user", "content": moves}], stream=False
    )
    assert paused.output_message.stop_reason == "end_of_message"
    [call] = paused.output_message.tool_calls
    assert call.tool_name == "lookup" and call.arguments == {"word": "agent"}
    # a new turn must wait for the paused one
    with pytest.raises(Exception) as busy:
        client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": "x"}],
            stream=False,
        )
    assert getattr(busy.value, "status_code", None) == 409
    with pytest.raises(Exception) as wrong:
        client.agents.turn.resume(
            agent_id=agent_id,
            session_id=session_id,
            turn_id=paused.turn_id,
            tool_responses=[{"call_id": "nope", "tool_name": "lookup", "content": "x"}],
            stream=False,
        )
    assert getattr(wrong.value, "status_code", None) == 400
    resumed = client.agents.turn.resume(
        agent_id=agent_id,
        session_id=session_id,
        turn_id=paused.turn_id,
        tool_responses=[{"call_id": call.call_id, "tool_name": "lookup", "content": "a doer"}],
        stream=False,
    )
    assert resumed.turn_id == paused.turn_id
    assert resumed.output_message.content == "means a doer"
    assert [s.step_type for s in resumed.steps] == ["inference", "tool_execution", "inference"]
    assert resumed.completed_at is not None


def test_documents_are_indexed_and_retrieved_into_the_turn(
    client: LlamaStackClient, agents_server: ServedStack
) -> None:
    agent_id = client.agents.create(agent_config={"model": "scripted-llm", "instructions": ""}).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="docs").session_id
    turn = client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "What colour is the lighthouse?"}],
        documents=[
            {"content": "The lighthouse on the cape is painted red and white.", "mime_type": "text/plain"},
            {
                "content": {"uri": "data:text/plain;base64,VGhlIGZlcnJ5IGxlYXZlcyBhdCBub29uLg=="},
                "mime_type": "text/plain",
            },
        ],
        stream=False,
    )
    memory = turn.steps[0]
    assert memory.step_type == "memory_retrieval"
    assert "painted red and white" in str(memory.inserted_context)
    sent = agents_server.provider("scripted").log[-1]["messages"]
    assert "painted red and white" in sent[-1]["content"]
    # a later turn searches the same documents
    later = client.agents.turn.create(
        agent_id=agent_id,
        session_id=session_id,
        messages=[{"role": "user", "content": "When does the ferry leave?"}],
        stream=False,
    )
    assert later.steps[0].step_type == "memory_retrieval"
    assert "ferry" in str(later.steps[0].inserted_context)


def test_sessions_are_listed_and_deleted(client: LlamaStackClient) -> None:
    agent_id = client.agents.create(agent_config={"model": "scripted-llm", "instructions": ""}).agent_id
    a = client.agents.session.create(agent_id=agent_id, session_name="a").session_id
    b = client.agents.session.create(agent_id=agent_id, session_name="b").session_id
    listed = client.get(f"/v1/agents/{agent_id}/sessions", cast_to=object)
    assert [s["session_id"] for s in listed["data"]] == [a, b]  # type: ignore[index]
    client.agents.session.delete(agent_id=agent_id, session_id=a)
    with pytest.raises(Exception) as gone:
        client.agents.session.retrieve(agent_id=agent_id, session_id=a)
    assert getattr(gone.value, "status_code", None) == 404
    client.agents.delete(agent_id=agent_id)
    with pytest.raises(Exception) as agent_gone:
        client.agents.session.retrieve(agent_id=agent_id, session_id=b)
    assert getattr(agent_gone.value, "status_code", None) == 404


def test_unknown_tool_groups_are_refused_at_creation(client: LlamaStackClient) -> None:
    with pytest.raises(Exception) as refused:
        client.agents.create(
            agent_config={"model": "scripted-llm", "instructions": "", "toolgroups": ["mcp::nope"]}
        )
    assert getattr(refused.value, "status_code", None) == 400
    assert "mcp::nope" in str(refused.value)


def test_sessions_and_turns_survive_a_restart(
    serve_stack: ServeStack, mcp_server: MCPTestServer, brave: tuple[FakeBrave, str], tmp_path: Path
) -> None:
    path = serve_stack.write(agents_yaml(mcp_server, brave))
    with serve_distribution(path) as first, LlamaStackClient(base_url=first.base_url, max_retries=0) as sdk:
        agent_id = sdk.agents.create(agent_config={"model": "scripted-llm", "instructions": "hi"}).agent_id
        session_id = sdk.agents.session.create(agent_id=agent_id, session_name="kept").session_id
        turn = sdk.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": "one"}],
            stream=False,
        )
    with serve_distribution(path) as second, LlamaStackClient(base_url=second.base_url, max_retries=0) as sdk:
        session = sdk.agents.session.retrieve(agent_id=agent_id, session_id=session_id)
        assert session.session_name == "kept"
        assert [t.turn_id for t in session.turns] == [turn.turn_id]
        sdk.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": "two"}],
            stream=False,
        )
        sent = second.provider("scripted").log[-1]["messages"]
        assert [m.get("content") for m in sent] == ["hi", "one", "echo: one", "two"]
