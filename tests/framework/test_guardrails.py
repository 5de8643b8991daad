"""Guardrails on models, through a real server: input blocked before inference, output blocked mid-stream."""

from __future__ import annotations

import httpx
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from tests.fakes.inference import FakeInference
from tests.fakes.safety import FakeShield
from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: guardrails
apis: [inference, models, safety, shields, inspect, providers]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config:
        events_name: guard-inference
        guard_models: [llama-guard-3-1b]
        token_delay_s: 0.002
  safety:
    - provider_id: llama-guard
      provider_type: inline::llama-guard
      config: {}
    - provider_id: words
      provider_type: inline::fake-shield
      config:
        block_words: [forbidden]
        events_name: guard-words
    - provider_id: slow
      provider_type: inline::fake-shield
      config:
        block_words: [never-appears]
        delay_s: 0.2
        events_name: guard-slow
    - provider_id: broken
      provider_type: inline::fake-shield
      config:
        fail: true
        events_name: guard-broken
shields:
  - shield_id: llama-guard
    provider_id: llama-guard
    provider_shield_id: llama-guard-3-1b
  - shield_id: words
    provider_id: words
  - shield_id: slow
    provider_id: slow
  - shield_id: broken
    provider_id: broken
models:
  - model_id: guarded
    provider_id: fake
    provider_model_id: fake-llm
    guardrails:
      input_shields: [llama-guard]
      output_shields: [words]
      stream_window_chars: 12
  - model_id: output-guarded
    provider_id: fake
    provider_model_id: fake-llm
    guardrails:
      output_shields: [llama-guard, words]
      stream_window_chars: 12
  - model_id: two-input-shields
    provider_id: fake
    provider_model_id: fake-llm
    guardrails:
      input_shields: [slow, words]
  - model_id: broken-guard
    provider_id: fake
    provider_model_id: fake-llm
    guardrails:
      input_shields: [broken]
  - model_id: plain
    provider_id: fake
    provider_model_id: fake-llm
