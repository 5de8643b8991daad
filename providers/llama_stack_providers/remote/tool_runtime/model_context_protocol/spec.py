"""The spec of ``remote::model-context-protocol``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.remote.tool_runtime.model_context_protocol"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.tool_runtime,
        provider_type="remote::model-context-protocol",
        config_class=f"{_PACKAGE}.config:MCPToolRuntimeConfig",
        factory=f"{_PACKAGE}.provider:create",
        pip_packages=("mcp>=2.3,<3",),
        description=(
            "Tool groups served by remote Model Context Protocol servers (streamable HTTP or SSE): a group's "
            "`mcp_endpoint` names the server; per-request headers come from provider data `mcp_headers`."
        ),
    )
]
