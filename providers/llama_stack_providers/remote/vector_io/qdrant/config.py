"""Configuration of ``remote::qdrant``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class QdrantVectorIOConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, description="A Qdrant server, e.g. http://localhost:6333.")
    api_key: SecretStr | None = None
    path: str | None = Field(
        default=None, description="Local mode: a folder (one process at a time); default when no url is set."
    )

    @model_validator(mode="after")
    def _one_place(self) -> QdrantVectorIOConfig:
        if not self.url:
            self.url = None
        if self.url and self.path:
            raise ValueError("set either `url` (a server) or `path` (local mode), not both")
        return self
