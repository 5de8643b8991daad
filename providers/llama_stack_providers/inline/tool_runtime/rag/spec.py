"""The spec of ``inline::rag-runtime``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.tool_runtime.rag"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.tool_runtime,
        provider_type="inline::rag-runtime",
        config_class=f"{_PACKAGE}.config:RAGToolRuntimeConfig",
        factory=f"{_PACKAGE}.provider:create",
        api_dependencies=(Api.vector_io,),
        description=(
            "The RAG tool: documents (inline, http(s) or data: URLs; text, Markdown, HTML, JSON, CSV, PDF) chunked "
            "into vector stores, and queries answered as formatted context within a token budget."
        ),
    )
]
