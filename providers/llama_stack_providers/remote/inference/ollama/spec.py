"""``remote::ollama``: registered by the built-in plugin; cheap to import."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="remote::ollama",
        config_class="llama_stack_providers.remote.inference.ollama.config:OllamaInferenceConfig",
        factory="llama_stack_providers.remote.inference.ollama.provider:create",
        pip_packages=("aiohttp>=3.9",),
        description="An Ollama server: its pulled models, chat, completions and embeddings.",
    )
]
