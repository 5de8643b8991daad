"""Configuration of ``remote::tavily-search``: the API key, the endpoint and how many results to return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

PROVIDER_DATA_API_KEY = "tavily_search_api_key"


class TavilySearchToolConfig(BaseModel):
    """The Tavily Search API; the key comes from ``api_key`` or, per request, from the
    ``X-LlamaStack-Provider-Data`` header's ``tavily_search_api_key`` field (which wins)."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(default=None, description="Sent as a bearer token.")
    base_url: str = Field(default="https://api.tavily.com", description="The API's base URL.")
    max_results: int = Field(default=3, ge=1, le=20, description="Results per search.")
    timeout_s: float = Field(default=15.0, gt=0, description="Bound on connecting and each wait for bytes.")
