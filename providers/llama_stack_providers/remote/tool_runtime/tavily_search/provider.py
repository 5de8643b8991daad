"""``remote::tavily-search``: the ``web_search`` tool over the Tavily Search API."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api
from llama_stack_providers.utils.web_search import WebSearchToolRuntime

from .client import TavilySearchClient
from .config import PROVIDER_DATA_API_KEY, TavilySearchToolConfig


async def create(config: TavilySearchToolConfig, deps: dict[Api, Any]) -> WebSearchToolRuntime:
    return WebSearchToolRuntime(
        provider_type="remote::tavily-search",
        api_key=config.api_key,
        provider_data_key=PROVIDER_DATA_API_KEY,
        max_results=config.max_results,
        make_client=lambda key: TavilySearchClient(key, base_url=config.base_url, timeout_s=config.timeout_s),
    )
