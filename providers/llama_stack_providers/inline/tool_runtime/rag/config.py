"""Configuration of ``inline::rag-runtime``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RAGToolRuntimeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_document_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest document fetched by URL."
    )
    fetch_timeout_s: float = Field(default=30.0, gt=0)
