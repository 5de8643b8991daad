"""``remote::openai`` against a real OpenAI-compatible server: our own stack (``inline::fake``) on another port.

Two stacks run on 127.0.0.1: the *upstream* serves the deterministic fake
provider behind API-key auth; the *outer* stack's ``remote::openai`` providers
point at it (one with a key in its config, one keyless that needs the key per
request), at a closed port, and at a server that answers garbage. The openai
SDK and llama-stack-client talk to the outer stack only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import llama_stack_client
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.http_server import closed_port_url, serve_asgi
from tests.support.server import ServedStack, ServeStack, wait_for

ALICE_KEY = "sk-upstream-alice-0123456789"
BOB_KEY = "sk-upstream-bob-9876543210"
WRONG_KEY = "sk-wrong-DO-NOT-ECHO-4242"
PROVIDER_DATA = "X-LlamaStack-Provider-Data"
MESSAGES = [{"role": "user", "content": "hello upstream"}]
ANSWER = "echo: hello upstream"

UPSTREAM = f"""\
version: 2
name: upstream
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {{events_name: upstream}}
    - provider_id: slow
      provider_type: inline::fake
      config: {{events_name: upstream-slow, llm_models: [slow-llm], embedding_models: [], token_delay_s: 0.05}}
models:
  - model_id: echo-llm
    provider_id: fake
    provider_model_id: fake-llm
server:
  auth:
    api_keys:
      - key: {ALICE_KEY}
        principal: alice
      - key: {BOB_KEY}
        principal: bob
"""


def outer_yaml(upstream: str, garbage: str, closed: str) -> str:
    return f"""\
version: 2
name: outer
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: upstream
      provider_type: remote::openai
      config:
        base_url: {upstream}/v1
        api_key: {ALICE_KEY}
    - provider_id: keyless
      provider_type: remote::openai
      config:
        base_url: {upstream}/v1
    - provider_id: down
      provider_type: remote::openai
      config:
        base_url: {closed}/v1
        connect_timeout_s: 2
    - provider_id: garbage
      provider_type: remote::openai
      config:
        base_url: {garbage}/v1
models:
  - model_id: keyless-llm
    provider_id: keyless
    provider_model_id: fake-llm
  - model_id: down-llm
    provider_id: down
    provider_model_id: fake-llm
  - model_id: garbage-llm
    provider_id: garbage
    provider_model_id: fake-llm
routing:
  max_attempts: 1
