"""The spec of ``inline::meta-reference`` agents."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.agents.meta_reference"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.agents,
        provider_type="inline::meta-reference",
        config_class=f"{_PACKAGE}.config:MetaReferenceAgentsConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        optional_api_dependencies=(Api.safety, Api.tool_runtime, Api.vector_io, Api.conversations),
        description=(
            "Agents and OpenAI Responses on one agent loop: inference, tool calls (tool groups, MCP, client "
            "tools), shields on input, output and tool results, session documents; state in the kv store."
        ),
    )
]
