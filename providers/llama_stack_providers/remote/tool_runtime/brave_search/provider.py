"""``remote::brave-search``: the ``web_search`` tool over Brave Search; also the base both search tools share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import SecretStr

from llama_stack_api import (
    Api,
    AuthenticationError,
    current_provider_data,
)
from llama_stack_api.tool_runtime import (
    ToolDef,
    ToolInvocationResult,
    ToolParameter,
)
from llama_stack_providers.utils.tool_runtime import SingleToolRuntime

from .client import BraveSearchClient, SearchResults, format_results
from .config import PROVIDER_DATA_API_KEY, BraveSearchToolConfig

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


async def create(config: BraveSearchToolConfig, deps: dict[Api, Any]) -> WebSearchToolRuntime:
    return WebSearchToolRuntime(
        provider_type="remote::brave-search",
        api_key=config.api_key,
        provider_data_key=PROVIDER_DATA_API_KEY,
        max_results=config.max_results,
        make_client=lambda key: BraveSearchClient(key, base_url=config.base_url, timeout_s=config.timeout_s),
    )
