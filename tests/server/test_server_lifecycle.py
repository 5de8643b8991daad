"""Provider lifecycle, and what the server says about itself: routes, providers, health, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

import tests.fakes.plugin
from llama_stack.client import AsyncLlamaStackAsLibraryClient
from llama_stack.config import ConfigError
from llama_stack.stack import OPENAI_LEGACY_PREFIX
from llama_stack_api import Api, InvalidRequestError, api_spec, protocol_methods
from tests.fakes.inference import FakeInference
from tests.support.server import FAKE_DISTRIBUTION, ServedStack, ServeStack

TWO_FAKES = """\
version: 2
name: lifecycle
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: first
      provider_type: inline::fake
      config: {events_name: first, llm_models: [first-llm], embedding_models: []}
    - provider_id: second
      provider_type: inline::fake
      config: {events_name: second, llm_models: [second-llm], embedding_models: []}
"""


def test_providers_initialize_then_shut_down(serve_stack: ServeStack) -> None:
    server = serve_stack(TWO_FAKES)
    assert FakeInference.events == {"first": ["initialize"], "second": ["initialize"]}
    response = httpx.post(
        f"{server.base_url}/v1/chat/completions",
        json={"model": "second-llm", "messages": [{"role": "user", "content": "x"}], "stream": True},
    )
    assert response.status_code == 200
    server.stop()
    assert FakeInference.events == {
        "first": ["initialize", "shutdown"],
        "second": ["initialize", "answer:second-llm", "stream-closed", "shutdown"],
    }
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/v1/health")


async def test_the_library_client_runs_the_same_lifecycle(serve_stack: ServeStack) -> None:
    path = serve_stack.write(TWO_FAKES)
    client = AsyncLlamaStackAsLibraryClient(path, extra_plugins=[tests.fakes.plugin])
    assert FakeInference.events == {}  # nothing happens before the first call
    async with client:
        assert FakeInference.events == {"first": ["initialize"], "second": ["initialize"]}
    assert FakeInference.events == {"first": ["initialize", "shutdown"], "second": ["initialize", "shutdown"]}


def test_a_broken_distribution_fails_before_serving(serve_stack: ServeStack) -> None:
    broken = FAKE_DISTRIBUTION.replace("inline::fake", "inline::faek")
    with pytest.raises(ConfigError, match="did you mean 'inline::fake'"):
        serve_stack(broken)
    assert FakeInference.events == {}


def test_a_stack_that_fails_to_start_shuts_down_what_it_built(serve_stack: ServeStack) -> None:
    refused = FAKE_DISTRIBUTION.replace("provider_model_id: fake-llm", "provider_model_id: not-served")
    with pytest.raises(InvalidRequestError, match="not-served"):
        serve_stack(refused)
    assert FakeInference.events == {"fake": ["initialize", "shutdown"]}


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(TWO_FAKES)


@pytest.fixture
def http(server: ServedStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as client:
        yield client


def listed_routes(http: httpx.Client) -> set[tuple[str, str]]:
    data: list[dict[str, Any]] = http.get("/v1/inspect/routes").json()["data"]
    return {(r["method"], r["route"]) for r in data}


def test_routes_list_every_mounted_route(server: ServedStack, http: httpx.Client) -> None:
    mounted = {
        (method, route.path)
        for route in server.app.routes
        if isinstance(route, Route)
        and not isinstance(route, APIRoute)  # the contract's routes; not /openapi.json
        for method in route.methods
        if method != "HEAD"  # every GET also answers HEAD; the route list names the GET
    }
    assert listed_routes(http) == mounted


def test_routes_cover_the_contract_and_the_openai_copies(http: httpx.Client) -> None:
    listed = listed_routes(http)
    expected: set[tuple[str, str]] = set()
    for api in (Api.inference, Api.models, Api.inspect, Api.providers):
        for spec in protocol_methods(api_spec(api).protocol):
            for route in spec.routes:
                expected.add((route.method, route.path))
                if route.openai:
                    expected.add((route.method, OPENAI_LEGACY_PREFIX + route.path.removeprefix("/v1")))
    assert listed == expected
    assert {
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/openai/v1/chat/completions"),
        ("POST", "/v1/openai/v1/embeddings"),
        ("GET", "/v1/openai/v1/models"),
        ("POST", "/v1/inference/chat-completion"),
        ("GET", "/v1/health"),
    } <= listed
    assert ("POST", "/v1/openai/v1/inference/chat-completion") not in listed  # native routes have no copy
    routes = http.get("/v1/inspect/routes").json()["data"]
    chat = next(r for r in routes if r["route"] == "/v1/chat/completions")
    assert chat["provider_types"] == ["inline::fake"]


def test_every_listed_route_answers(http: httpx.Client) -> None:
    """No listed route is a dangling entry: each one answers something other than 'no route'."""
    for method, path in sorted(listed_routes(http)):
        concrete = path.replace("{model_id:path}", "first-llm").replace("{provider_id}", "first")
        response = http.request(method, concrete, json={} if method == "POST" else None)
        assert response.status_code not in (405, 500), (method, path, response.text)
        if response.status_code == 404:
            assert not response.json()["error"]["message"].startswith("no route"), (method, path)


def test_providers_with_health(http: httpx.Client) -> None:
    providers = http.get("/v1/providers").json()["data"]
    assert [(p["api"], p["provider_id"], p["provider_type"]) for p in providers] == [
        ("inference", "first", "inline::fake"),
        ("inference", "second", "inline::fake"),
    ]
    assert all(p["health"] == {"status": "OK"} for p in providers)
    assert providers[0]["config"]["llm_models"] == ["first-llm"]

    one = http.get("/v1/providers/second").json()
    assert one["provider_id"] == "second" and one["health"] == {"status": "OK"}

    missing = http.get("/v1/providers/third")
    assert missing.status_code == 404
    assert "first, second" in missing.json()["error"]["message"]


def test_health_and_version(http: httpx.Client) -> None:
    assert http.get("/v1/health").json() == {"status": "OK"}
    assert http.get("/v1/version").json()["version"]


def test_openapi(http: httpx.Client) -> None:
    response = http.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/chat/completions", "/v1/openai/v1/chat/completions", "/v1/inference/chat-completion"} <= set(
        spec["paths"]
    )
    assert "post" in spec["paths"]["/v1/chat/completions"]
    # OpenAPI writes path parameters without Starlette's `:path` converter
    listed_paths = {path.replace(":path}", "}") for _, path in listed_routes(http)}
    assert listed_paths == set(spec["paths"])


def test_health_answers_head_for_load_balancer_probes(serve_stack: ServeStack) -> None:
    server = serve_stack(FAKE_DISTRIBUTION)
    response = httpx.head(f"{server.base_url}/v1/health")
    assert response.status_code == 200
    assert response.content == b""
