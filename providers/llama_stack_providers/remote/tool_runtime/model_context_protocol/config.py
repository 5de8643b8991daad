"""Configuration of ``remote::model-context-protocol``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MCPToolRuntimeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            "HTTP headers sent to every MCP server (e.g. Authorization); a request's provider data "
            "`mcp_headers` for an endpoint overrides them."
        ),
    )
    timeout_s: float = Field(default=30.0, gt=0, description="Deadline of one list or call exchange.")
