"""The ``openai`` SDK against a real server: ``base_url=<server>/v1`` and the legacy ``/v1/openai/v1``."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from tests.support.server import FAKE_DISTRIBUTION, ServedStack, ServeStack

MESSAGES = [{"role": "user", "content": "hello openai"}]
ANSWER = "echo: hello openai"


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(FAKE_DISTRIBUTION)


@pytest.fixture(params=["/v1", "/v1/openai/v1"])
def client(request: pytest.FixtureRequest, server: ServedStack) -> OpenAI:
    sdk = OpenAI(base_url=f"{server.base_url}{request.param}", api_key="x", max_retries=0)
    request.addfinalizer(sdk.close)
    return sdk


def test_chat_completion(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="echo-llm", messages=MESSAGES)
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "echo-llm"
    assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_chat_completion_stream(client: OpenAI) -> None:
    stream = client.chat.completions.create(model="echo", messages=MESSAGES, stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.model for c in chunks} == {"echo"}  # the id the client sent, alias included


def test_chat_completion_stream_with_usage(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="echo-llm",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None and usage_chunk.usage.completion_tokens == 3


def test_models_list(client: OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"echo-llm", "fake-llm", "fake-embed"} <= set(models)
    assert models["echo-llm"].owned_by == "fake"
    assert client.models.retrieve("echo").id == "echo-llm"


def test_embeddings(client: OpenAI) -> None:
    # the SDK asks for base64 by default and decodes it; float is asked for explicitly here too
    for encoding in ("base64", "float"):
        result = client.embeddings.create(
            model="fake-embed",
            input=["one", "two"],
            encoding_format=encoding,
        )
        vectors = [d.embedding for d in result.data]
        assert [len(v) for v in vectors] == [8, 8]
        assert vectors[0] != vectors[1]
        assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-5  # the fake's vectors are unit length


def test_completion(client: OpenAI) -> None:
    completion = client.completions.create(model="echo-llm", prompt="say this")
    assert completion.choices[0].text == "echo: say this"
    streamed = client.completions.create(model="echo-llm", prompt="say this", stream=True)
    assert "".join(c.choices[0].text for c in streamed) == "echo: say this"


def test_errors_are_openai_errors(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert "echo-llm" in not_found.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="echo-llm", messages=[{"role": "wizard", "content": "hi"}])
    assert bad.value.status_code == 400


async def test_async_sdk(server: ServedStack) -> None:
    async with AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as client:
        completion = await client.chat.completions.create(model="echo-llm", messages=MESSAGES)
        assert completion.choices[0].message.content == ANSWER
        stream = await client.chat.completions.create(model="echo-llm", messages=MESSAGES, stream=True)
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        assert "".join(pieces) == ANSWER
