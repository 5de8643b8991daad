"""The Brave Search and Tavily clients against fake servers (tests/fakes/search_servers.py) over real sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest

from llama_stack_api import (
    AuthenticationError,
    InvalidRequestError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from llama_stack_providers.remote.tool_runtime.brave_search.client import BraveSearchClient
from llama_stack_providers.remote.tool_runtime.tavily_search.client import TavilySearchClient
from llama_stack_providers.utils.web_search import SearchHit, SearchResults, format_results
from tests.fakes.http_server import closed_port_url, serve_asgi
from tests.fakes.search_servers import BRAVE_KEY, TAVILY_KEY, FakeBrave, FakeTavily

# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brave_fake() -> FakeBrave:
    return FakeBrave()


@pytest.fixture(scope="module")
def tavily_fake() -> FakeTavily:
    return FakeTavily()


@pytest.fixture(scope="module")
def brave_url(brave_fake: FakeBrave) -> Iterator[str]:
    with serve_asgi(brave_fake.app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def tavily_url(tavily_fake: FakeTavily) -> Iterator[str]:
    with serve_asgi(tavily_fake.app) as base_url:
        yield base_url


@pytest.fixture
async def brave(brave_fake: FakeBrave, brave_url: str) -> AsyncIterator[BraveSearchClient]:
    brave_fake.reset()
    client = BraveSearchClient(BRAVE_KEY, base_url=brave_url, timeout_s=5.0)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def tavily(tavily_fake: FakeTavily, tavily_url: str) -> AsyncIterator[TavilySearchClient]:
    tavily_fake.reset()
    client = TavilySearchClient(TAVILY_KEY, base_url=tavily_url, timeout_s=5.0)
    try:
        yield client
    finally:
        await client.close()


# --- Brave --------------------------------------------------------------------------------------


async def test_brave_hits_and_wire_shape(brave: BraveSearchClient, brave_fake: FakeBrave) -> None:
    results = await brave.search("  llama stack  ", top_k=2)
    assert results.query == "llama stack"
    assert results.answer is None
    assert results.hits == [
        SearchHit(
            title="llama stack & more, page 0",
            url="https://example.com/0",
            content="All about llama stack on page 0.",
        ),
        SearchHit(
            title="llama stack & more, page 1",
            url="https://example.com/1",
            content="All about llama stack on page 1.",
        ),
    ]
    (sent,) = brave_fake.requests
    assert sent.params == {"q": "llama stack", "count": "2"}
    assert sent.headers["x-subscription-token"] == BRAVE_KEY
    assert sent.headers["accept"] == "application/json"
    assert "authorization" not in sent.headers


async def test_brave_top_k_is_respected_and_session_reused(brave: BraveSearchClient) -> None:
    assert len((await brave.search("q", top_k=5)).hits) == 5
    assert len((await brave.search("q")).hits) == 3  # the default
    assert len((await brave.search("q", top_k=20)).hits) == 8  # all the fake has


async def test_brave_without_web_results_is_empty(brave: BraveSearchClient) -> None:
    results = await brave.search("nothing at all")
    assert results == SearchResults(query="nothing at all", hits=[])


async def test_brave_wrong_key_is_an_authentication_error(brave_url: str) -> None:
    client = BraveSearchClient("wrong-key", base_url=brave_url)
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.search("q")  # Brave says 422 SUBSCRIPTION_TOKEN_INVALID
    finally:
        await client.close()
    assert caught.value.retriable is False
    assert "Brave Search" in caught.value.message and "wrong-key" not in caught.value.message


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("401", AuthenticationError, "refused the API key"),
        ("429", RateLimitError, "retry after 3 s"),
        ("500", ProviderError, "HTTP 500"),
        ("malformed", ProviderError, "invalid response"),
    ],
)
async def test_brave_failures(
    brave: BraveSearchClient, brave_fake: FakeBrave, fault: str, error: type[Exception], words: str
) -> None:
    brave_fake.fault = fault
    with pytest.raises(error) as caught:
        await brave.search("q")
    assert type(caught.value) is error
    message = str(caught.value)
    assert "Brave Search" in message and words in message
    assert BRAVE_KEY not in message


# --- Tavily -------------------------------------------------------------------------------------


async def test_tavily_hits_and_wire_shape(tavily: TavilySearchClient, tavily_fake: FakeTavily) -> None:
    results = await tavily.search("llama stack", top_k=2)
    assert results == SearchResults(
        query="llama stack",
        hits=[
            SearchHit(
                "llama stack, page 0", "https://example.org/0", "Everything on llama stack, part 0.", 0.9
            ),
            SearchHit(
                "llama stack, page 1", "https://example.org/1", "Everything on llama stack, part 1.", 0.8
            ),
        ],
    )
    (sent,) = tavily_fake.requests
    assert sent.params == {
        "query": "llama stack",
        "max_results": 2,
        "include_answer": False,
        "search_depth": "basic",
    }  # no api_key in the body: the current API takes the header
    assert sent.headers["authorization"] == f"Bearer {TAVILY_KEY}"
    assert sent.headers["content-type"] == "application/json"


async def test_tavily_answer_and_top_k(tavily: TavilySearchClient, tavily_fake: FakeTavily) -> None:
    results = await tavily.search("llamas", top_k=4, include_answer=True)
    assert len(results.hits) == 4
    assert results.answer == "The short answer about llamas."
    assert tavily_fake.requests[-1].params["include_answer"] is True
    assert len((await tavily.search("llamas")).hits) == 3


async def test_tavily_wrong_key_is_an_authentication_error(tavily_url: str) -> None:
    client = TavilySearchClient("tvly-wrong", base_url=tavily_url)
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.search("q")
    finally:
        await client.close()
    assert "Tavily" in caught.value.message and "tvly-wrong" not in caught.value.message


async def test_tavily_refusal_of_the_query_is_passed_on(tavily: TavilySearchClient) -> None:
    with pytest.raises(InvalidRequestError, match="Query is too short"):
        await tavily.search("q")


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("401", AuthenticationError, "refused the API key"),
        ("429", RateLimitError, "excessive requests"),
        ("500", ProviderError, "HTTP 500"),
        ("malformed", ProviderError, "invalid response"),
    ],
)
async def test_tavily_failures(
    tavily: TavilySearchClient, tavily_fake: FakeTavily, fault: str, error: type[Exception], words: str
) -> None:
    tavily_fake.fault = fault
    with pytest.raises(error) as caught:
        await tavily.search("llamas")
    assert type(caught.value) is error
    message = str(caught.value)
    assert "Tavily" in message and words in message
    assert TAVILY_KEY not in message


# --- both ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_class", [BraveSearchClient, TavilySearchClient])
async def test_server_down_is_provider_unavailable(
    client_class: type[BraveSearchClient] | type[TavilySearchClient],
) -> None:
    client = client_class("key", base_url=closed_port_url(), timeout_s=2.0)
    try:
        with pytest.raises(ProviderUnavailableError, match="connection refused"):
            await client.search("llamas")
    finally:
        await client.close()


@pytest.mark.parametrize("client_class", [BraveSearchClient, TavilySearchClient])
@pytest.mark.parametrize(("query", "top_k"), [("", 3), ("   ", 3), ("ok", 0), ("ok", 21)])
async def test_bad_arguments_are_refused_before_sending(
    client_class: type[BraveSearchClient] | type[TavilySearchClient], query: str, top_k: int
) -> None:
    client = client_class("key", base_url=closed_port_url())
    try:
        with pytest.raises(InvalidRequestError) as caught:
            await client.search(query, top_k=top_k)
    finally:
        await client.close()
    assert caught.value.param == ("query" if not query.strip() else "top_k")


async def test_close_is_idempotent_and_the_client_reopens(brave: BraveSearchClient) -> None:
    await brave.search("q")
    await brave.close()
    await brave.close()
    assert len((await brave.search("q")).hits) == 3  # closed by the fixture again


def test_format_results_is_the_websearch_tool_json() -> None:
    results = SearchResults(
        query="llamas",
        hits=[SearchHit("A", "https://a", "about a", 0.5), SearchHit("B", "https://b", "über b")],
        answer="Llamas are camelids.",
    )
    assert json.loads(format_results(results)) == {
        "query": "llamas",
        "top_k": [
            {"title": "A", "url": "https://a", "content": "about a", "score": 0.5},
            {"title": "B", "url": "https://b", "content": "über b"},
        ],
        "answer": "Llamas are camelids.",
    }
    assert json.loads(format_results(SearchResults("x", []))) == {"query": "x", "top_k": []}


async def test_format_results_of_a_real_search(tavily: TavilySearchClient) -> None:
    text = format_results(await tavily.search("llamas", top_k=2, include_answer=True))
    data = json.loads(text)
    assert [hit["url"] for hit in data["top_k"]] == ["https://example.org/0", "https://example.org/1"]
    assert data["answer"] == "The short answer about llamas."
