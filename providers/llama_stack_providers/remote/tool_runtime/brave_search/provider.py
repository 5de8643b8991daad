"""``remote::brave-search``: the ``web_search`` tool over Brave Search."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api
from llama_stack_providers.utils.web_search import WebSearchToolRuntime

from .client import BraveSearchClient
from .config import PROVIDER_DATA_API_KEY, BraveSearchToolConfig


async def create(config: BraveSearchToolConfig, deps: dict[Api, Any]) -> WebSearchToolRuntime:
    return WebSearchToolRuntime(
        provider_type="remote::brave-search",
        api_key=config.api_key,
        provider_data_key=PROVIDER_DATA_API_KEY,
        max_results=config.max_results,
        make_client=lambda key: BraveSearchClient(key, base_url=config.base_url, timeout_s=config.timeout_s),
    )
