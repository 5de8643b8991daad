"""The spec of ``inline::faiss``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.vector_io.faiss"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.vector_io,
        provider_type="inline::faiss",
        config_class=f"{_PACKAGE}.config:FaissVectorIOConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        optional_api_dependencies=(Api.files,),
        pip_packages=("faiss-cpu>=1.8", "pypdf>=5", "tiktoken>=0.7"),
        description=(
            "Vector stores in faiss indexes (exact or HNSW) saved to disk and reloaded, with chunk text, "
            "metadata and FTS5 keyword search in SQLite beside them."
        ),
    )
]
