"""API-key auth: 401 envelopes without or with a wrong key, every client kind with the right one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import llama_stack_client
import openai
import pytest

from llama_stack.client import AsyncLlamaStackClient, LlamaStackClient
from llama_stack_api import AuthenticationError
from tests.support.server import FAKE_DISTRIBUTION, ServedStack, ServeStack

KEY = "sk-alice-0123456789"
AUTH_DISTRIBUTION = (
    FAKE_DISTRIBUTION
    + f"""\
server:
  auth:
    api_keys:
      - key: {KEY}
        principal: alice
        attributes: {{team: research}}
      - key: sk-bob-9876543210
        principal: bob
"""
)
CHAT = {"model": "echo-llm", "messages": [{"role": "user", "content": "who am i"}]}


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(AUTH_DISTRIBUTION)


def callers(server: ServedStack) -> list[str]:
    """The principals the fake provider has seen, in order."""
    return [e for e in server.provider("fake").log if e.startswith("principal:")]


@pytest.fixture
def http(server: ServedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as client:
        yield client


def unauthorized(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "authentication_error"
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
        ("GET", "/v1/openai/v1/models"),
        ("GET", "/v1/providers"),
    ],
)
def test_no_key(http: httpx.Client, method: str, path: str) -> None:
    error = unauthorized(http.request(method, path, json=CHAT if method == "POST" else None))
    assert error["code"] == "missing_api_key"
    assert "Authorization: Bearer" in error["message"]


@pytest.mark.parametrize("authorization", [f"Bearer {KEY}x", "Bearer sk-alice", f"Basic {KEY}", "Bearer"])
def test_wrong_key(http: httpx.Client, authorization: str) -> None:
    error = unauthorized(
        http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": authorization})
    )
    assert KEY not in error["message"]  # the presented secret is never echoed


def test_health_stays_open(http: httpx.Client) -> None:
    response = http.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


def test_right_key_over_raw_http(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "echo: who am i"


def test_the_principal_reaches_providers(server: ServedStack, http: httpx.Client) -> None:
    seen = len(callers(server))
    http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {KEY}"})
    http.post(
        "/v1/inference/chat-completion",
        json={"model_id": "echo-llm", "messages": CHAT["messages"]},
        headers={"Authorization": "Bearer sk-bob-9876543210"},
    )
    assert callers(server)[seen:] == ["principal:alice", "principal:bob"]


def test_registered_models_record_their_owner(http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model_id": "alices-model", "provider_model_id": "fake-llm", "provider_id": "fake"}
    assert http.post("/v1/models", json=body, headers=headers).status_code == 200
    assert http.get("/v1/models/alices-model", headers=headers).json()["owner"] == "alice"


def test_openai_sdk(server: ServedStack) -> None:
    seen = len(callers(server))
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=KEY, max_retries=0) as client:
        completion = client.chat.completions.create(model="echo-llm", messages=CHAT["messages"])
        assert completion.choices[0].message.content == "echo: who am i"
        assert "echo-llm" in {m.id for m in client.models.list()}
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="wrong", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.chat.completions.create(model="echo-llm", messages=CHAT["messages"])
        assert refused.value.status_code == 401
    assert callers(server)[seen:] == ["principal:alice"]


def test_our_clients(server: ServedStack) -> None:
    with LlamaStackClient(server.base_url, api_key=KEY) as client:
        answer = client.inference.openai_chat_completion(model="echo-llm", messages=CHAT["messages"])
        assert answer.choices[0].message.content == "echo: who am i"
        streamed = client.inference.chat_completion(
            model_id="echo-llm", messages=CHAT["messages"], stream=True
        )
        assert "".join(getattr(c.event.delta, "text", "") for c in streamed) == "echo: who am i"
    with (
        LlamaStackClient(server.base_url) as anonymous,
        pytest.raises(AuthenticationError, match="missing API key"),
    ):
        anonymous.models.list_models()
    with LlamaStackClient(server.base_url, api_key="wrong") as wrong, pytest.raises(AuthenticationError):
        wrong.inference.chat_completion(model_id="echo-llm", messages=CHAT["messages"], stream=True)


def test_our_client_reads_the_key_from_the_environment(
    server: ServedStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLAMA_STACK_API_KEY", KEY)
    with LlamaStackClient(server.base_url) as client:
        assert client.models.get_model("echo").identifier == "echo-llm"


async def test_our_async_client(server: ServedStack) -> None:
    async with AsyncLlamaStackClient(server.base_url, api_key=KEY) as client:
        answer = await client.inference.chat_completion(model_id="echo-llm", messages=CHAT["messages"])
        assert answer.completion_message.content == "echo: who am i"
    async with AsyncLlamaStackClient(server.base_url, api_key="wrong") as wrong:
        with pytest.raises(AuthenticationError, match="invalid API key"):
            await wrong.inference.chat_completion(model_id="echo-llm", messages=CHAT["messages"])


def test_llama_stack_client(server: ServedStack) -> None:
    with llama_stack_client.LlamaStackClient(base_url=server.base_url, api_key=KEY, max_retries=0) as client:
        answer = client.inference.chat_completion(model_id="echo-llm", messages=CHAT["messages"])
        assert answer.completion_message.content == "echo: who am i"
        assert client.inspect.health().status == "OK"
    with llama_stack_client.LlamaStackClient(
        base_url=server.base_url, api_key="wrong", max_retries=0
    ) as wrong:
        with pytest.raises(llama_stack_client.AuthenticationError):
            wrong.models.list()
        assert wrong.inspect.health().status == "OK"
