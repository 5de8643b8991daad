"""``remote::openai``: registered by the built-in plugin; cheap to import."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="remote::openai",
        config_class="llama_stack_providers.remote.inference.openai.config:OpenAIInferenceConfig",
        factory="llama_stack_providers.remote.inference.openai.provider:create",
        pip_packages=("aiohttp>=3.9",),
        description=(
            "Any OpenAI-compatible endpoint (OpenAI, gateways, another Llama Stack). Per-request key: "
            'X-LlamaStack-Provider-Data: {"openai_api_key": "..."}.'
        ),
    )
]
