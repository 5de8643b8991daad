"""Configuration of ``remote::ollama``: where the Ollama server listens."""

from __future__ import annotations

from pydantic import Field

from llama_stack_providers.utils.inference.remote_config import HttpURL, RemoteHTTPConfig


class OllamaInferenceConfig(RemoteHTTPConfig):
    """An Ollama server (``ollama serve``); its models are the ones pulled there."""

    url: HttpURL = Field(
        default="http://localhost:11434",
        description="The server's root URL (not /v1: the provider uses both /api and /v1 under it).",
    )
    embedding_models: list[str] = Field(
        default_factory=list,
        description=(
            "Model names to treat as embedding models when Ollama's /api/show does not report "
            "capabilities (servers before 0.6); names containing 'embed' are recognised anyway."
        ),
    )
