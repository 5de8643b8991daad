"""The spec of ``remote::qdrant``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.remote.vector_io.qdrant"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.vector_io,
        provider_type="remote::qdrant",
        config_class=f"{_PACKAGE}.config:QdrantVectorIOConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        optional_api_dependencies=(Api.files,),
        pip_packages=("qdrant-client>=1.12", "pypdf>=5", "tiktoken>=0.7"),
        description=(
            "Vector stores as Qdrant collections (cosine), with BM25-style keyword ranking over sparse vectors; "
            "a Qdrant server by URL, or local mode in a folder."
        ),
    )
]
