"""``remote::ollama`` against a fake Ollama server (tests/fakes/ollama_server.py), through a real stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from llama_stack_api import Model, NotFoundError, NotSupportedError
from llama_stack_api.inference import OpenAIUserMessageParam
from llama_stack_providers.remote.inference.ollama.config import OllamaInferenceConfig
from llama_stack_providers.remote.inference.ollama.provider import OllamaInference
from tests.fakes.http_server import closed_port_url, serve_asgi
from tests.fakes.ollama_server import CHAT_MODEL, EMBED_MODEL, FakeOllama
from tests.support.server import ServedStack, ServeStack

HELLO = [{"role": "user", "content": "hello ollama"}]
NOT_CHECKED = Model(identifier="later", provider_id="ollama", provider_resource_id="gemma3")
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def fake() -> FakeOllama:
    return FakeOllama()


@pytest.fixture(scope="module")
def ollama_url(fake: FakeOllama) -> Iterator[str]:
    with serve_asgi(fake.app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def stack(serve_stack_for_module: ServeStack, ollama_url: str) -> ServedStack:
    return serve_stack_for_module(
        f"""\
        version: 2
        name: ollama
        apis: [inference, models, inspect, providers]
        providers:
          inference:
            - provider_id: ollama
              provider_type: remote::ollama
              config:
                url: {ollama_url}
        routing:
          max_attempts: 1
        """,
        name="ollama.yaml",
    )


@pytest.fixture
def sdk(stack: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{stack.base_url}/v1", api_key="unused", max_retries=0) as client:
        yield client


@pytest.fixture
async def provider(ollama_url: str) -> AsyncIterator[OllamaInference]:
    impl = OllamaInference(OllamaInferenceConfig(url=ollama_url))
    await impl.initialize()
    try:
        yield impl
    finally:
        await impl.shutdown()


def test_pulled_models_are_discovered_with_their_kind(stack: ServedStack) -> None:
    models = {m["identifier"]: m for m in httpx.get(f"{stack.base_url}/v1/models").json()["data"]}
    assert models[CHAT_MODEL]["model_type"] == "llm"
    assert models[CHAT_MODEL]["metadata"] == {"context_length": 131072}
    assert models[EMBED_MODEL]["model_type"] == "embedding"
    assert models[EMBED_MODEL]["metadata"] == {"context_length": 512, "embedding_dimension": 3}


async def test_discovery_without_capabilities_falls_back_to_families() -> None:
    old = FakeOllama(report_capabilities=False)
    with serve_asgi(old.app) as base_url:
        impl = OllamaInference(OllamaInferenceConfig(url=base_url))
        await impl.initialize()
        try:
            kinds = {m.identifier: m.model_type.value for m in await impl.list_provider_models() or []}
        finally:
            await impl.shutdown()
    assert kinds == {CHAT_MODEL: "llm", EMBED_MODEL: "embedding"}


def test_chat_stream_completion_and_embeddings(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(model=CHAT_MODEL, messages=HELLO)
    assert completion.choices[0].message.content == "ollama: hello ollama"
    assert completion.system_fingerprint == "fp_ollama"
    stream = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "ollama: hello ollama"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 29
    assert sdk.completions.create(model=CHAT_MODEL, prompt="go").choices[0].text == "ollama: go"
    streamed = sdk.completions.create(model=CHAT_MODEL, prompt="go", stream=True)
    assert "".join(c.choices[0].text for c in streamed) == "ollama: go"
    vectors = sdk.embeddings.create(model=EMBED_MODEL, input=["ab", "abc"], encoding_format="float").data
    assert [v.embedding for v in vectors] == [[2.0, 0.5, -0.5], [3.0, 0.5, -0.5]]


def test_tool_calls(sdk: OpenAI) -> None:
    messages = [{"role": "user", "content": "weather in Paris?"}]
    completion = sdk.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL])
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}'
    stream = sdk.chat.completions.create(
        model=CHAT_MODEL, messages=messages, tools=[WEATHER_TOOL], stream=True
    )
    deltas = [tc for chunk in stream for choice in chunk.choices for tc in choice.delta.tool_calls or []]
    assert [d.function.name for d in deltas] == ["get_weather"]


def test_native_client(stack: ServedStack) -> None:
    with LlamaStackClient(base_url=stack.base_url, max_retries=0) as client:
        response = client.inference.chat_completion(model_id=CHAT_MODEL, messages=HELLO)
        assert response.completion_message.content == "ollama: hello ollama"
        vectors = client.inference.embeddings(model_id=EMBED_MODEL, contents=["abcd"]).embeddings
        assert vectors == [[4.0, 0.5, -0.5]]


def test_short_name_resolves_like_ollama_does(sdk: OpenAI, stack: ServedStack) -> None:
    response = httpx.post(
        f"{stack.base_url}/v1/models",
        json={"model_id": "llama", "provider_id": "ollama", "provider_model_id": "llama3.2"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["metadata"]["context_length"] == 131072
    assert sdk.chat.completions.create(model="llama", messages=HELLO).choices[0].message.content


def test_registering_a_model_that_is_not_pulled(stack: ServedStack, ollama_url: str) -> None:
    response = httpx.post(
        f"{stack.base_url}/v1/models",
        json={"model_id": "qwen", "provider_id": "ollama", "provider_model_id": "qwen3:8b"},
    )
    assert response.status_code == 404, response.text
    message = response.json()["error"]["message"]
    assert message == f"model 'qwen3:8b' is not pulled in Ollama at {ollama_url}; run `ollama pull qwen3:8b`"


def test_model_removed_after_registration_says_to_pull_it(
    sdk: OpenAI, fake: FakeOllama, stack: ServedStack
) -> None:
    response = httpx.post(
        f"{stack.base_url}/v1/models",
        json={"model_id": "phi", "provider_id": "ollama", "provider_model_id": "phi4:latest"},
    )
    assert response.status_code == 404  # not pulled yet
    fake.pulled["phi4:latest"] = dict(fake.pulled[CHAT_MODEL], name="phi4:latest", model="phi4:latest")
    try:
        response = httpx.post(
            f"{stack.base_url}/v1/models",
            json={"model_id": "phi", "provider_id": "ollama", "provider_model_id": "phi4:latest"},
        )
        assert response.status_code == 200, response.text
    finally:
        del fake.pulled["phi4:latest"]  # `ollama rm phi4`
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as info:
            sdk.chat.completions.create(model="phi", messages=HELLO, stream=stream)
        assert "model 'phi4:latest' is not pulled in Ollama" in info.value.message
        assert "run `ollama pull phi4:latest`" in info.value.message


async def test_options_ollama_would_ignore_are_refused(provider: OllamaInference, fake: FakeOllama) -> None:
    messages = [OpenAIUserMessageParam(content="hi")]
    before = len(fake.requests)
    with pytest.raises(NotSupportedError, match=r"extra_body\.guided_json, n > 1"):
        await provider.openai_chat_completion(
            model=CHAT_MODEL, messages=messages, n=2, extra_body={"guided_json": {"type": "object"}}
        )
    with pytest.raises(NotSupportedError, match="logprobs"):
        await provider.openai_completion(model=CHAT_MODEL, prompt="hi", logprobs=1)
    with pytest.raises(NotSupportedError, match="a prompt that is not a single string"):
        await provider.openai_completion(model=CHAT_MODEL, prompt=["a", "b"])
    with pytest.raises(NotSupportedError, match="top_k"):  # the native route's sampling strategy
        await provider.chat_completion(
            model_id=CHAT_MODEL,
            messages=[{"role": "user", "content": "hi"}],
            sampling_params={"strategy": {"type": "top_k", "top_k": 5}},
        )
    assert len(fake.requests) == before  # nothing reached Ollama


async def test_requests_are_adapted_to_what_ollama_reads(provider: OllamaInference, fake: FakeOllama) -> None:
    messages = [OpenAIUserMessageParam(content="weather?")]
    await provider.openai_chat_completion(
        model=CHAT_MODEL,
        messages=messages,
        max_completion_tokens=7,
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    sent = fake.requests[-1]
    assert sent["max_tokens"] == 7 and "max_completion_tokens" not in sent
    assert "tools" not in sent and "tool_choice" not in sent  # "none": Ollama is shown no tools


async def test_health_and_down(provider: OllamaInference) -> None:
    assert await provider.health() == {"status": "OK"}
    down = OllamaInference(OllamaInferenceConfig(url=closed_port_url()))
    await down.initialize()
    try:
        assert (await down.health())["status"] == "Error"
        assert await down.list_provider_models() is None
        # a registration while Ollama is down is accepted: it may be pulled by the time it is used
        assert await down.check_model(NOT_CHECKED) == NOT_CHECKED
    finally:
        await down.shutdown()


async def test_provider_level_not_found(provider: OllamaInference) -> None:
    with pytest.raises(
        NotFoundError, match=r"model 'mistral' is not pulled in Ollama at http://127\.0\.0\.1:\d+;"
    ):
        await provider.openai_embeddings(model="mistral", input="x")
