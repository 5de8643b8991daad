"""The spec of ``inline::llama-guard``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.safety.llama_guard"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.safety,
        provider_type="inline::llama-guard",
        config_class=f"{_PACKAGE}.config:LlamaGuardConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        description=(
            "Llama Guard 3 (1B, 8B, 11B-Vision) through the Inference API: the guard model may be served "
            "by vLLM, the local Llama, Ollama or any other inference provider. S1-S14 hazard categories, "
            "exclusions, user and assistant turns, OpenAI moderations."
        ),
    )
]
