"""``remote::vllm``: registered by the built-in plugin; cheap to import."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="remote::vllm",
        config_class="llama_stack_providers.remote.inference.vllm.config:VLLMInferenceConfig",
        factory="llama_stack_providers.remote.inference.vllm.provider:create",
        pip_packages=("aiohttp>=3.9",),
        description=(
            "A vLLM OpenAI-compatible server: chat, completions, embeddings, tools, guided decoding. "
            'Per-request token: X-LlamaStack-Provider-Data: {"vllm_api_token": "..."}.'
        ),
    )
]