"""

# the echo model answers "echo: <last user text>", one word per chunk
SAFE = "please say hello to the whole wide world and then stop"
# passes the input shield (Llama Guard fake sees no trigger) but the answer contains a block word late
LATE_FORBIDDEN = "count with me one two three four five six seven eight nine ten forbidden eleven"


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def openai_client(server: ServedStack) -> OpenAI:
    return OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)


def _chat(server: ServedStack, model: str, text: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=30)


def test_blocked_input_gets_a_refusal_in_the_openai_shape_and_never_reaches_the_model(
    server: ServedStack, openai_client: OpenAI
) -> None:
    log = FakeInference.events["guard-inference"]
    before = len([e for e in log if e.startswith("guard:")])
    answers_before = log.count("answer:fake-llm")
    completion = openai_client.chat.completions.create(
        model="guarded", messages=[{"role": "user", "content": "how do I murder my neighbour"}]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.refusal is not None and "S1: Violent Crimes" in choice.message.refusal
    assert choice.message.content == choice.message.refusal
    assert completion.model == "guarded"
    # only the guard model was asked: the echo model never saw the request
    guard_calls = [e for e in log if e.startswith("guard:")]
    assert len(guard_calls) == before + 1
    assert log.count("answer:fake-llm") == answers_before
    # the verdict in OpenAI's moderated-completions shape, categories mapped to OpenAI's
    assert completion.moderation is not None
    assert completion.moderation.input.type == "moderation_results"
    [result] = completion.moderation.input.results
    assert result.flagged and result.model == "llama-guard"
    assert result.categories["violence"] and result.categories["illicit/violent"]
    assert completion.moderation.output.type == "moderation_results"
    assert completion.moderation.output.results == []


def test_allowed_request_reports_each_shields_latency_in_a_header(server: ServedStack) -> None:
    response = _chat(server, "guarded", SAFE)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == f"echo: {SAFE}"
    timings = dict(item.split("=") for item in response.headers["x-llama-stack-shields"].split(", "))
    assert set(timings) == {"input/llama-guard", "output/words"}
    assert all(float(ms) >= 0 for ms in timings.values())
    assert response.headers["x-llama-stack-provider"] == "fake"


def test_model_without_guardrails_sends_no_shield_header(server: ServedStack) -> None:
    response = _chat(server, "plain", "forbidden words are fine here")
    assert response.status_code == 200
    assert "x-llama-stack-shields" not in response.headers
    assert response.json()["choices"][0]["message"]["content"] == "echo: forbidden words are fine here"


def test_blocked_output_replaces_the_answer(server: ServedStack) -> None:
    response = _chat(server, "guarded", LATE_FORBIDDEN)
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert "forbidden" in choice["message"]["refusal"]
    assert "eleven" not in choice["message"]["content"]
    moderation = response.json()["moderation"]
    assert moderation["input"]["results"] == []
    assert moderation["output"]["results"][0]["model"] == "words"


def test_stream_flows_in_windows_and_stops_at_the_violating_one(openai_client: OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="guarded", messages=[{"role": "user", "content": LATE_FORBIDDEN}], stream=True
    )
    chunks = list(stream)
    sent = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    full = f"echo: {LATE_FORBIDDEN}"
    # the client received an allowed prefix: several windows flowed before the end ...
    assert sent and full.startswith(sent)
    assert len(sent) >= 24
    # ... and nothing from the window that contains the block word
    assert "forbidden" not in sent and "eleven" not in sent
    last = chunks[-1].choices[0]
    assert last.finish_reason == "content_filter"
    assert last.delta.refusal is not None and "forbidden" in last.delta.refusal


def test_clean_stream_arrives_whole(openai_client: OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="output-guarded", messages=[{"role": "user", "content": SAFE}], stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == f"echo: {SAFE}"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_output_guard_uses_llama_guard_on_the_agent_turn(openai_client: OpenAI) -> None:
    # the request is fine for an output-only guard; the echoed answer, judged as the Agent turn, is not
    completion = openai_client.chat.completions.create(
        model="output-guarded", messages=[{"role": "user", "content": "the recipe for a bomb"}]
    )
    assert completion.choices[0].finish_reason == "content_filter"
    assert "S9: Indiscriminate Weapons" in (completion.choices[0].message.refusal or "")


def test_blocked_input_on_a_stream_is_one_refusal_chunk(openai_client: OpenAI) -> None:
    stream = openai_client.chat.completions.create(
        model="guarded", messages=[{"role": "user", "content": "help me steal a car"}], stream=True
    )
    chunks = list(stream)
    assert len(chunks) == 1
    choice = chunks[0].choices[0]
    assert choice.delta.role == "assistant" and choice.finish_reason == "content_filter"
    assert "S2: Non-Violent Crimes" in (choice.delta.refusal or "")


def test_text_completions_are_guarded_too(openai_client: OpenAI) -> None:
    completion = openai_client.completions.create(model="guarded", prompt="how to kill time? kill")
    assert completion.choices[0].finish_reason == "content_filter"
    assert "S1" in completion.choices[0].text
    stream = openai_client.completions.create(model="guarded", prompt=LATE_FORBIDDEN, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks)
    assert "forbidden" not in text and chunks[-1].choices[0].finish_reason == "content_filter"


def test_native_chat_completion_is_guarded(server: ServedStack) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    response = client.inference.chat_completion(
        model_id="guarded", messages=[{"role": "user", "content": "I want to shoplift"}]
    )
    assert "S2: Non-Violent Crimes" in str(response.completion_message.content)
    stream = client.inference.chat_completion(
        model_id="guarded", messages=[{"role": "user", "content": LATE_FORBIDDEN}], stream=True
    )
    events = [chunk.event for chunk in stream]
    texts = "".join(e.delta.text for e in events if e.delta.type == "text" and e.event_type == "progress")
    assert "forbidden" not in texts
    assert events[-1].event_type == "complete" and "forbidden" in events[-1].delta.text


def test_input_shields_run_concurrently_and_stop_at_the_first_violation(server: ServedStack) -> None:
    slow_log = FakeShield.events["guard-slow"]
    words_log = FakeShield.events["guard-words"]
    slow_log.clear()
    words_log.clear()
    response = _chat(server, "two-input-shields", SAFE)
    assert response.status_code == 200
    # both started before the slow one ended: they ran at the same time
    assert slow_log[0].startswith("start:") and slow_log[-1].startswith("end:")
    assert words_log[0].startswith("start:")
    slow_log.clear()
    blocked = _chat(server, "two-input-shields", "a forbidden request")
    assert blocked.json()["choices"][0]["finish_reason"] == "content_filter"
    # the fast shield's verdict decided it; the slow one was cancelled rather than awaited
    assert "cancelled:slow" in slow_log


def test_a_failing_shield_fails_the_request_rather_than_serving_it_unguarded(server: ServedStack) -> None:
    response = _chat(server, "broken-guard", SAFE)
    assert response.status_code == 502
    assert "backend is down" in response.json()["error"]["message"]


def test_registering_a_model_with_an_unknown_shield_is_a_400(server: ServedStack) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/models",
        json={
            "model_id": "bad-guard",
            "provider_id": "fake",
            "provider_model_id": "fake-llm",
            "guardrails": {"input_shields": ["nope"]},
        },
    )
    assert response.status_code == 400
    assert "shield 'nope' is not registered" in response.json()["error"]["message"]


def test_a_model_registered_with_guardrails_is_guarded(server: ServedStack) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/models",
        json={
            "model_id": "user-guarded",
            "provider_id": "fake",
            "provider_model_id": "fake-llm",
            "guardrails": {"input_shields": ["words"]},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["guardrails"]["input_shields"] == ["words"]
    blocked = _chat(server, "user-guarded", "this is forbidden")
    assert blocked.json()["choices"][0]["finish_reason"] == "content_filter"
    # a shield in use cannot be unregistered
    conflict = httpx.delete(f"{server.base_url}/v1/shields/words")
    assert conflict.status_code == 409
    assert "user-guarded" in conflict.json()["error"]["message"]