"""


def _garbage_app() -> Starlette:
    """A server that answers every request 200 with something that is not an OpenAI object."""

    async def html(request: Request) -> Response:
        return Response("<html><body>502 Bad Gateway (nginx)</body></html>", media_type="text/html")

    return Starlette(routes=[Route("/{path:path}", html, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def upstream(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(UPSTREAM, name="upstream.yaml")


@pytest.fixture(scope="module")
def outer(serve_stack_for_module: ServeStack, upstream: ServedStack) -> Iterator[ServedStack]:
    with serve_asgi(_garbage_app()) as garbage:
        yield serve_stack_for_module(
            outer_yaml(upstream.base_url, garbage, closed_port_url()), name="outer.yaml"
        )


@pytest.fixture
def sdk(outer: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{outer.base_url}/v1", api_key="unused", max_retries=0) as client:
        yield client


def principals(upstream: ServedStack, provider_id: str = "fake") -> list[str]:
    return [e for e in upstream.provider(provider_id).log if e.startswith("principal:")]


# --- pass-through through the openai SDK ----------------------------------------------------------


def test_chat_completion(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(model="echo-llm", messages=MESSAGES)
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "echo-llm"
    assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_chat_completion_stream_with_usage(sdk: OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="echo-llm",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3


def test_text_completion_stream_and_not(sdk: OpenAI) -> None:
    whole = sdk.completions.create(model="echo-llm", prompt="go on")
    assert whole.choices[0].text == "echo: go on"
    streamed = sdk.completions.create(model="echo-llm", prompt="go on", stream=True)
    assert "".join(c.choices[0].text for c in streamed) == "echo: go on"


def test_embeddings_float_and_base64(sdk: OpenAI, upstream: ServedStack) -> None:
    with OpenAI(base_url=f"{upstream.base_url}/v1", api_key=ALICE_KEY, max_retries=0) as direct:
        expected = [d.embedding for d in direct.embeddings.create(model="fake-embed", input=["a", "b"]).data]
    for encoding in ("float", "base64"):
        result = sdk.embeddings.create(model="fake-embed", input=["a", "b"], encoding_format=encoding)
        vectors = [d.embedding for d in result.data]
        assert [v == pytest.approx(e, abs=1e-6) for v, e in zip(vectors, expected, strict=True)] == [
            True,
            True,
        ]
        assert result.model == "fake-embed"


def test_models_are_discovered_from_upstream(sdk: OpenAI, outer: ServedStack) -> None:
    models = httpx.get(f"{outer.base_url}/v1/models").json()["data"]
    by_id = {m["identifier"]: m for m in models}
    # the upstream's registered models, adopted with their types and metadata
    for model_id in ("echo-llm", "fake-llm", "slow-llm", "fake-embed"):
        assert by_id[model_id]["provider_id"] == "upstream"
        assert by_id[model_id]["source"] == "provider"
    assert by_id["fake-embed"]["model_type"] == "embedding"
    assert by_id["fake-embed"]["metadata"]["embedding_dimension"] == 8
    assert by_id["echo-llm"]["model_type"] == "llm"
    # the keyless provider could not list models at startup (401): only its declared one exists
    assert [m for m in by_id.values() if m["provider_id"] == "keyless"] == [by_id["keyless-llm"]]
    assert {m.id for m in sdk.models.list()} >= {"echo-llm", "fake-embed", "keyless-llm"}


def test_registering_a_model_the_upstream_does_not_serve_is_refused(outer: ServedStack) -> None:
    response = httpx.post(
        f"{outer.base_url}/v1/models",
        json={"model_id": "ghost", "provider_id": "upstream", "provider_model_id": "ghost-model"},
    )
    assert response.status_code == 404, response.text
    message = response.json()["error"]["message"]
    assert "does not serve model 'ghost-model'" in message and "fake-llm" in message


def test_upstream_invalid_request_is_a_400_with_its_message(outer: ServedStack, sdk: OpenAI) -> None:
    # registered here as an LLM, but upstream knows it is an embedding model and refuses chat
    response = httpx.post(
        f"{outer.base_url}/v1/models",
        json={
            "model_id": "embed-as-llm",
            "provider_id": "upstream",
            "provider_model_id": "fake-embed",
            "model_type": "llm",
        },
    )
    assert response.status_code == 200, response.text
    with pytest.raises(openai.BadRequestError) as info:
        sdk.chat.completions.create(model="embed-as-llm", messages=MESSAGES)
    assert "remote::openai" in info.value.message and "embedding" in info.value.message


# --- the native routes (llama-stack-client) ---------------------------------------------------------


def test_llama_stack_client_native_routes(outer: ServedStack) -> None:
    with LlamaStackClient(base_url=outer.base_url, max_retries=0) as client:
        response = client.inference.chat_completion(model_id="echo-llm", messages=MESSAGES)
        assert response.completion_message.content == ANSWER
        stream = client.inference.chat_completion(model_id="echo-llm", messages=MESSAGES, stream=True)
        chunks = list(stream)
        assert [chunks[0].event.event_type, chunks[-1].event.event_type] == ["start", "complete"]
        text = "".join(c.event.delta.text for c in chunks if c.event.delta.type == "text")
        assert text == ANSWER
        vectors = client.inference.embeddings(model_id="fake-embed", contents=["a", "b", "a"]).embeddings
        assert [len(v) for v in vectors] == [8, 8, 8] and vectors[0] == vectors[2] != vectors[1]
        assert client.inference.completion(model_id="echo-llm", content="go on").content == "echo: go on"


# --- credentials --------------------------------------------------------------------------------


def test_config_key_reaches_upstream_as_bearer(sdk: OpenAI, upstream: ServedStack) -> None:
    before = len(principals(upstream))
    sdk.chat.completions.create(model="echo-llm", messages=MESSAGES)
    assert principals(upstream)[before:] == ["principal:alice"]


def test_per_request_key_wins_over_the_config_key(sdk: OpenAI, upstream: ServedStack) -> None:
    before = len(principals(upstream))
    headers = {PROVIDER_DATA: json.dumps({"openai_api_key": BOB_KEY})}
    sdk.chat.completions.create(model="echo-llm", messages=MESSAGES, extra_headers=headers)
    stream = sdk.chat.completions.create(
        model="echo-llm",
        messages=MESSAGES,
        stream=True,
        extra_headers=headers,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ANSWER
    assert principals(upstream)[before:] == ["principal:bob", "principal:bob"]


def test_keyless_provider_uses_the_per_request_key(outer: ServedStack, upstream: ServedStack) -> None:
    before = len(principals(upstream))
    with LlamaStackClient(
        base_url=outer.base_url, max_retries=0, provider_data={"openai_api_key": BOB_KEY}
    ) as client:
        response = client.inference.chat_completion(model_id="keyless-llm", messages=MESSAGES)
    assert response.completion_message.content == ANSWER
    assert principals(upstream)[before:] == ["principal:bob"]


@pytest.mark.parametrize(
    "headers",
    [{PROVIDER_DATA: json.dumps({"openai_api_key": WRONG_KEY})}, {}],
    ids=["wrong-key", "no-key"],
)
def test_refused_credentials_are_a_502_that_never_echoes_the_key(
    sdk: OpenAI, headers: dict[str, str]
) -> None:
    for stream in (False, True):
        with pytest.raises(openai.APIStatusError) as info:
            sdk.chat.completions.create(
                model="keyless-llm",
                messages=MESSAGES,
                stream=stream,
                extra_headers=headers,
            )
        assert info.value.status_code == 502
        body = info.value.response.text
        assert "refused the provider's credentials (HTTP 401)" in body and "remote::openai" in body
        assert WRONG_KEY not in body


# --- failures -----------------------------------------------------------------------------------


def test_upstream_down_is_a_503_naming_the_provider(sdk: OpenAI, outer: ServedStack) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        sdk.chat.completions.create(model="down-llm", messages=MESSAGES)
    assert info.value.status_code == 503
    assert "remote::openai cannot reach http://127.0.0.1:" in info.value.message
    health = httpx.get(f"{outer.base_url}/v1/providers").json()
    assert health  # the providers listing still works while one provider is down


def test_upstream_garbage_is_a_502(sdk: OpenAI) -> None:
    for stream in (False, True):
        # the status line says 502 before any event: the stream is refused, not broken midway
        with pytest.raises(openai.APIStatusError) as info:
            sdk.chat.completions.create(model="garbage-llm", messages=MESSAGES, stream=stream)
        assert info.value.status_code == 502, stream
        assert "backend returned an invalid response" in info.value.message


def test_abandoned_stream_stops_the_upstream_generation(sdk: OpenAI, upstream: ServedStack) -> None:
    log = upstream.provider("slow").log
    before = log.count("stream-closed")
    stream = sdk.chat.completions.create(
        model="slow-llm",
        messages=[{"role": "user", "content": " ".join(["word"] * 200)}],
        stream=True,
    )
    next(iter(stream))
    stream.close()
    # the outer stack closed its upstream response, so the upstream saw the disconnect
    assert wait_for(lambda: log.count("stream-closed") > before, timeout_s=5)
    assert "cancelled" in log


def test_llama_stack_client_sees_typed_errors(outer: ServedStack) -> None:
    with (
        LlamaStackClient(base_url=outer.base_url, max_retries=0) as client,
        pytest.raises(llama_stack_client.APIStatusError) as info,
    ):
        client.inference.chat_completion(model_id="down-llm", messages=MESSAGES)
    assert info.value.status_code == 503
