"""``remote::vllm`` against a fake vLLM server (tests/fakes/vllm_server.py): vLLM-only fields and errors.

Through a real stack with the openai SDK and llama-stack-client where users
would see it; through the provider's Python API for the failure table.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from llama_stack_api import (
    LlamaStackError,
    Model,
    NotFoundError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
)
from llama_stack_api.context import reset_request_context, set_request_context
from llama_stack_api.inference import OpenAIChatCompletion, OpenAIUserMessageParam
from llama_stack_providers.remote.inference.vllm.config import VLLMInferenceConfig
from llama_stack_providers.remote.inference.vllm.provider import VLLMInference
from tests.fakes.http_server import closed_port_url, serve_asgi
from tests.fakes.vllm_server import CHAT_MODEL, EMBED_MODEL, LORA_MODEL, FakeVLLM
from tests.support.server import ServedStack, ServeStack, wait_for

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
HELLO = [{"role": "user", "content": "hello vllm"}]
TOKEN = "vllm-token-DO-NOT-ECHO-77"


@pytest.fixture(scope="module")
def fake() -> FakeVLLM:
    return FakeVLLM()


@pytest.fixture(scope="module")
def vllm_url(fake: FakeVLLM) -> Iterator[str]:
    with serve_asgi(fake.app) as base_url:
        yield f"{base_url}/v1"


@pytest.fixture(scope="module")
def stack(serve_stack_for_module: ServeStack, vllm_url: str) -> ServedStack:
    return serve_stack_for_module(
        f"""\
        version: 2
        name: vllm
        apis: [inference, models, inspect, providers]
        providers:
          inference:
            - provider_id: vllm
              provider_type: remote::vllm
              config:
                url: {vllm_url}
                embedding_models: [{EMBED_MODEL}]
        routing:
          max_attempts: 1
        """,
        name="vllm.yaml",
    )


@pytest.fixture
def sdk(stack: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{stack.base_url}/v1", api_key="unused", max_retries=0) as client:
        yield client


@pytest.fixture
async def provider(vllm_url: str) -> AsyncIterator[VLLMInference]:
    impl = VLLMInference(VLLMInferenceConfig(url=vllm_url, embedding_models=[EMBED_MODEL]))
    await impl.initialize()
    try:
        yield impl
    finally:
        await impl.shutdown()


def user(text: str) -> list[Any]:
    return [OpenAIUserMessageParam(content=text)]


# --- discovery and registration ------------------------------------------------------------------


def test_models_are_discovered_with_their_context_length(stack: ServedStack) -> None:
    models = {m["identifier"]: m for m in httpx.get(f"{stack.base_url}/v1/models").json()["data"]}
    assert models[CHAT_MODEL]["metadata"] == {"context_length": 64}
    assert models[CHAT_MODEL]["model_type"] == "llm"
    assert models[LORA_MODEL]["metadata"] == {"context_length": 64, "base_model": CHAT_MODEL}
    assert models[EMBED_MODEL]["model_type"] == "embedding"
    assert models[EMBED_MODEL]["metadata"]["context_length"] == 512


def test_registering_a_model_vllm_does_not_serve_is_refused(stack: ServedStack) -> None:
    response = httpx.post(
        f"{stack.base_url}/v1/models",
        json={
            "model_id": "llama-big",
            "provider_id": "vllm",
            "provider_model_id": "meta-llama/Llama-3.1-405B",
        },
    )
    assert response.status_code == 404, response.text
    assert CHAT_MODEL in response.json()["error"]["message"]


async def test_check_model_adds_the_context_length(provider: VLLMInference) -> None:
    checked = await provider.check_model(
        Model(identifier="small", provider_id="vllm", provider_resource_id=CHAT_MODEL)
    )
    assert checked.metadata["context_length"] == 64


# --- vLLM's options pass through -----------------------------------------------------------------


def test_tool_calls_pass_through(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.id == "chatcmpl-tool-5b1f0c" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "unit": "celsius"}


def test_streamed_tool_call_deltas_pass_through(sdk: OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    deltas = [tc for chunk in stream for choice in chunk.choices for tc in choice.delta.tool_calls or []]
    assert deltas[0].id == "chatcmpl-tool-5b1f0c" and deltas[0].function.name == "get_weather"
    assert len(deltas) == 4 and {d.index for d in deltas} == {0}  # name first, then the arguments in pieces
    arguments = "".join(d.function.arguments or "" for d in deltas)
    assert json.loads(arguments) == {"city": "Paris", "unit": "celsius"}


def test_native_client_gets_the_tool_call(stack: ServedStack) -> None:
    with LlamaStackClient(base_url=stack.base_url, max_retries=0) as client:
        response = client.inference.chat_completion(
            model_id=CHAT_MODEL,
            messages=[{"role": "user", "content": "weather in Paris?"}],
            tools=[
                {
                    "tool_name": "get_weather",
                    "description": "Current weather",
                    "parameters": {"city": {"param_type": "string"}},
                }
            ],
        )
    call = response.completion_message.tool_calls[0]
    assert call.tool_name == "get_weather" and call.arguments == {"city": "Paris", "unit": "celsius"}
    assert response.completion_message.stop_reason == "end_of_message"


@pytest.mark.parametrize(
    ("field", "value", "answer"),
    [
        ("guided_choice", ["positive", "negative"], "positive"),
        ("guided_regex", r"\d{3}-\d{4}", r"matches \d{3}-\d{4}"),
        ("guided_grammar", 'root ::= "yes" | "no"', "grammar-constrained"),
        (
            "guided_json",
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}},
            '{"name": "text", "age": 1}',
        ),
    ],
)
def test_guided_decoding_fields_reach_vllm_at_the_top_level(
    sdk: OpenAI, fake: FakeVLLM, field: str, value: Any, answer: str
) -> None:
    completion = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=HELLO,
        extra_body={field: value, "top_k": 5, "repetition_penalty": 1.1},
    )
    assert completion.choices[0].message.content == answer
    sent = fake.requests[-1]
    assert sent[field] == value and sent["top_k"] == 5 and sent["repetition_penalty"] == 1.1
    assert "extra_body" not in sent


def test_response_format_json_schema_is_sent_as_vllm_reads_it(sdk: OpenAI, fake: FakeVLLM) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    completion = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=HELLO,
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}},
    )
    assert json.loads(completion.choices[0].message.content or "") == {"ok": True}
    sent = fake.requests[-1]["response_format"]
    assert sent == {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


def test_guided_choice_on_text_completions(sdk: OpenAI, fake: FakeVLLM) -> None:
    completion = sdk.completions.create(
        model=CHAT_MODEL, prompt="Is it good?", extra_body={"guided_choice": ["yes", "no"]}
    )
    assert completion.choices[0].text == "yes"
    assert fake.requests[-1]["guided_choice"] == ["yes", "no"]


def test_chat_logprobs(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model=CHAT_MODEL,
        messages=HELLO,
        logprobs=True,
        top_logprobs=2,
    )
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    assert [t.token for t in logprobs.content] == ["vllm:", "hello", "vllm"]
    assert [len(t.top_logprobs) for t in logprobs.content] == [2, 2, 2]
    assert logprobs.content[0].bytes == list(b"vllm:")


def test_completion_logprobs(sdk: OpenAI) -> None:
    completion = sdk.completions.create(model=CHAT_MODEL, prompt="say", logprobs=2)
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens == ["vllm:", "say"]
    assert logprobs.text_offset == [0, 6] and len(logprobs.top_logprobs or []) == 2


def test_streams_with_usage(sdk: OpenAI) -> None:
    chunks = list(
        sdk.chat.completions.create(
            model=CHAT_MODEL,
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "vllm: hello vllm"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5
    text = "".join(
        c.choices[0].text for c in sdk.completions.create(model=CHAT_MODEL, prompt="go", stream=True)
    )
    assert text == "vllm: go"


def test_embeddings(sdk: OpenAI) -> None:
    floats = sdk.embeddings.create(model=EMBED_MODEL, input=["a", "b"], encoding_format="float")
    packed = sdk.embeddings.create(model=EMBED_MODEL, input=["a", "b"])  # the SDK asks for base64
    assert [len(d.embedding) for d in floats.data] == [4, 4]
    for mine, theirs in zip(floats.data, packed.data, strict=True):
        assert mine.embedding == pytest.approx(theirs.embedding, abs=1e-6)


# --- vLLM's errors -------------------------------------------------------------------------------


def test_prompt_over_max_model_len_is_a_400_with_both_numbers(sdk: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        sdk.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "word " * 60}],
            max_tokens=10,
        )
    message = info.value.message
    assert "the model's context is 64 tokens" in message
    assert "needs 70 tokens (60 in the prompt, 10 for the completion)" in message
    assert info.value.code == "context_length_exceeded"


async def test_unknown_model_is_not_found(provider: VLLMInference) -> None:
    with pytest.raises(NotFoundError, match="The model `nope` does not exist"):
        await provider.openai_chat_completion(model="nope", messages=user("hi"))


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("429", RateLimitError, "retry after 7 s"),
        ("503", ProviderUnavailableError, "The engine is restarting"),
        ("500", ProviderError, "failed (HTTP 500): Internal Server Error"),
        ("garbage", ProviderError, "backend returned an invalid response (not JSON"),
        ("off-schema", ProviderError, "backend returned an invalid response (not a OpenAIChatCompletion"),
    ],
)
async def test_engine_failures_map_to_contract_errors(
    provider: VLLMInference, fault: str, error: type[LlamaStackError], words: str
) -> None:
    with pytest.raises(error) as info:
        await provider.openai_chat_completion(
            model=CHAT_MODEL, messages=user("hi"), extra_body={"fake_fault": fault}
        )
    assert type(info.value) is error
    assert words in info.value.message and "remote::vllm at http://127.0.0.1:" in info.value.message


async def test_error_event_mid_stream_is_raised(provider: VLLMInference) -> None:
    stream = await provider.openai_chat_completion(
        model=CHAT_MODEL, messages=user("hi"), stream=True, extra_body={"fake_fault": "midstream"}
    )
    assert not isinstance(stream, OpenAIChatCompletion)
    received = []
    with pytest.raises(ProviderError, match="CUDA out of memory"):
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 1


async def test_slow_engine_is_a_504(vllm_url: str) -> None:
    impl = VLLMInference(VLLMInferenceConfig(url=vllm_url, read_timeout_s=0.3))
    await impl.initialize()
    try:
        with pytest.raises(ProviderTimeoutError, match="did not answer in time"):
            await impl.openai_chat_completion(
                model=CHAT_MODEL, messages=user("hi"), extra_body={"fake_fault": "slow"}
            )
    finally:
        await impl.shutdown()


async def test_engine_down() -> None:
    impl = VLLMInference(VLLMInferenceConfig(url=f"{closed_port_url()}/v1"))
    await impl.initialize()
    try:
        with pytest.raises(
            ProviderUnavailableError, match=r"remote::vllm cannot reach http://127\.0\.0\.1:\d+/v1"
        ):
            await impl.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))
        health = await impl.health()
        assert health["status"] == "Error" and "cannot reach" in health["message"]
        assert await impl.list_provider_models() is None  # discovery never stops the stack from starting
    finally:
        await impl.shutdown()


async def test_health_uses_vllm_health_route(provider: VLLMInference) -> None:
    assert await provider.health() == {"status": "OK"}


async def test_calls_after_shutdown_say_so(vllm_url: str) -> None:
    impl = VLLMInference(VLLMInferenceConfig(url=vllm_url))
    await impl.initialize()
    await impl.shutdown()
    with pytest.raises(ProviderUnavailableError, match="not started"):
        await impl.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))


# --- the API token -------------------------------------------------------------------------------


async def test_api_token_from_config_or_per_request() -> None:
    guarded = FakeVLLM(api_key=TOKEN)
    with serve_asgi(guarded.app) as base_url:
        keyless = VLLMInference(VLLMInferenceConfig(url=f"{base_url}/v1"))
        keyed = VLLMInference(VLLMInferenceConfig(url=f"{base_url}/v1", api_token=TOKEN))
        await keyless.initialize()
        await keyed.initialize()
        try:
            with pytest.raises(ProviderError) as info:
                await keyless.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))
            assert "refused the provider's credentials (HTTP 401)" in info.value.message
            answer = await keyed.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))
            assert isinstance(answer, OpenAIChatCompletion)
            token = set_request_context(None, {"vllm_api_token": TOKEN})
            try:
                answer = await keyless.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))
                assert isinstance(answer, OpenAIChatCompletion)
            finally:
                reset_request_context(token)
            assert await keyless.list_provider_models() is None  # 401 at startup: cannot tell
            assert len(await keyed.list_provider_models() or []) == 3
        finally:
            await keyless.shutdown()
            await keyed.shutdown()


# --- the connection --------------------------------------------------------------------------------


async def test_one_pooled_connection_serves_sequential_requests(
    provider: VLLMInference, fake: FakeVLLM
) -> None:
    before = len(fake.peers)
    for _ in range(20):
        await provider.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"))
    for _ in range(3):
        stream = await provider.openai_chat_completion(model=CHAT_MODEL, messages=user("hi"), stream=True)
        assert not isinstance(stream, OpenAIChatCompletion)
        assert len([chunk async for chunk in stream]) == 4
    assert len(set(fake.peers[before:])) == 1  # keep-alive: one TCP connection for all 23
    await asyncio.gather(
        *(provider.openai_chat_completion(model=CHAT_MODEL, messages=user("hi")) for _ in range(8))
    )
    assert len(set(fake.peers[before:])) <= 8


async def test_closing_a_stream_aborts_the_upstream_request(provider: VLLMInference, fake: FakeVLLM) -> None:
    fake.token_delay_s = 0.05
    try:
        stream = await provider.openai_chat_completion(
            model=CHAT_MODEL, messages=user("long " * 40), stream=True
        )
        assert not isinstance(stream, OpenAIChatCompletion)
        await anext(stream)
        before = fake.events.count("stream-aborted")
        await stream.aclose()
        await asyncio.to_thread(wait_for, lambda: fake.events.count("stream-aborted") > before, timeout_s=5)
        assert fake.events.count("stream-aborted") > before
    finally:
        fake.token_delay_s = 0.0
