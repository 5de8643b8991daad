"""The web_search tool of remote::brave-search and remote::tavily-search, served and called with llama-stack-client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient

from tests.fakes.http_server import serve_asgi
from tests.fakes.search_servers import BRAVE_KEY, TAVILY_KEY, FakeBrave, FakeTavily
from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: web-search
apis: [tool_runtime, tool_groups]
providers:
  tool_runtime:
    - provider_id: brave
      provider_type: remote::brave-search
      config:
        api_key: {brave_key}
        base_url: {brave_url}
        max_results: 3
    - provider_id: tavily
      provider_type: remote::tavily-search
      config:
        base_url: {tavily_url}
        max_results: 2
tool_groups:
  - toolgroup_id: builtin::websearch
    provider_id: brave
"""


@pytest.fixture(scope="module")
def brave() -> Iterator[tuple[FakeBrave, str]]:
    fake = FakeBrave()
    with serve_asgi(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def tavily() -> Iterator[tuple[FakeTavily, str]]:
    fake = FakeTavily()
    with serve_asgi(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="module")
def server(
    brave: tuple[FakeBrave, str], tavily: tuple[FakeTavily, str], serve_stack_for_module: ServeStack
) -> ServedStack:
    # the fakes come first so that they outlive the stack (its clients close their connections first)
    return serve_stack_for_module(
        DISTRIBUTION.format(brave_key=BRAVE_KEY, brave_url=brave[1], tavily_url=tavily[1])
    )


@pytest.fixture(autouse=True)
def _reset(brave: tuple[FakeBrave, str], tavily: tuple[FakeTavily, str]) -> None:
    brave[0].reset()
    tavily[0].reset()


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as client:
        yield client


def _payload(content: object) -> dict[str, object]:
    text = content if isinstance(content, str) else "".join(getattr(i, "text", "") for i in content)  # type: ignore[attr-defined]
    decoded = json.loads(text)
    assert isinstance(decoded, dict)
    return decoded


def test_web_search_is_listed(client: LlamaStackClient) -> None:
    [tool] = client.tools.list(toolgroup_id="builtin::websearch")
    assert tool.identifier == "web_search" and tool.provider_id == "brave"
    assert [(p.name, p.parameter_type) for p in tool.parameters] == [("query", "string")]


def test_brave_search_returns_the_fakes_hits(client: LlamaStackClient, brave: tuple[FakeBrave, str]) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="web_search", kwargs={"query": "lighthouses"})
    assert result.error_message is None
    payload = _payload(result.content)
    assert payload["query"] == "lighthouses"
    top_k = payload["top_k"]
    assert isinstance(top_k, list) and len(top_k) == 3
    assert top_k[0] == {
        "title": "lighthouses & more, page 0",
        "url": "https://example.com/0",
        "content": "All about lighthouses on page 0.",
    }
    [request] = brave[0].requests
    assert request.headers["x-subscription-token"] == BRAVE_KEY and request.params["count"] == "3"


def test_a_refused_key_is_401_without_echoing_it(
    client: LlamaStackClient, brave: tuple[FakeBrave, str]
) -> None:
    brave[0].api_key = "another-key"
    try:
        with pytest.raises(llama_stack_client.AuthenticationError) as caught:
            client.tool_runtime.invoke_tool(tool_name="web_search", kwargs={"query": "x y"})
    finally:
        brave[0].api_key = BRAVE_KEY
    assert BRAVE_KEY not in str(caught.value)


def test_tavily_needs_a_key_and_takes_it_from_provider_data(
    client: LlamaStackClient, tavily: tuple[FakeTavily, str]
) -> None:
    client.toolgroups.register(toolgroup_id="tavily-search", provider_id="tavily")
    try:
        # web_search is offered by two groups now; ask the tavily group's provider through provider data
        with pytest.raises(llama_stack_client.AuthenticationError, match="tavily_search_api_key"):
            _invoke_on_tavily(client, provider_data=None)
        assert tavily[0].requests == []
        result = _invoke_on_tavily(client, provider_data={"tavily_search_api_key": TAVILY_KEY})
        payload = _payload(result.content)
        top_k = payload["top_k"]
        assert isinstance(top_k, list) and [hit["url"] for hit in top_k] == [
            "https://example.org/0",
            "https://example.org/1",
        ]
        assert tavily[0].requests[0].headers["authorization"] == f"Bearer {TAVILY_KEY}"
    finally:
        client.toolgroups.unregister("tavily-search")


def _invoke_on_tavily(
    client: LlamaStackClient, provider_data: dict[str, str] | None
) -> llama_stack_client.types.ToolInvocationResult:
    headers = {"X-LlamaStack-Provider-Data": json.dumps(provider_data)} if provider_data else {}
    client.toolgroups.unregister("builtin::websearch")
    try:
        return client.tool_runtime.invoke_tool(
            tool_name="web_search", kwargs={"query": "sourdough"}, extra_headers=headers
        )
    finally:
        client.toolgroups.register(toolgroup_id="builtin::websearch", provider_id="brave")
