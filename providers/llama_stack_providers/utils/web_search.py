"""What the web search tool runtimes share (Brave Search, Tavily): the ``web_search`` tool, its result
types and the JSON an LLM reads, argument and key checks, the HTTP backend, and the runtime that keeps one
pooled client per API key in use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr

from llama_stack_api import (
    AuthenticationError,
    InvalidRequestError,
    LlamaStackError,
    PermissionDeniedError,
    current_provider_data,
)
from llama_stack_api.tool_runtime import ToolDef, ToolInvocationResult, ToolParameter
from llama_stack_providers.utils.inference.http_backend import HTTPBackend
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure
from llama_stack_providers.utils.inference.remote_config import RemoteHTTPConfig
from llama_stack_providers.utils.tool_runtime import SingleToolRuntime


@dataclass(frozen=True)
class SearchHit:
    """One web page a search returned."""

    title: str
    url: str
    content: str  # the snippet, as plain text
    score: float | None = None  # relevance, where the service gives one (Tavily)


@dataclass(frozen=True)
class SearchResults:
    """What one search returned, best hit first."""

    query: str
    hits: list[SearchHit]
    answer: str | None = None  # a generated short answer (Tavily with include_answer)


def format_results(results: SearchResults) -> str:
    """The tool result an LLM reads: JSON ``{"query", "top_k": [{title, url, content, score?}], "answer"?}``.

    The shape of Llama Stack's ``builtin::websearch`` output, so prompts written for it keep working.
    """
    top_k: list[dict[str, Any]] = []
    for hit in results.hits:
        item: dict[str, Any] = {"title": hit.title, "url": hit.url, "content": hit.content}
        if hit.score is not None:
            item["score"] = hit.score
        top_k.append(item)
    payload: dict[str, Any] = {"query": results.query, "top_k": top_k}
    if results.answer is not None:
        payload["answer"] = results.answer
    return json.dumps(payload, ensure_ascii=False)


def check_search_args(query: str, top_k: int, max_results: int) -> str:
    """The query, stripped; an empty query or a ``top_k`` out of ``1..max_results`` is refused."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequestError("the search query is empty", param="query", code="empty_query")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= max_results:
        raise InvalidRequestError(
            f"top_k must be an integer from 1 to {max_results}, got {top_k!r}", param="top_k"
        )
    return query.strip()


def credential_error(failure: UpstreamFailure, *, permission: bool = False) -> LlamaStackError:
    """The service refused the API key; the message never quotes the key or the service's words about it."""
    cls = PermissionDeniedError if permission else AuthenticationError
    return cls(
        f"{failure.where} refused the API key (HTTP {failure.status}); check the search provider's api_key "
        "in its config or in the X-LlamaStack-Provider-Data header",
        code="search_credentials_refused",
        retriable=False,  # every retry would be refused the same way
    )


def search_backend(
    label: str, base_url: str, timeout_s: float, map_error: Callable[[UpstreamFailure], LlamaStackError]
) -> HTTPBackend:
    """One pooled HTTP session to a search API; ``timeout_s`` bounds connecting and each wait for bytes."""
    return HTTPBackend(
        label=label,
        base_url=base_url,
        config=RemoteHTTPConfig(connect_timeout_s=timeout_s, read_timeout_s=timeout_s, max_connections=16),
        map_error=map_error,
    )


def require_api_key(label: str, api_key: str) -> None:
    if not api_key:
        raise AuthenticationError(
            f"{label}: no API key configured", code="search_credentials_missing", retriable=False
        )


WEB_SEARCH = ToolDef(
    name="web_search",
    description="Search the web; returns the top results as JSON (title, url, content).",
    parameters=[ToolParameter(name="query", parameter_type="string", description="What to search for.")],
)


class SearchClient(Protocol):
    def search(self, query: str, *, top_k: int = 3) -> Awaitable[SearchResults]: ...

    async def close(self) -> None: ...


class WebSearchToolRuntime(SingleToolRuntime):
    """Implements ``ToolRuntime`` for ``web_search``: one pooled client per API key in use."""

    tool = WEB_SEARCH

    def __init__(
        self,
        *,
        provider_type: str,
        api_key: SecretStr | None,
        provider_data_key: str,
        max_results: int,
        make_client: Callable[[str], SearchClient],
    ) -> None:
        self.provider_type = provider_type
        self._api_key = api_key
        self._provider_data_key = provider_data_key
        self._max_results = max_results
        self._make_client = make_client
        self._clients: dict[str, SearchClient] = {}

    async def shutdown(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.close() for client in clients))

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        self.check_tool(tool_name)
        client = self._client()
        results = await client.search(kwargs.get("query", ""), top_k=self._max_results)
        return ToolInvocationResult(
            content=format_results(results),
            metadata={"query": results.query, "urls": [hit.url for hit in results.hits]},
        )

    def _client(self) -> SearchClient:
        key = current_provider_data().get(self._provider_data_key)
        if not isinstance(key, str) or not key:
            key = self._api_key.get_secret_value() if self._api_key is not None else ""
        if not key:
            raise AuthenticationError(
                f"{self.provider_type}: no API key; set api_key in the provider's config or send "
                f'X-LlamaStack-Provider-Data: {{"{self._provider_data_key}": "..."}}',
                code="search_credentials_missing",
                retriable=False,
            )
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._make_client(key)
        return client
