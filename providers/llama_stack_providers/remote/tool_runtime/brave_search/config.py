"""Configuration of ``remote::brave-search``: the API key, the endpoint and how many results to return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

PROVIDER_DATA_API_KEY = "brave_search_api_key"


class BraveSearchToolConfig(BaseModel):
    """The Brave Search API; the key comes from ``api_key`` or, per request, from the
    ``X-LlamaStack-Provider-Data`` header's ``brave_search_api_key`` field (which wins)."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(default=None, description="The X-Subscription-Token.")
    base_url: str = Field(default="https://api.search.brave.com", description="The API's base URL.")
    max_results: int = Field(default=3, ge=1, le=20, description="Results per search.")
    timeout_s: float = Field(default=15.0, gt=0, description="Bound on connecting and each wait for bytes.")
