"""Connection settings every remote (HTTP) inference provider's config shares: timeouts, pool, TLS."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


HttpURL = Annotated[str, AfterValidator(_http_url)]
"""An engine's URL: http(s) only, without a trailing slash."""


class RemoteHTTPConfig(BaseModel):
    """How the provider's one long-lived HTTP client talks to the engine.

    Read nothing from the environment here: the distribution YAML says what
    comes from ``${env.X}``.
    """

    model_config = ConfigDict(extra="forbid")

    connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds to open a TCP (and TLS) connection to the engine."
    )
    read_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Seconds to wait for the next bytes of an answer. A non-streaming generation sends nothing "
            "until it is done, so this bounds the longest generation."
        ),
    )
    max_connections: int = Field(
        default=100, ge=1, description="Concurrent connections to the engine (the pool size)."
    )
    keepalive_timeout_s: float = Field(
        default=4.0,
        ge=0,
        description=(
            "Seconds an idle pooled connection is kept. Below uvicorn's 5 s (vLLM, Llama Stack), so a "
            "request never reuses a connection the server is closing."
        ),
    )
    tls_verify: bool | str = Field(
        default=True, description="Verify the engine's TLS certificate; a string is a CA bundle path."
    )
