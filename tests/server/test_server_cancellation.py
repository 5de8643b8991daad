"""A client that goes away stops the provider's work: streams and slow whole answers alike.

The fake provider sleeps ``token_delay_s`` per word; the prompts here are long
enough that finishing would take minutes, so seeing "cancelled" / "stream-closed"
within the bounded wait means the server cancelled the work, not that it ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import llama_stack_client
import openai
import pytest

from llama_stack.client import APIConnectionError, AsyncLlamaStackClient, LlamaStackClient
from tests.support.server import ServedStack, ServeStack, wait_for

SLOW_DISTRIBUTION = """\
version: 2
name: slow
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: slow
      provider_type: inline::fake
      config:
        events_name: slow
        token_delay_s: 0.02
"""
LONG_PROMPT = " ".join(f"w{i}" for i in range(10_000))  # 10,000 words x 0.02 s: over three minutes
OPENAI_BODY = {"model": "fake-llm", "messages": [{"role": "user", "content": LONG_PROMPT}]}
NATIVE_BODY = {"model_id": "fake-llm", "messages": [{"role": "user", "content": LONG_PROMPT}]}


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(SLOW_DISTRIBUTION)


@pytest.fixture
def events(server: ServedStack) -> Callable[[], list[str]]:
    """What the provider records from now on (the server is shared by this module's tests)."""
    log: list[str] = server.provider("slow").log
    start = len(log)
    return lambda: log[start:]


def stopped(events: Callable[[], list[str]]) -> Callable[[], bool]:
    return lambda: bool({"cancelled", "stream-closed"} & set(events()))


def assert_still_serving(server: ServedStack) -> None:
    body = {"model": "fake-llm", "messages": [{"role": "user", "content": "still there"}]}
    response = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=30)
    assert response.json()["choices"][0]["message"]["content"] == "echo: still there"


@pytest.mark.parametrize(
    ("path", "body"), [("/v1/chat/completions", OPENAI_BODY), ("/v1/inference/chat-completion", NATIVE_BODY)]
)
def test_closing_a_stream_stops_generation(
    server: ServedStack, events: Callable[[], list[str]], path: str, body: dict[str, Any]
) -> None:
    with (
        httpx.Client(base_url=server.base_url, timeout=30) as client,
        client.stream("POST", path, json={**body, "stream": True}) as response,
    ):
        assert response.status_code == 200
        # hold the iterator: dropping a half-read httpx iterator closes the connection by itself
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data:"))
        assert '"delta"' in first or '"event"' in first
        assert not stopped(events)(), events()
        # closing a half-read response closes its connection: the server sees the disconnect
    assert wait_for(stopped(events)), f"the provider kept generating: {events()}"
    assert_still_serving(server)


def _openai_sdk(server: ServedStack) -> Iterator[Any]:
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as client:
        stream = client.chat.completions.create(
            model="fake-llm", messages=OPENAI_BODY["messages"], stream=True
        )
        yield next(iter(stream))
        stream.close()


def _llama_stack_client(server: ServedStack) -> Iterator[Any]:
    with llama_stack_client.LlamaStackClient(base_url=server.base_url, max_retries=0) as client:
        stream = client.inference.chat_completion(
            model_id="fake-llm", messages=NATIVE_BODY["messages"], stream=True
        )
        yield next(iter(stream))
        stream.response.close()


def _our_client(server: ServedStack) -> Iterator[Any]:
    with LlamaStackClient(server.base_url) as client:
        stream = client.inference.openai_chat_completion(
            model="fake-llm", messages=OPENAI_BODY["messages"], stream=True
        )
        yield next(stream)
        stream.close()


@pytest.mark.parametrize("read_one_and_close", [_openai_sdk, _llama_stack_client, _our_client])
def test_clients_that_close_a_stream_stop_generation(
    server: ServedStack,
    events: Callable[[], list[str]],
    read_one_and_close: Callable[[ServedStack], Iterator[Any]],
) -> None:
    steps = read_one_and_close(server)
    assert next(steps) is not None
    for _ in steps:  # close the stream and the client
        pass
    assert wait_for(stopped(events)), f"the provider kept generating: {events()}"
    assert_still_serving(server)


async def test_async_client_leaving_a_stream_stops_generation(
    server: ServedStack, events: Callable[[], list[str]]
) -> None:
    async with AsyncLlamaStackClient(server.base_url) as client:
        stream = await client.inference.chat_completion(
            model_id="fake-llm", messages=NATIVE_BODY["messages"], stream=True
        )
        async with stream:
            async for _chunk in stream:
                break
    assert wait_for(stopped(events)), f"the provider kept generating: {events()}"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/openai/v1/chat/completions"])
def test_a_client_timing_out_cancels_a_whole_answer(
    server: ServedStack, events: Callable[[], list[str]], path: str
) -> None:
    with (
        httpx.Client(base_url=server.base_url, timeout=httpx.Timeout(30, read=0.2)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(path, json=OPENAI_BODY)
    assert wait_for(lambda: "cancelled" in events()), f"the provider kept working: {events()}"
    assert_still_serving(server)


def test_our_client_timing_out_cancels_a_whole_answer(
    server: ServedStack, events: Callable[[], list[str]]
) -> None:
    with (
        LlamaStackClient(server.base_url, timeout=httpx.Timeout(30, read=0.2)) as client,
        pytest.raises(APIConnectionError, match="timed out"),
    ):
        client.inference.openai_chat_completion(model="fake-llm", messages=OPENAI_BODY["messages"])
    assert wait_for(lambda: "cancelled" in events()), f"the provider kept working: {events()}"


def test_request_timeout_is_a_504_and_cancels_the_work(serve_stack: ServeStack) -> None:
    limited = serve_stack(SLOW_DISTRIBUTION + "server:\n  limits:\n    request_timeout_s: 0.2\n")
    log: list[str] = limited.provider("slow").log
    response = httpx.post(f"{limited.base_url}/v1/chat/completions", json=OPENAI_BODY, timeout=30)
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert error["type"] == "timeout_error"
    assert error["code"] == "request_timeout"
    assert "server.limits.request_timeout_s" in error["message"]
    assert wait_for(lambda: "cancelled" in log)
