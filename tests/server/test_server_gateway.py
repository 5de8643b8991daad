"""Gateway routing over HTTP: one model on several providers, retries, cool-down, the served-by headers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from tests.support.server import ServedStack, ServeStack, wait_for


def distribution(
    first: dict[str, Any], second: dict[str, Any], strategy: str = "fallback", routing: str = ""
) -> str:
    return f"""\
version: 2
name: gateway
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: first
      provider_type: inline::flaky
      config: {json.dumps({"events_name": "first", "reply_prefix": "first: ", **first})}
    - provider_id: second
      provider_type: inline::flaky
      config: {json.dumps({"events_name": "second", "reply_prefix": "second: ", **second})}
models:
  - model_id: shared
    provider_id: first
    provider_model_id: fake-llm
    backends:
      - provider_id: second
    routing_strategy: {strategy}
routing:
  backoff_initial_s: 0.001
  backoff_max_s: 0.01
{routing}"""


CHAT = {"model": "shared", "messages": [{"role": "user", "content": "hello"}]}


def chat(server: ServedStack, **extra: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/chat/completions", json={**CHAT, **extra}, timeout=30)


def calls(server: ServedStack, provider_id: str) -> int:
    return int(server.provider(provider_id).calls)


def test_a_healthy_primary_serves_and_the_headers_say_so(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({}, {}))
    response = chat(server)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "first: hello"
    assert response.json()["model"] == "shared"
    assert response.headers["x-llama-stack-provider"] == "first"
    assert response.headers["x-llama-stack-attempts"] == "1"
    assert 0 <= float(response.headers["x-llama-stack-overhead-ms"]) < 10_000


@pytest.mark.parametrize("failure", ["unavailable", "rate_limit"])
def test_a_failing_primary_falls_back_to_the_next_backend(serve_stack: ServeStack, failure: str) -> None:
    server = serve_stack(distribution({"fail_first": 1, "failure": failure}, {}))
    response = chat(server)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "second: hello"
    assert response.headers["x-llama-stack-provider"] == "second"
    assert response.headers["x-llama-stack-attempts"] == "2"


def test_client_errors_are_not_retried(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({"fail_first": 1, "failure": "invalid"}, {}))
    response = chat(server)
    assert response.status_code == 400
    assert "refuses this request" in response.json()["error"]["message"]
    assert calls(server, "second") == 0


def test_every_backend_down_is_a_503_naming_the_provider(serve_stack: ServeStack) -> None:
    server = serve_stack(
        distribution({"fail_first": 100}, {"fail_first": 100}, routing="  max_attempts: 4\n")
    )
    response = chat(server)
    assert response.status_code == 503
    assert "flaky backend" in response.json()["error"]["message"]
    assert calls(server, "first") + calls(server, "second") == 4  # max_attempts in all


def test_a_single_backend_is_retried_after_back_off(serve_stack: ServeStack) -> None:
    server = serve_stack(
        distribution({"fail_first": 2}, {}, strategy="fallback").replace(
            "    backends:\n      - provider_id: second\n", ""
        )
    )
    response = chat(server)
    assert response.status_code == 200
    assert response.headers["x-llama-stack-attempts"] == "3"
    assert calls(server, "first") == 3


def test_a_failing_backend_cools_down(serve_stack: ServeStack) -> None:
    routing = "  failure_threshold: 2\n  cooldown_s: 600\n"
    server = serve_stack(distribution({"fail_first": 2}, {}, routing=routing))
    for _ in range(2):  # each request: first fails, second serves
        assert chat(server).headers["x-llama-stack-provider"] == "second"
    assert calls(server, "first") == 2
    for _ in range(3):  # now resting: not even tried
        assert chat(server).headers["x-llama-stack-provider"] == "second"
    assert calls(server, "first") == 2


def test_round_robin_alternates(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({}, {}, strategy="round_robin"))
    served = [chat(server).headers["x-llama-stack-provider"] for _ in range(4)]
    assert served == ["first", "second", "first", "second"]


def test_a_stream_that_fails_before_its_first_chunk_is_retried(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({"fail_first": 1}, {}))
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused") as client:
        raw = client.chat.completions.with_raw_response.create(
            model="shared", messages=[{"role": "user", "content": "hi there"}], stream=True
        )
        assert raw.headers["x-llama-stack-provider"] == "second"
        text = "".join(chunk.choices[0].delta.content or "" for chunk in raw.parse() if chunk.choices)
    assert text == "second: hi there"


def test_a_stream_that_broke_after_its_first_chunk_is_not_retried(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({"fail_first": 1, "failure": "midstream"}, {}))
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused")
    received: list[str] = []
    with pytest.raises(openai.APIError, match="broke mid-stream"):
        for chunk in client.chat.completions.create(
            model="shared", messages=[{"role": "user", "content": "a b c"}], stream=True
        ):
            received.append(chunk.choices[0].delta.content or "")
    client.close()
    assert received == ["first:"]  # the client got the first chunk from `first`, then the error
    assert calls(server, "second") == 0


def test_backends_can_be_registered_over_the_api(serve_stack: ServeStack) -> None:
    server = serve_stack(distribution({"fail_first": 100}, {}))
    body = {
        "model_id": "api-registered",
        "provider_id": "first",
        "provider_model_id": "fake-llm",
        "backends": [{"provider_id": "second"}],
    }
    created = httpx.post(f"{server.base_url}/v1/models", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["backends"] == [{"provider_id": "second", "provider_model_id": None}]
    response = chat(server, model="api-registered")
    assert response.headers["x-llama-stack-provider"] == "second"
    bad = httpx.post(
        f"{server.base_url}/v1/models", json={**body, "model_id": "x", "backends": [{"provider_id": "nope"}]}
    )
    assert bad.status_code == 400
    assert "backends[0]" in bad.json()["error"]["message"]


def test_a_provider_failing_its_health_check_is_rested(serve_stack: ServeStack) -> None:
    routing = "  health_check_interval_s: 0.05\n  cooldown_s: 600\n"
    server = serve_stack(distribution({"healthy": False}, {}, routing=routing))
    log = server.provider("first").log
    assert wait_for(lambda: log.count("health") >= 2)  # the first probe's verdict is recorded by now
    for _ in range(3):
        assert chat(server).headers["x-llama-stack-provider"] == "second"
    assert calls(server, "first") == 0
