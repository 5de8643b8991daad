"""Our four clients against one distribution: two over HTTP to a real uvicorn server, two in-process.

Each sends the same chat completion, whole and streamed, in the OpenAI and the
native shape, and must read the fake provider's echo.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import tests.fakes.plugin
from llama_stack.client import (
    AsyncLlamaStackAsLibraryClient,
    AsyncLlamaStackClient,
    AsyncStream,
    LlamaStackAsLibraryClient,
    LlamaStackClient,
    Stream,
)
from llama_stack_api import InvalidRequestError, NotFoundError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseStreamChunk,
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
)
from tests.support.server import FAKE_DISTRIBUTION, ServeStack

OPENAI_MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello stack"}]
NATIVE_MESSAGES = [{"role": "user", "content": "hello stack"}]
ANSWER = "echo: hello stack"


def _openai_text(chunks: list[OpenAIChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _native_text(chunks: list[ChatCompletionResponseStreamChunk]) -> str:
    assert [c.event.event_type for c in (chunks[0], chunks[-1])] == ["start", "complete"]
    return "".join(getattr(c.event.delta, "text", "") for c in chunks)


def check_sync(client: Any) -> None:
    """The same conversation through a blocking client: whole and streamed, OpenAI and native."""
    whole = client.inference.openai_chat_completion(model="echo-llm", messages=OPENAI_MESSAGES)
    assert isinstance(whole, OpenAIChatCompletion)
    assert whole.choices[0].message.content == ANSWER
    assert whole.model == "echo-llm"

    with client.inference.openai_chat_completion(
        model="echo-llm", messages=OPENAI_MESSAGES, stream=True
    ) as stream:
        assert isinstance(stream, Stream)
        chunks = list(stream)
    assert all(isinstance(c, OpenAIChatCompletionChunk) for c in chunks)
    assert _openai_text(chunks) == ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"

    native = client.inference.chat_completion(model_id="echo", messages=NATIVE_MESSAGES)
    assert isinstance(native, ChatCompletionResponse)
    assert native.completion_message.content == ANSWER

    native_chunks = list(
        client.inference.chat_completion(model_id="echo", messages=NATIVE_MESSAGES, stream=True)
    )
    assert _native_text(native_chunks) == ANSWER

    assert "echo-llm" in [m.identifier for m in client.models.list_models().data]


async def check_async(client: Any) -> None:
    """``check_sync`` for an async client."""
    whole = await client.inference.openai_chat_completion(model="echo-llm", messages=OPENAI_MESSAGES)
    assert whole.choices[0].message.content == ANSWER

    stream = await client.inference.openai_chat_completion(
        model="echo-llm", messages=OPENAI_MESSAGES, stream=True
    )
    assert isinstance(stream, AsyncStream)
    async with stream:
        chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, OpenAIChatCompletionChunk) for c in chunks)
    assert _openai_text(chunks) == ANSWER

    native = await client.inference.chat_completion(model_id="echo", messages=NATIVE_MESSAGES)
    assert native.completion_message.content == ANSWER

    native_stream = await client.inference.chat_completion(
        model_id="echo", messages=NATIVE_MESSAGES, stream=True
    )
    assert _native_text([chunk async for chunk in native_stream]) == ANSWER

    assert "echo-llm" in [m.identifier for m in (await client.models.list_models()).data]


def test_http_client(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)
    with LlamaStackClient(server.base_url) as client:
        check_sync(client)


async def test_async_http_client(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)
    async with AsyncLlamaStackClient(server.base_url) as client:
        await check_async(client)


def test_library_client(serve_stack: ServeStack) -> None:
    path = serve_stack.write(FAKE_DISTRIBUTION)
    with LlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin]) as client:
        check_sync(client)


async def test_library_client_inside_a_running_event_loop(serve_stack: ServeStack) -> None:
    """The blocking library client keeps its own loop, so code already on a loop can use it."""
    asyncio.get_running_loop()
    path = serve_stack.write(FAKE_DISTRIBUTION)
    client = LlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin])
    try:
        check_sync(client)
    finally:
        client.close()


async def test_async_library_client(serve_stack: ServeStack) -> None:
    path = serve_stack.write(FAKE_DISTRIBUTION)
    async with AsyncLlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin]) as client:
        await check_async(client)


def test_http_client_raises_the_contract_errors(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)
    with LlamaStackClient(server.base_url) as client:
        with pytest.raises(NotFoundError, match="echo-llm") as not_found:
            client.inference.openai_chat_completion(model="no-such-model", messages=OPENAI_MESSAGES)
        assert not_found.value.status_code == 404
        with pytest.raises(NotFoundError):
            client.models.get_model("no-such-model")
        with pytest.raises(InvalidRequestError, match="messages"):
            client.inference.openai_chat_completion(model="echo-llm", messages="not a list")
        with pytest.raises(NotFoundError, match="echo-llm"):
            client.inference.chat_completion(model_id="no-such-model", messages=NATIVE_MESSAGES, stream=True)


async def test_async_http_client_raises_the_contract_errors(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)
    async with AsyncLlamaStackClient(server.base_url) as client:
        with pytest.raises(NotFoundError, match="echo-llm"):
            await client.inference.openai_chat_completion(model="no-such-model", messages=OPENAI_MESSAGES)
        with pytest.raises(NotFoundError, match="echo-llm"):
            await client.inference.openai_chat_completion(
                model="no-such-model", messages=OPENAI_MESSAGES, stream=True
            )
        with pytest.raises(InvalidRequestError, match="messages"):
            await client.inference.openai_chat_completion(model="echo-llm", messages=[{"role": "nobody"}])


async def test_library_clients_raise_the_same_errors(serve_stack: ServeStack) -> None:
    path = serve_stack.write(FAKE_DISTRIBUTION)
    async with AsyncLlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin]) as client:
        with pytest.raises(NotFoundError, match="echo-llm"):
            await client.inference.openai_chat_completion(model="no-such-model", messages=OPENAI_MESSAGES)
        with pytest.raises(InvalidRequestError, match="messages"):
            await client.inference.openai_chat_completion(model="echo-llm", messages="not a list")
    with (
        LlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin]) as sync_client,
        pytest.raises(NotFoundError, match="echo-llm"),
    ):
        sync_client.models.get_model("no-such-model")
