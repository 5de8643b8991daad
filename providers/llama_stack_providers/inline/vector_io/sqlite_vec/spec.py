"""The spec of ``inline::sqlite-vec``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.vector_io.sqlite_vec"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.vector_io,
        provider_type="inline::sqlite-vec",
        config_class=f"{_PACKAGE}.config:SqliteVecVectorIOConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        optional_api_dependencies=(Api.files,),
        pip_packages=("sqlite-vec>=0.1.6", "apsw>=3.45", "numpy>=2.0", "pypdf>=5", "tiktoken>=0.7"),
        description=(
            "The embedded default: vector stores in one SQLite file (sqlite-vec vectors, FTS5 keyword search, "
            "hybrid ranking), OpenAI vector stores and native vector-io."
        ),
    )
]
