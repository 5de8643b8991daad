"""The shared OpenAI-compatible HTTP backend, byte for byte: request bodies, SSE parsing, error mapping.

A scripted server on 127.0.0.1 answers whatever a test tells it to (status,
headers, body split into the given fragments) and records what it received;
``remote::openai``'s Python API talks to it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from llama_stack_api import (
    InvalidRequestError,
    LlamaStackError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from llama_stack_api.context import reset_request_context, set_request_context
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIJSONSchema,
    OpenAIResponseFormatJSONSchema,
    OpenAIUserMessageParam,
)
from llama_stack_providers.remote.inference.openai.config import OpenAIInferenceConfig
from llama_stack_providers.remote.inference.openai.provider import OpenAIInference
from tests.fakes.http_server import closed_port_url, serve_asgi

KEY = "sk-config-DO-NOT-ECHO-1111"
CHUNK = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "hé"}, "finish_reason": None}],
}
WHOLE = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


@dataclass
class Script:
    """What the scripted server answers next, and what it received."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    fragments: list[bytes] = field(default_factory=lambda: [json.dumps(WHOLE).encode()])
    received: list[tuple[dict[str, str], Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            body = await request.body()
            self.received.append((dict(request.headers), json.loads(body) if body else None))

            async def pieces() -> AsyncIterator[bytes]:
                for piece in self.fragments:
                    yield piece

            return StreamingResponse(pieces(), status_code=self.status, headers=self.headers)

        return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def script() -> Script:
    return Script()


@pytest.fixture(scope="module")
def server_url(script: Script) -> Iterator[str]:
    with serve_asgi(script.app()) as base_url:
        yield base_url


@pytest.fixture
async def provider(server_url: str, script: Script) -> AsyncIterator[OpenAIInference]:
    script.status, script.headers = 200, {"content-type": "application/json"}
    script.fragments = [json.dumps(WHOLE).encode()]
    impl = OpenAIInference(OpenAIInferenceConfig(base_url=f"{server_url}/v1", api_key=KEY))
    await impl.initialize()
    try:
        yield impl
    finally:
        await impl.shutdown()


def hello() -> list[Any]:
    return [OpenAIUserMessageParam(content="hi")]


def sse(*events: bytes) -> bytes:
    return b"".join(events)


# --- requests -----------------------------------------------------------------------------------


async def test_request_body_and_headers(provider: OpenAIInference, script: Script) -> None:
    schema = {"type": "object", "properties": {"a": {"type": ["string", "null"], "default": None}}}
    await provider.openai_chat_completion(
        model="m",
        messages=[OpenAIUserMessageParam(content="hi", name=None)],
        temperature=None,
        max_tokens=5,
        response_format=OpenAIResponseFormatJSONSchema(json_schema=OpenAIJSONSchema(name="x", schema=schema)),
        extra_body={"guided_json": schema, "max_tokens": 9, "chat_template_kwargs": {"thinking": False}},
    )
    headers, body = script.received[-1]
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],  # None fields left out, in our models too
        "max_tokens": 9,  # extra_body wins, as with the openai SDK
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
        "guided_json": schema,  # plain dicts keep their nulls
        "chat_template_kwargs": {"thinking": False},
    }
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    assert "x-llamastack-provider-data" not in headers


async def test_per_request_key_replaces_the_config_key(provider: OpenAIInference, script: Script) -> None:
    token = set_request_context(None, {"openai_api_key": "sk-request-2222"})
    try:
        await provider.openai_chat_completion(model="m", messages=hello())
    finally:
        reset_request_context(token)
    assert script.received[-1][0]["authorization"] == "Bearer sk-request-2222"


# --- SSE parsing --------------------------------------------------------------------------------


async def collect(provider: OpenAIInference) -> list[str]:
    stream = await provider.openai_chat_completion(model="m", messages=hello(), stream=True)
    assert not isinstance(stream, OpenAIChatCompletion)
    return [chunk.choices[0].delta.content or "" async for chunk in stream]


async def test_events_split_anywhere_are_reassembled(provider: OpenAIInference, script: Script) -> None:
    event = b"data: " + json.dumps(CHUNK, ensure_ascii=False).encode() + b"\n\n"
    body = sse(
        b": keep-alive\n\n", event, b"event: message\r\nid: 2\r\n" + event.replace(b"\n", b"\r\n"), event
    )
    body += b"data: [DONE]\n\n"
    script.headers = {"content-type": "text/event-stream"}
    for size in (1, 3, 7, len(body)):  # a multi-byte character is split too when size is 1
        script.fragments = [body[i : i + size] for i in range(0, len(body), size)]
        assert await collect(provider) == ["hé", "hé", "hé"], size
    assert script.received[-1][0]["accept"] == "text/event-stream"


async def test_multi_line_data_and_a_body_that_ends_without_done(
    provider: OpenAIInference, script: Script
) -> None:
    text = json.dumps(CHUNK, indent=1)  # JSON spread over several data: lines
    event = b"".join(b"data: " + line.encode() + b"\n" for line in text.splitlines()) + b"\n"
    script.headers = {"content-type": "text/event-stream; charset=utf-8"}
    script.fragments = [event, event[:-1]]  # the last event lacks its blank line, and there is no [DONE]
    assert await collect(provider) == ["hé", "hé"]


