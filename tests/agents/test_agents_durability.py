"""What survives a restart (a paused turn, stored responses and their chains), and web search in both APIs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.agents.conftest import agents_yaml
from tests.fakes.mcp_server import MCPTestServer
from tests.fakes.scripted_inference import script
from tests.fakes.search_servers import FakeBrave
from tests.support.server import ServedStack, ServeStack, serve_distribution


@pytest.fixture
def openai_client(agents_server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{agents_server.base_url}/v1", api_key="none", max_retries=0) as sdk:
        yield sdk


def test_web_search_in_a_response(openai_client: OpenAI, brave: tuple[FakeBrave, str]) -> None:
    moves = script(
        {"call": [{"name": "brave_search", "arguments": {"query": "tides"}}]}, {"say": "{tool_results}"}
    )
    with openai_client.responses.create(
        model="scripted-llm", input=moves, tools=[{"type": "web_search"}], stream=True
    ) as stream:
        events = list(stream)
    kinds = [e.type for e in events]
    assert kinds.index("response.web_search_call.in_progress") < kinds.index(
        "response.web_search_call.searching"
    )
    assert kinds.index("response.web_search_call.searching") < kinds.index(
        "response.web_search_call.completed"
    )
    response = events[-1].response
    search = response.output[0]
    assert search.type == "web_search_call" and search.status == "completed"
    assert search.action.query == "tides"
    assert "example.com/0" in response.output_text
    assert brave[0].requests[-1].params["q"] == "tides"


def test_web_search_tool_group_in_an_agent_turn(agents_server: ServedStack) -> None:
    with LlamaStackClient(base_url=agents_server.base_url, max_retries=0) as client:
        agent_id = client.agents.create(
            agent_config={"model": "scripted-llm", "instructions": "", "toolgroups": ["builtin::websearch"]}
        ).agent_id
        session_id = client.agents.session.create(agent_id=agent_id, session_name="web").session_id
        moves = script(
            {"call": [{"name": "brave_search", "arguments": {"query": "moon"}}]}, {"say": "{tool_results}"}
        )
        turn = client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": moves}],
            stream=False,
        )
    # offered as Llama's built-in name, run as the group's web_search tool
    assert turn.steps[1].tool_calls[0].tool_name == "brave_search"
    assert "example.com/1" in turn.output_message.content


def test_a_paused_turn_and_stored_responses_survive_a_restart(
    serve_stack: ServeStack, mcp_server: MCPTestServer, brave: tuple[FakeBrave, str]
) -> None:
    path = serve_stack.write(agents_yaml(mcp_server, brave))
    tool = {"name": "ask_user", "description": "Ask the user.", "parameters": []}
    moves = script({"call": [{"name": "ask_user", "arguments": {}}]}, {"say": "user said {tool_results}"})
    with serve_distribution(path) as first:
        with LlamaStackClient(base_url=first.base_url, max_retries=0) as client:
            agent_id = client.agents.create(
                agent_config={"model": "scripted-llm", "instructions": "", "client_tools": [tool]}
            ).agent_id
            session_id = client.agents.session.create(agent_id=agent_id, session_name="s").session_id
            paused = client.agents.turn.create(
                agent_id=agent_id,
                session_id=session_id,
                messages=[{"role": "user", "content": moves}],
                stream=False,
            )
        with OpenAI(base_url=f"{first.base_url}/v1", api_key="none", max_retries=0) as sdk:
            stored = sdk.responses.create(
                model="scripted-llm", input=script({"say": "first"}, {"say": "second"})
            )
    with serve_distribution(path) as second:
        with LlamaStackClient(base_url=second.base_url, max_retries=0) as client:
            [call] = paused.output_message.tool_calls
            resumed = client.agents.turn.resume(
                agent_id=agent_id,
                session_id=session_id,
                turn_id=paused.turn_id,
                tool_responses=[{"call_id": call.call_id, "tool_name": "ask_user", "content": "yes"}],
                stream=False,
            )
            assert resumed.output_message.content == "user said yes"
        with OpenAI(base_url=f"{second.base_url}/v1", api_key="none", max_retries=0) as sdk:
            assert sdk.responses.retrieve(stored.id).output_text == "first"
            chained = sdk.responses.create(
                model="scripted-llm", input="and then?", previous_response_id=stored.id
            )
            assert chained.output_text == "second"
