"""Shields and safety through the real clients: llama-stack-client 0.2.12, the openai SDK, and plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import llama_stack_client
import openai
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

import tests.fakes.plugin
from llama_stack.client import LlamaStackAsLibraryClient
from llama_stack.client import LlamaStackClient as OurClient
from llama_stack_api import NotFoundError
from llama_stack_api.inference import UserMessage
from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: safety-clients
apis: [inference, models, safety, shields, inspect, providers]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config:
        guard_models: [Llama-Guard-3-1B, Llama-Guard-3-8B]
  safety:
    - provider_id: llama-guard
      provider_type: inline::llama-guard
      config:
        excluded_categories: [S6]
    - provider_id: words
      provider_type: inline::fake-shield
      config:
        block_words: [forbidden]
shields:
  - shield_id: llama-guard
    provider_id: llama-guard
    provider_shield_id: Llama-Guard-3-1B
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as sdk:
        yield sdk


def test_shields_list_and_retrieve_with_llama_stack_client(client: LlamaStackClient) -> None:
    shields = {s.identifier: s for s in client.shields.list()}
    assert shields["llama-guard"].provider_id == "llama-guard"
    assert shields["llama-guard"].provider_resource_id == "Llama-Guard-3-1B"
    assert client.shields.retrieve("llama-guard").identifier == "llama-guard"


def test_run_shield_with_llama_stack_client(client: LlamaStackClient) -> None:
    unsafe = client.safety.run_shield(
        shield_id="llama-guard",
        messages=[{"role": "user", "content": "tell me how to build a bomb"}],
        params={},
    )
    assert unsafe.violation is not None
    assert unsafe.violation.violation_level == "error"
    assert unsafe.violation.metadata["violation_type"] == "S9"
    assert "Indiscriminate Weapons" in (unsafe.violation.user_message or "")
    safe = client.safety.run_shield(
        shield_id="llama-guard", messages=[{"role": "user", "content": "what is a good book?"}], params={}
    )
    assert safe.violation is None


def test_run_shield_judges_the_last_turn_in_its_role(client: LlamaStackClient) -> None:
    # the user asked something violent, but the shield is asked about the assistant's (harmless) answer
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "how do I kill a man"},
        {"role": "assistant", "content": "I won't help with that.", "stop_reason": "end_of_turn"},
    ]
    assert client.safety.run_shield(shield_id="llama-guard", messages=messages, params={}).violation is None
    assert (
        client.safety.run_shield(shield_id="llama-guard", messages=messages[:2], params={}).violation
        is not None
    )


def test_params_override_the_shields_exclusions(client: LlamaStackClient) -> None:
    messages = [{"role": "user", "content": "I will steal it"}]
    flagged = client.safety.run_shield(shield_id="llama-guard", messages=messages, params={})
    assert flagged.violation is not None
    excluded = client.safety.run_shield(
        shield_id="llama-guard", messages=messages, params={"excluded_categories": ["S2"]}
    )
    assert excluded.violation is None


def test_register_and_unregister_a_shield(server: ServedStack, client: LlamaStackClient) -> None:
    shield = client.shields.register(
        shield_id="guard-8b", provider_id="llama-guard", provider_shield_id="Llama-Guard-3-8B"
    )
    assert shield.identifier == "guard-8b"
    # the 8B model knows S14 (code interpreter abuse); the 1B model is not asked about it
    messages = [{"role": "user", "content": "run rm -rf / on the host"}]
    verdict = client.safety.run_shield(shield_id="guard-8b", messages=messages, params={})
    assert verdict.violation is not None and verdict.violation.metadata["violation_type"] == "S14"
    assert client.safety.run_shield(shield_id="llama-guard", messages=messages, params={}).violation is None
    response = httpx.delete(f"{server.base_url}/v1/shields/guard-8b")
    assert response.status_code == 200
    with pytest.raises(llama_stack_client.NotFoundError):
        client.shields.retrieve("guard-8b")


def test_moderations_with_the_openai_sdk(server: ServedStack) -> None:
    for prefix in ("/v1", "/v1/openai/v1"):
        sdk = OpenAI(base_url=f"{server.base_url}{prefix}", api_key="x", max_retries=0)
        moderation = sdk.moderations.create(
            model="llama-guard", input=["I want to murder someone", "what a lovely day"]
        )
        assert moderation.model == "llama-guard"
        violent, benign = moderation.results
        assert violent.flagged and violent.categories.violence and violent.categories.illicit_violent
        assert violent.category_scores.violence == 1.0
        assert violent.category_applied_input_types.violence == ["text"]
        assert not benign.flagged and not any(benign.categories.model_dump().values())


def test_moderations_without_a_model_needs_a_single_shield(server: ServedStack) -> None:
    response = httpx.post(f"{server.base_url}/v1/moderations", json={"input": "hello"})
    assert response.status_code == 200, response.text  # one shield registered: it is the default
    assert response.json()["model"] == "llama-guard"
    httpx.post(f"{server.base_url}/v1/shields", json={"shield_id": "words", "provider_id": "words"})
    try:
        response = httpx.post(f"{server.base_url}/v1/moderations", json={"input": "hello"})
        assert response.status_code == 400
        assert "llama-guard, words" in response.json()["error"]["message"]
    finally:
        httpx.delete(f"{server.base_url}/v1/shields/words")


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("/v1/safety/run-shield", {"shield_id": "nope", "messages": [], "params": {}}, 404, "'nope'"),
        ("/v1/safety/run-shield", {"shield_id": "llama-guard", "messages": [], "params": {}}, 400, "empty"),
        (
            "/v1/safety/run-shield",
            {
                "shield_id": "llama-guard",
                "messages": [{"role": "user", "content": "x"}],
                "params": {"bogus": 1},
            },
            400,
            "bogus",
        ),
        ("/v1/moderations", {"model": "llama-guard", "input": []}, 400, "empty"),
        ("/v1/moderations", {"model": "nope", "input": "x"}, 404, "registered: llama-guard"),
        (
            "/v1/shields",
            {"shield_id": "x", "provider_id": "nope"},
            400,
            "safety providers: llama-guard, words",
        ),
        ("/v1/shields", {"shield_id": "x"}, 400, "provider_id is required"),
        (
            "/v1/shields",
            {"shield_id": "x", "provider_id": "llama-guard", "params": {"excluded_categories": ["S99"]}},
            400,
            "S99",
        ),
    ],
)
def test_client_mistakes_are_4xx_with_a_clear_message(
    server: ServedStack, path: str, body: dict[str, object], status: int, fragment: str
) -> None:
    response = httpx.post(f"{server.base_url}{path}", json=body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]


def test_unknown_shield_is_a_404_for_the_sdks(client: LlamaStackClient, server: ServedStack) -> None:
    with pytest.raises(llama_stack_client.NotFoundError):
        client.shields.retrieve("nope")
    sdk = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        sdk.moderations.create(model="nope", input="x")


def _check_our_client(client: OurClient | LlamaStackAsLibraryClient) -> None:
    shields = client.shields.list_shields().data
    assert "llama-guard" in [s.identifier for s in shields]
    verdict = client.safety.run_shield(
        shield_id="llama-guard", messages=[UserMessage(content="where can I buy a bomb")]
    )
    assert verdict.violation is not None and verdict.violation.metadata["violation_type"] == "S9"
    moderation = client.safety.run_moderation(input="I will steal your bike")
    assert moderation.results[0].flagged and moderation.results[0].categories["illicit"]
    with pytest.raises(NotFoundError):
        client.shields.get_shield("nope")


def test_our_typed_clients_over_http_and_in_process(server: ServedStack, tmp_path: Path) -> None:
    with OurClient(server.base_url) as client:
        _check_our_client(client)
    path = tmp_path / "safety.yaml"
    path.write_text(DISTRIBUTION)
    with LlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin]) as local:
        _check_our_client(local)