async def test_off_schema_event_is_a_502(provider: OpenAIInference, script: Script) -> None:
    script.headers = {"content-type": "text/event-stream"}
    script.fragments = [b'data: {"id": "c1", "choices": 7}\n\n', b"data: [DONE]\n\n"]
    with pytest.raises(ProviderError, match=r"invalid response \(stream event"):
        await collect(provider)


async def test_error_event_keeps_its_status(provider: OpenAIInference, script: Script) -> None:
    error = {"error": {"message": "model 'm' is not registered", "type": "not_found_error", "code": "404"}}
    script.headers = {"content-type": "text/event-stream"}
    script.fragments = [
        b"data: " + json.dumps(CHUNK).encode() + b"\n\n",
        b"data: " + json.dumps(error).encode() + b"\n\n",
    ]
    with pytest.raises(NotFoundError, match="is not registered"):
        await collect(provider)


# --- error answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "words"),
    [
        (
            400,
            {"error": {"message": "temperature too high", "param": "temperature"}},
            {},
            InvalidRequestError,
            "temperature too high",
        ),
        (
            422,
            {"detail": [{"loc": ["body", "messages"], "msg": "Field required"}]},
            {},
            InvalidRequestError,
            "Field required",
        ),
        (413, "Request Entity Too Large", {}, InvalidRequestError, "Request Entity Too Large"),
        (
            401,
            {"error": {"message": "Incorrect API key provided: sk-con***1111"}},
            {},
            ProviderError,
            "credentials (HTTP 401)",
        ),
        (403, {"error": {"message": "project has no access"}}, {}, ProviderError, "credentials (HTTP 403)"),
        (
            404,
            {"error": {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}},
            {},
            NotFoundError,
            "The model `gpt-9` does not exist",
        ),
        (404, {"detail": "Not Found"}, {}, ProviderError, "has no such route"),
        (
            429,
            {"error": {"message": "slow down"}},
            {"Retry-After": "20"},
            RateLimitError,
            "slow down; retry after 20 s",
        ),
        (429, {"error": {"message": "quota"}}, {}, RateLimitError, "quota; retry later"),
        (500, "<html>oops</html>", {}, ProviderError, "failed (HTTP 500): <html>oops</html>"),
        (501, {"error": {"message": "no logprobs here"}}, {}, NotSupportedError, "no logprobs here"),
        (502, "", {}, ProviderError, "failed (HTTP 502): (empty body)"),
        (503, {"error": "loading model"}, {}, ProviderUnavailableError, "loading model"),
        (504, "gateway timeout", {}, ProviderTimeoutError, "timed out (HTTP 504)"),
    ],
)
async def test_status_mapping(
    provider: OpenAIInference,
    script: Script,
    status: int,
    body: Any,
    headers: dict[str, str],
    error: type[LlamaStackError],
    words: str,
) -> None:
    script.status = status
    script.headers = {
        "content-type": "application/json" if isinstance(body, dict) else "text/html",
        **headers,
    }
    script.fragments = [json.dumps(body).encode() if isinstance(body, dict) else body.encode()]
    for stream in (False, True):
        with pytest.raises(error) as info:
            await provider.openai_chat_completion(model="m", messages=hello(), stream=stream)
        assert type(info.value) is error
        assert words in info.value.message
        assert info.value.message.startswith("remote::openai at http://127.0.0.1:")
    if status == 401:
        assert "sk-con" not in info.value.message  # the engine's message may quote the key: not passed on
    if status == 429:
        assert info.value.code == ("retry_after_20" if headers else "rate_limited")


async def test_engine_messages_never_echo_the_key(provider: OpenAIInference, script: Script) -> None:
    script.status = 400
    script.fragments = [json.dumps({"error": {"message": f"bad request from key {KEY}"}}).encode()]
    with pytest.raises(InvalidRequestError) as info:
        await provider.openai_chat_completion(model="m", messages=hello())
    assert KEY not in info.value.message and "bad request from key ********" in info.value.message


async def test_non_json_success_is_a_502(provider: OpenAIInference, script: Script) -> None:
    script.headers = {"content-type": "text/html"}
    script.fragments = [b"<html>captive portal</html>"]
    with pytest.raises(
        ProviderError, match=r"backend returned an invalid response \(not JSON: '<html>captive"
    ):
        await provider.openai_chat_completion(model="m", messages=hello())
    with pytest.raises(ProviderError, match="text/html instead of an event stream"):
        await provider.openai_chat_completion(model="m", messages=hello(), stream=True)


async def test_models_without_a_models_route(provider: OpenAIInference, script: Script) -> None:
    script.status = 404
    script.fragments = [b'{"detail": "Not Found"}']
    assert await provider.list_provider_models() is None
    assert (await provider.health())["status"] == "Error"


async def test_url_credentials_never_appear_in_errors() -> None:
    url = closed_port_url().replace("http://", "http://proxyuser:pw-DO-NOT-ECHO@")
    impl = OpenAIInference(OpenAIInferenceConfig(base_url=f"{url}/v1"))
    await impl.initialize()
    try:
        with pytest.raises(ProviderUnavailableError) as info:
            await impl.openai_chat_completion(model="m", messages=hello())
    finally:
        await impl.shutdown()
    assert "pw-DO-NOT-ECHO" not in info.value.message and "proxyuser" not in info.value.message
    assert "remote::openai cannot reach http://127.0.0.1:" in info.value.message
