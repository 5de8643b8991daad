"""The spec of ``remote::pgvector``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.remote.vector_io.pgvector"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.vector_io,
        provider_type="remote::pgvector",
        config_class=f"{_PACKAGE}.config:PGVectorVectorIOConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.inference,),
        optional_api_dependencies=(Api.files,),
        pip_packages=("asyncpg>=0.29", "pypdf>=5", "tiktoken>=0.7"),
        description=(
            "Vector stores in PostgreSQL with pgvector (HNSW, cosine) and Postgres full-text search; one table "
            "per store, transactional writes."
        ),
    )
]
