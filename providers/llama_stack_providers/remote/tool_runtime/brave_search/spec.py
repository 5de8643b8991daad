"""The spec of ``remote::brave-search``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.remote.tool_runtime.brave_search"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.tool_runtime,
        provider_type="remote::brave-search",
        config_class=f"{_PACKAGE}.config:BraveSearchToolConfig",
        factory=f"{_PACKAGE}.provider:create",
        description="The web_search tool over the Brave Search API (key in config or per request).",
    )
]
