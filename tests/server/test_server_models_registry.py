"""The model registry over HTTP: register / list / get / unregister, aliases, conflicts, restarts,
and two inference providers side by side, each answering for its own models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llama_stack.client import LlamaStackClient
from llama_stack_api import ConflictError, InvalidRequestError, NotFoundError
from tests.support.server import FAKE_DISTRIBUTION, ServedStack, ServeStack

TWO_PROVIDERS = """\
version: 2
name: pair
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: alpha
      provider_type: inline::fake
      config: {events_name: alpha, reply_prefix: "alpha says: ", llm_models: [alpha-llm]}
    - provider_id: beta
      provider_type: inline::fake
      config: {events_name: beta, reply_prefix: "beta says: ", llm_models: [beta-llm, shared-llm]}
models:
  - model_id: shared-llm
    provider_id: beta
    aliases: [the-shared-one]
"""


def chat(http: httpx.Client, model: str, text: str = "hi") -> str:
    response = http.post(
        "/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]}
    )
    assert response.status_code == 200, response.text
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def model_ids(http: httpx.Client) -> set[str]:
    return {m["identifier"] for m in http.get("/v1/models").json()["data"]}


@pytest.fixture
def server(serve_stack: ServeStack) -> ServedStack:
    return serve_stack(FAKE_DISTRIBUTION)


@pytest.fixture
def http(server: ServedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as client:
        yield client


def test_register_list_get_unregister(http: httpx.Client) -> None:
    body = {"model_id": "mine", "provider_model_id": "fake-llm", "metadata": {"context_length": 4096}}
    registered = http.post("/v1/models", json=body)
    assert registered.status_code == 200, registered.text
    model = registered.json()
    assert (model["identifier"], model["provider_id"], model["provider_resource_id"]) == (
        "mine",
        "fake",
        "fake-llm",
    )
    assert (model["source"], model["model_type"], model["metadata"]) == (
        "user",
        "llm",
        {"context_length": 4096},
    )
    assert (model["id"], model["object"], model["owned_by"]) == (
        "mine",
        "model",
        "fake",
    )  # the OpenAI shape too

    assert "mine" in model_ids(http)
    assert http.get("/v1/models/mine").json() == model
    assert chat(http, "mine") == "echo: hi"

    deleted = http.delete("/v1/models/mine")
    assert deleted.status_code == 200 and deleted.content == b""
    assert "mine" not in model_ids(http)
    error = error_of(http.get("/v1/models/mine"), 404)
    assert "echo-llm" in error["message"] and "'mine'" in error["message"]
    error_of(http.delete("/v1/models/mine"), 404)
    assert (
        "'mine'"
        in error_of(http.post("/v1/chat/completions", json={"model": "mine", "messages": []}), 404)["message"]
    )


def test_model_ids_with_slashes(http: httpx.Client) -> None:
    body = {"model_id": "meta-llama/Llama-3.2-3B-Instruct", "provider_model_id": "fake-llm"}
    assert http.post("/v1/models", json=body).status_code == 200
    assert (
        http.get("/v1/models/meta-llama/Llama-3.2-3B-Instruct").json()["provider_resource_id"] == "fake-llm"
    )
    assert chat(http, "meta-llama/Llama-3.2-3B-Instruct") == "echo: hi"
    assert http.delete("/v1/models/meta-llama/Llama-3.2-3B-Instruct").status_code == 200


def test_aliases_resolve(http: httpx.Client) -> None:
    assert http.get("/v1/models/echo").json()["identifier"] == "echo-llm"  # declared in the YAML
    assert chat(http, "echo", "by alias") == "echo: by alias"

    body = {"model_id": "nick", "provider_model_id": "fake-llm", "aliases": ["nickname", "nn"]}
    assert http.post("/v1/models", json=body).status_code == 200
    assert http.get("/v1/models/nn").json()["identifier"] == "nick"
    assert chat(http, "nickname") == "echo: hi"
    response = http.post(
        "/v1/chat/completions", json={"model": "nn", "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.json()["model"] == "nn"  # the id the client sent comes back


def test_conflicts(serve_stack: ServeStack) -> None:
    server = serve_stack(TWO_PROVIDERS)
    with httpx.Client(base_url=server.base_url) as http:
        first = {"model_id": "taken", "provider_model_id": "alpha-llm", "provider_id": "alpha"}
        assert http.post("/v1/models", json=first).status_code == 200
        # registering it again with the same provider updates it
        assert http.post("/v1/models", json={**first, "metadata": {"v": 2}}).json()["metadata"] == {"v": 2}

        other = {"model_id": "taken", "provider_model_id": "beta-llm", "provider_id": "beta"}
        error = error_of(http.post("/v1/models", json=other), 409)
        assert error["type"] == "conflict_error"
        assert "'alpha'" in error["message"] and "unregister it first" in error["message"]

        as_alias = {"model_id": "the-shared-one", "provider_model_id": "alpha-llm", "provider_id": "alpha"}
        assert (
            "alias of model 'shared-llm'" in error_of(http.post("/v1/models", json=as_alias), 409)["message"]
        )

        stealing = {
            "model_id": "thief",
            "provider_model_id": "alpha-llm",
            "provider_id": "alpha",
            "aliases": ["taken"],
        }
        assert "taken by 'taken'" in error_of(http.post("/v1/models", json=stealing), 409)["message"]

        assert chat(http, "taken") == "alpha says: hi"  # the conflicts changed nothing

    with LlamaStackClient(server.base_url) as client, pytest.raises(ConflictError):
        client.models.register_model(model_id="taken", provider_model_id="beta-llm", provider_id="beta")


def test_register_with_an_unknown_provider(serve_stack: ServeStack) -> None:
    server = serve_stack(TWO_PROVIDERS)
    with httpx.Client(base_url=server.base_url) as http:
        error = error_of(http.post("/v1/models", json={"model_id": "m", "provider_id": "gamma"}), 400)
        assert error["param"] == "provider_id"
        assert "'gamma'" in error["message"] and "alpha, beta" in error["message"]

        error = error_of(http.post("/v1/models", json={"model_id": "m"}), 400)
        assert "provider_id is required" in error["message"] and "alpha, beta" in error["message"]

        # the provider refuses a model it does not serve
        error = error_of(http.post("/v1/models", json={"model_id": "m", "provider_id": "alpha"}), 400)
        assert "alpha-llm" in error["message"]
        assert "m" not in model_ids(http)
    with LlamaStackClient(server.base_url) as client, pytest.raises(InvalidRequestError, match="alpha, beta"):
        client.models.register_model(model_id="m", provider_id="gamma")


def test_two_providers_serve_their_own_models(serve_stack: ServeStack) -> None:
    server = serve_stack(TWO_PROVIDERS)
    with httpx.Client(base_url=server.base_url) as http:
        models = {m["identifier"]: m for m in http.get("/v1/models").json()["data"]}
        owners = {identifier: m["provider_id"] for identifier, m in models.items()}
        assert (
            owners
            == {
                "alpha-llm": "alpha",
                "beta-llm": "beta",
                "shared-llm": "beta",
                "fake-embed": "alpha",
                "beta/fake-embed": "beta",  # both report fake-embed: the second is adopted under its provider's prefix
            }
        )
        assert chat(http, "alpha-llm") == "alpha says: hi"
        assert chat(http, "beta-llm") == "beta says: hi"
        assert chat(http, "the-shared-one") == "beta says: hi"

        native = http.post(
            "/v1/inference/chat-completion",
            json={"model_id": "alpha-llm", "messages": [{"role": "user", "content": "native"}]},
        )
        assert native.json()["completion_message"]["content"] == "alpha says: native"
        embedded = http.post("/v1/embeddings", json={"model": "beta/fake-embed", "input": "x"})
        assert embedded.status_code == 200 and embedded.json()["model"] == "beta/fake-embed"

        # a model registered with one provider is answered by that provider only
        body = {"model_id": "routed", "provider_id": "beta", "provider_model_id": "beta-llm"}
        assert http.post("/v1/models", json=body).status_code == 200
        assert chat(http, "routed") == "beta says: hi"

        providers = {p["provider_id"]: p for p in http.get("/v1/providers").json()["data"]}
        assert {p["config"]["reply_prefix"] for p in providers.values()} == {"alpha says: ", "beta says: "}


def persistent(yaml_text: str, db_path: Path) -> str:
    return yaml_text + f"storage:\n  kvstore:\n    type: sqlite\n    db_path: {db_path}\n"


def test_registrations_survive_a_restart(serve_stack: ServeStack, tmp_path: Path) -> None:
    db = tmp_path / "state" / "registry.db"
    first = serve_stack(persistent(FAKE_DISTRIBUTION, db))
    with LlamaStackClient(first.base_url) as client:
        client.models.register_model(model_id="kept", provider_model_id="fake-llm", aliases=["kept-alias"])
        client.models.register_model(model_id="dropped", provider_model_id="fake-llm")
        client.models.unregister_model("dropped")
    first.stop()
    assert db.is_file()

    second = serve_stack(persistent(FAKE_DISTRIBUTION, db))
    assert second.port != 0
    with LlamaStackClient(second.base_url) as client:
        kept = client.models.get_model("kept-alias")
        assert (kept.identifier, kept.provider_resource_id, kept.source) == ("kept", "fake-llm", "user")
        ids = {m.identifier for m in client.models.list_models().data}
        assert {"kept", "echo-llm", "fake-llm", "fake-embed"} <= ids
        assert "dropped" not in ids
        answer = client.inference.openai_chat_completion(
            model="kept", messages=[{"role": "user", "content": "after restart"}]
        )
        assert answer.choices[0].message.content == "echo: after restart"


def test_models_removed_from_the_distribution_are_gone_after_a_restart(
    serve_stack: ServeStack, tmp_path: Path
) -> None:
    db = tmp_path / "registry.db"
    with_extra = (
        FAKE_DISTRIBUTION
        + "  - model_id: extra-llm\n    provider_id: fake\n    provider_model_id: fake-llm\n"
    )
    first = serve_stack(persistent(with_extra, db))
    with LlamaStackClient(first.base_url) as client:
        assert client.models.get_model("extra-llm").source == "distribution"
        client.models.register_model(model_id="users-own", provider_model_id="fake-llm")
    first.stop()

    second = serve_stack(persistent(FAKE_DISTRIBUTION, db))
    with LlamaStackClient(second.base_url) as client:
        ids = {m.identifier for m in client.models.list_models().data}
        assert "extra-llm" not in ids
        assert {"echo-llm", "users-own"} <= ids
        with pytest.raises(NotFoundError, match="'extra-llm' is not registered"):
            client.inference.openai_chat_completion(
                model="extra-llm", messages=[{"role": "user", "content": "x"}]
            )


def test_models_of_a_removed_provider_are_gone_after_a_restart(
    serve_stack: ServeStack, tmp_path: Path
) -> None:
    db = tmp_path / "registry.db"
    first = serve_stack(persistent(TWO_PROVIDERS, db))
    with LlamaStackClient(first.base_url) as client:
        client.models.register_model(model_id="on-alpha", provider_id="alpha", provider_model_id="alpha-llm")
    first.stop()

    only_beta = TWO_PROVIDERS.replace(
        '    - provider_id: alpha\n      provider_type: inline::fake\n      config: {events_name: alpha, reply_prefix: "alpha says: ", llm_models: [alpha-llm]}\n',
        "",
    )
    assert "alpha" not in only_beta
    second = serve_stack(persistent(only_beta, db))
    with httpx.Client(base_url=second.base_url) as http:
        ids = model_ids(http)
        assert "on-alpha" not in ids and "alpha-llm" not in ids
        assert chat(http, "beta-llm") == "beta says: hi"
