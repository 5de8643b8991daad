"""Bad requests get the OpenAI error envelope with the right status, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from llama_stack.client import LlamaStackClient
from llama_stack_api import InvalidRequestError, NotFoundError, PayloadTooLargeError
from tests.support.server import FAKE_DISTRIBUTION, ServeStack

BODY_LIMIT = 8192
LIMITED_DISTRIBUTION = FAKE_DISTRIBUTION + f"server:\n  limits:\n    max_request_body_bytes: {BODY_LIMIT}\n"
CHAT = {"model": "echo-llm", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def http(serve_stack_for_module: ServeStack) -> Iterator[httpx.Client]:
    server = serve_stack_for_module(LIMITED_DISTRIBUTION)
    with httpx.Client(base_url=server.base_url) as client:
        yield client


def envelope(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``error`` object of an OpenAI error envelope, after checking the status and the shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize("body", [b"{not json", b'{"model": "echo-llm",', b"\xff\xfe"])
def test_malformed_json(http: httpx.Client, body: bytes) -> None:
    response = http.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    error = envelope(response, 400)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_json"
    assert "JSON" in error["message"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[" * 1500 + b"]" * 1500, "nested too deeply"),  # past json's recursion limit
        (
            b'{"model": "echo-llm", "max_tokens": ' + b"9" * 5000 + b"}",
            "5000 digits",
        ),  # past int's digit limit
    ],
)
def test_json_that_python_refuses(http: httpx.Client, body: bytes, problem: str) -> None:
    error = envelope(http.post("/v1/chat/completions", content=body), 400)
    assert error["code"] == "invalid_json"
    assert problem in error["message"]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_bodies_nested_past_the_limit(http: httpx.Client) -> None:
    """Nesting that parses but could not be serialized back (pydantic stops at 255 levels)."""
    body = {"model_id": "deep", "provider_model_id": "fake-llm", "metadata": nested(300)}
    error = envelope(http.post("/v1/models", json=body), 400)
    assert "nested more than 128 levels" in error["message"]
    assert http.get("/v1/models/deep").status_code == 404

    body["metadata"] = nested(20)
    assert http.post("/v1/models", json=body).json()["metadata"] == nested(20)
    assert http.delete("/v1/models/deep").status_code == 200


def test_body_that_is_not_an_object(http: httpx.Client) -> None:
    error = envelope(http.post("/v1/chat/completions", json=[CHAT]), 400)
    assert "JSON object" in error["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/chat/completions", {"messages": CHAT["messages"]}, "model"),
        ("/v1/chat/completions", {"model": "echo-llm"}, "messages"),
        ("/v1/openai/v1/embeddings", {"model": "fake-embed"}, "input"),
        ("/v1/inference/chat-completion", {"model_id": "echo-llm"}, "messages"),
        ("/v1/models", {}, "model_id"),
    ],
)
def test_missing_required_field(http: httpx.Client, path: str, body: dict[str, Any], field: str) -> None:
    error = envelope(http.post(path, json=body), 400)
    assert error["param"] == field
    assert f"missing required field '{field}'" in error["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**CHAT, "messages": "hi"}, "messages"),
        ({**CHAT, "temperature": "hot"}, "temperature"),
        ({**CHAT, "stream": {"yes": 1}}, "stream"),
        ({**CHAT, "messages": [{"role": "wizard", "content": "hi"}]}, "messages"),
    ],
)
def test_wrong_type(http: httpx.Client, body: dict[str, Any], param: str) -> None:
    error = envelope(http.post("/v1/chat/completions", json=body), 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"].startswith(param)
    assert "invalid value" in error["message"]


def test_unknown_field_on_a_native_route(http: httpx.Client) -> None:
    body = {"model_id": "echo-llm", "messages": CHAT["messages"], "temprature": 0.5}
    error = envelope(http.post("/v1/inference/chat-completion", json=body), 400)
    assert error["param"] == "temprature"
    assert "unrecognized field 'temprature'" in error["message"]


def test_unknown_field_on_an_openai_route_is_passed_through(http: httpx.Client) -> None:
    """OpenAI routes collect unknown fields in ``extra_body`` (engine options such as vLLM's)."""
    response = http.post("/v1/chat/completions", json={**CHAT, "guided_json": {"type": "object"}})
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "echo: hi"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", {**CHAT, "model": "no-such-model"}),
        ("/v1/chat/completions", {**CHAT, "model": "no-such-model", "stream": True}),
        ("/v1/openai/v1/completions", {"model": "no-such-model", "prompt": "x"}),
        ("/v1/inference/chat-completion", {"model_id": "no-such-model", "messages": CHAT["messages"]}),
    ],
)
def test_unknown_model(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    error = envelope(http.post(path, json=body), 404)
    assert error["type"] == "not_found_error"
    assert "'no-such-model'" in error["message"]
    for registered in ("echo-llm", "fake-embed", "fake-llm"):
        assert registered in error["message"]
    assert "POST /v1/models" in error["message"]  # and what to do about it


def test_unknown_model_on_get(http: httpx.Client) -> None:
    error = envelope(http.get("/v1/models/no-such-model"), 404)
    assert "echo-llm" in error["message"]


def test_oversize_body_by_content_length(http: httpx.Client) -> None:
    body = {**CHAT, "messages": [{"role": "user", "content": "x" * BODY_LIMIT}]}
    error = envelope(http.post("/v1/chat/completions", json=body), 413)
    assert str(BODY_LIMIT) in error["message"]
    assert "max_request_body_bytes" in error["message"]
    assert error["code"] == "request_too_large"


def test_oversize_body_without_content_length(http: httpx.Client) -> None:
    """A chunked body is counted while it is read."""

    def chunks() -> Iterator[bytes]:
        yield b'{"model": "echo-llm", "messages": [{"role": "user", "content": "'
        for _ in range(4):
            yield b"x" * (BODY_LIMIT // 2)
        yield b'"}]}'

    response = http.post(
        "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    envelope(response, 413)


def test_body_under_the_limit_is_served(http: httpx.Client) -> None:
    body = {**CHAT, "messages": [{"role": "user", "content": "y" * (BODY_LIMIT // 2)}]}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "echo: " + "y" * (BODY_LIMIT // 2)


@pytest.mark.parametrize("path", ["/v1/no-such-route", "/v2/chat/completions", "/v1/openai/v1/nope"])
def test_unknown_route(http: httpx.Client, path: str) -> None:
    error = envelope(http.get(path), 404)
    assert error["type"] == "not_found_error"
    assert path in error["message"]
    assert "/v1/inspect/routes" in error["message"]


def test_wrong_method(http: httpx.Client) -> None:
    response = http.put("/v1/chat/completions", json=CHAT)
    error = envelope(response, 405)
    assert error["type"] == "invalid_request_error"
    assert "POST" in error["message"]
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("header", "problem"), [("{broken", "not valid JSON"), ('["a", "list"]', "must be a JSON object")]
)
def test_invalid_provider_data_header(http: httpx.Client, header: str, problem: str) -> None:
    response = http.post("/v1/chat/completions", json=CHAT, headers={"X-LlamaStack-Provider-Data": header})
    error = envelope(response, 400)
    assert "X-LlamaStack-Provider-Data" in error["message"]
    assert problem in error["message"]


def test_valid_provider_data_header(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions", json=CHAT, headers={"X-LlamaStack-Provider-Data": '{"k": "v"}'}
    )
    assert response.status_code == 200


def test_our_client_raises_the_contract_errors(http: httpx.Client) -> None:
    with LlamaStackClient(str(http.base_url)) as client:
        with pytest.raises(NotFoundError, match="echo-llm"):
            client.models.get_model("no-such-model")
        with pytest.raises(InvalidRequestError, match="temperature"):
            client.inference.openai_chat_completion(
                model="echo-llm", messages=CHAT["messages"], temperature="hot"
            )
        with pytest.raises(PayloadTooLargeError, match="max_request_body_bytes"):
            client.inference.openai_chat_completion(
                model="echo-llm", messages=[{"role": "user", "content": "z" * BODY_LIMIT}]
            )


@pytest.mark.parametrize(
    ("path", "body", "model_type", "wanted"),
    [
        (
            "/v1/chat/completions",
            {"model": "fake-embed", "messages": [{"role": "user", "content": "x"}]},
            "embedding",
            "llm",
        ),
        ("/v1/inference/completion", {"model_id": "fake-embed", "content": "x"}, "embedding", "llm"),
        ("/v1/embeddings", {"model": "echo-llm", "input": "x"}, "llm", "embedding"),
        ("/v1/inference/embeddings", {"model_id": "echo-llm", "contents": ["x"]}, "llm", "embedding"),
    ],
)
def test_model_of_the_wrong_type(
    http: httpx.Client, path: str, body: dict[str, Any], model_type: str, wanted: str
) -> None:
    error = envelope(http.post(path, json=body), 400)
    assert error["code"] == "wrong_model_type"
    assert f"has model_type {model_type!r}" in error["message"]
    assert f"needs one whose model_type is {wanted!r}" in error["message"]
