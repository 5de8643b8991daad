"""The official ``llama-stack-client`` 0.2.12 against a real server, as its users call it."""

from __future__ import annotations

from collections.abc import Iterator

import llama_stack_client
import pytest
from llama_stack_client import AsyncLlamaStackClient, LlamaStackClient

from tests.support.server import FAKE_DISTRIBUTION, ServedStack, ServeStack

MESSAGES = [{"role": "user", "content": "hello client"}]
ANSWER = "echo: hello client"


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(FAKE_DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as sdk:
        yield sdk


def test_chat_completion(client: LlamaStackClient) -> None:
    response = client.inference.chat_completion(model_id="echo-llm", messages=MESSAGES)
    assert response.completion_message.content == ANSWER
    assert response.completion_message.role == "assistant"
    assert response.completion_message.stop_reason == "end_of_turn"


def test_chat_completion_stream(client: LlamaStackClient) -> None:
    stream = client.inference.chat_completion(model_id="echo", messages=MESSAGES, stream=True)
    chunks = list(stream)
    assert [chunks[0].event.event_type, chunks[-1].event.event_type] == ["start", "complete"]
    assert chunks[-1].event.stop_reason == "end_of_turn"
    text = "".join(c.event.delta.text for c in chunks if c.event.delta.type == "text")
    assert text == ANSWER


def test_completion(client: LlamaStackClient) -> None:
    response = client.inference.completion(model_id="echo-llm", content="go on")
    assert response.content == "echo: go on"
    streamed = client.inference.completion(model_id="echo-llm", content="go on", stream=True)
    assert "".join(chunk.delta for chunk in streamed) == "echo: go on"


def test_embeddings(client: LlamaStackClient) -> None:
    response = client.inference.embeddings(model_id="fake-embed", contents=["a", "b", "a"])
    vectors = response.embeddings
    assert [len(v) for v in vectors] == [8, 8, 8]
    assert vectors[0] == vectors[2] != vectors[1]


def test_models(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)  # its own server: this test registers models
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    listed = {m.identifier: m for m in client.models.list()}
    assert {"echo-llm", "fake-llm", "fake-embed"} <= set(listed)
    assert listed["echo-llm"].provider_resource_id == "fake-llm"
    assert listed["fake-embed"].api_model_type == "embedding"
    assert client.models.retrieve("echo").identifier == "echo-llm"

    registered = client.models.register(
        model_id="my-echo", provider_model_id="fake-llm", provider_id="fake", metadata={"team": "a"}
    )
    assert (registered.identifier, registered.provider_id, registered.metadata) == (
        "my-echo",
        "fake",
        {"team": "a"},
    )
    answer = client.inference.chat_completion(model_id="my-echo", messages=MESSAGES)
    assert answer.completion_message.content == ANSWER

    client.models.unregister("my-echo")
    assert "my-echo" not in {m.identifier for m in client.models.list()}
    with pytest.raises(llama_stack_client.NotFoundError) as gone:
        client.models.retrieve("my-echo")
    assert "echo-llm" in str(gone.value)
    client.close()


def test_inspect_routes_and_providers(client: LlamaStackClient) -> None:
    assert client.inspect.health().status == "OK"
    assert client.inspect.version().version
    routes = {(r.method, r.route) for r in client.routes.list()}
    assert ("POST", "/v1/inference/chat-completion") in routes
    assert ("POST", "/v1/openai/v1/chat/completions") in routes
    providers = {p.provider_id: p for p in client.providers.list()}
    assert providers["fake"].provider_type == "inline::fake"
    assert providers["fake"].health == {"status": "OK"}
    assert client.providers.retrieve("fake").api == "inference"


def test_errors(client: LlamaStackClient) -> None:
    with pytest.raises(llama_stack_client.NotFoundError) as not_found:
        client.inference.chat_completion(model_id="no-such-model", messages=MESSAGES)
    assert not_found.value.status_code == 404
    assert "echo-llm" in str(not_found.value)
    with pytest.raises(llama_stack_client.BadRequestError):
        client.models.register(model_id="elsewhere", provider_id="no-such-provider")


async def test_async_client(server: ServedStack) -> None:
    async with AsyncLlamaStackClient(base_url=server.base_url, max_retries=0) as client:
        response = await client.inference.chat_completion(model_id="echo-llm", messages=MESSAGES)
        assert response.completion_message.content == ANSWER
        stream = await client.inference.chat_completion(model_id="echo-llm", messages=MESSAGES, stream=True)
        text = "".join([c.event.delta.text async for c in stream if c.event.delta.type == "text"])
        assert text == ANSWER
