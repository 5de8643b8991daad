"""Configuration of ``remote::vllm``: where ``vllm serve`` listens, its API key, which models embed."""

from __future__ import annotations

from pydantic import Field, SecretStr

from llama_stack_providers.utils.inference.remote_config import HttpURL, RemoteHTTPConfig

PROVIDER_DATA_API_TOKEN = "vllm_api_token"


class VLLMInferenceConfig(RemoteHTTPConfig):
    """A vLLM OpenAI-compatible server.

    The token comes from ``api_token`` (the server's ``--api-key``) or, per
    request, from the ``X-LlamaStack-Provider-Data`` header's ``vllm_api_token``
    field; the per-request one wins.
    """

    url: HttpURL = Field(
        default="http://localhost:8000/v1", description="The server's OpenAI base URL, ending in /v1."
    )
    api_token: SecretStr | None = Field(
        default=None, description="The server's --api-key, sent as a bearer token."
    )
    embedding_models: list[str] = Field(
        default_factory=list,
        description=(
            "Served model ids that are embedding (pooling) models; vLLM's /v1/models does not say, "
            "so others are registered as LLMs."
        ),
    )
