"""Our typed SDK against the agents stack: an agent turn streamed, a response and a conversation, typed from
the contract (the generated client), over HTTP and in-process."""

from __future__ import annotations

import tests.fakes.plugin
from llama_stack.client import LlamaStackAsLibraryClient, LlamaStackClient
from llama_stack_api.agents import AgentConfig, AgentTurnResponseStreamChunk, Turn
from llama_stack_api.inference import UserMessage
from llama_stack_api.responses import Response, ResponseOutputTextDeltaEvent
from tests.agents.conftest import agents_yaml
from tests.fakes.mcp_server import MCPTestServer
from tests.fakes.scripted_inference import script
from tests.fakes.search_servers import FakeBrave
from tests.support.server import ServedStack, ServeStack


def test_a_streamed_turn_and_a_response_with_our_client(agents_server: ServedStack) -> None:
    with LlamaStackClient(agents_server.base_url) as client:
        agent = client.agents.create_agent(
            agent_config=AgentConfig(model="scripted-llm", instructions="", toolgroups=["mcp::calc"])
        )
        session = client.agents.create_agent_session(agent_id=agent.agent_id, session_name="ours")
        moves = script({"call": [{"name": "add", "arguments": {"a": 1, "b": 1}}]}, {"say": "{tool_results}"})
        stream = client.agents.create_agent_turn(
            agent_id=agent.agent_id,
            session_id=session.session_id,
            messages=[UserMessage(content=moves)],
            stream=True,
        )
        with stream:
            chunks = list(stream)
        assert all(isinstance(c, AgentTurnResponseStreamChunk) for c in chunks)
        final = chunks[-1].event.payload
        assert final.event_type == "turn_complete" and final.turn.output_message.content == "2"
        response = client.agents.create_openai_response(input="typed", model="scripted-llm")
        assert isinstance(response, Response) and response.output_text == "echo: typed"
        conversation = client.conversations.create_conversation(metadata={"by": "ours"})
        assert conversation.metadata == {"by": "ours"}


def test_the_library_client_runs_the_same_agents_in_process(
    serve_stack: ServeStack, mcp_server: MCPTestServer, brave: tuple[FakeBrave, str]
) -> None:
    path = serve_stack.write(agents_yaml(mcp_server, brave))
    with LlamaStackAsLibraryClient(str(path), extra_plugins=[tests.fakes.plugin]) as local:
        agent = local.agents.create_agent(agent_config=AgentConfig(model="scripted-llm", instructions=""))
        session = local.agents.create_agent_session(agent_id=agent.agent_id, session_name="local")
        turn = local.agents.create_agent_turn(
            agent_id=agent.agent_id, session_id=session.session_id, messages=[UserMessage(content="hi")]
        )
        assert isinstance(turn, Turn) and turn.output_message.content == "echo: hi"
        events = local.agents.create_openai_response(input="streamed", model="scripted-llm", stream=True)
        with events:
            deltas = [e.delta for e in events if isinstance(e, ResponseOutputTextDeltaEvent)]
        assert "".join(deltas).strip() == "echo: streamed"
