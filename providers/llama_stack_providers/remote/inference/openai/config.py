"""Configuration of ``remote::openai``: where the endpoint is, its key, and which models it serves."""

from __future__ import annotations

from pydantic import Field, SecretStr

from llama_stack_providers.utils.inference.remote_config import HttpURL, RemoteHTTPConfig

PROVIDER_DATA_API_KEY = "openai_api_key"


class OpenAIInferenceConfig(RemoteHTTPConfig):
    """Any OpenAI-compatible endpoint.

    The API key comes from ``api_key`` or, per request, from the
    ``X-LlamaStack-Provider-Data`` header's ``openai_api_key`` field
    (``{"openai_api_key": "sk-..."}``); the per-request key wins. It is sent as
    ``Authorization: Bearer <key>`` and never logged or echoed in errors.
    """

    base_url: HttpURL = Field(
        default="https://api.openai.com/v1",
        description="The endpoint's base URL, the part before /chat/completions (usually ends in /v1).",
    )
    api_key: SecretStr | None = Field(
        default=None, description="Sent as a bearer token unless the request brings its own key."
    )
    models: list[str] | None = Field(
        default=None,
        description="The model ids to register; unset: discovered from GET {base_url}/models at startup.",
    )
    embedding_models: list[str] = Field(
        default_factory=list,
        description=(
            "Ids of embedding models, for endpoints whose /models does not say (OpenAI's does not); "
            "ids containing 'embed' are taken as embedding models without being listed."
        ),
    )
