"""The plugin module named by the entry point: it only describes the provider (no heavy imports)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec, hookimpl


@hookimpl
def llama_stack_provider_specs() -> list[ProviderSpec]:
    return [
        ProviderSpec(
            api=Api.inference,
            provider_type="inline::reverse",
            config_class="llama_stack_provider_reverse.provider:ReverseConfig",
            factory="llama_stack_provider_reverse.provider:create",
            description="Answers with the words of the last user message reversed (example plugin).",
        )
    ]
