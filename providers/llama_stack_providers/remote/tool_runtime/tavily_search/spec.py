"""The spec of ``remote::tavily-search``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.remote.tool_runtime.tavily_search"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.tool_runtime,
        provider_type="remote::tavily-search",
        config_class=f"{_PACKAGE}.config:TavilySearchToolConfig",
        factory=f"{_PACKAGE}.provider:create",
        description="The web_search tool over the Tavily Search API (key in config or per request).",
    )
]
