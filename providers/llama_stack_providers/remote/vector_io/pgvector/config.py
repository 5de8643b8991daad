"""Configuration of ``remote::pgvector``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class PGVectorVectorIOConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dsn: SecretStr = Field(description="postgresql://user:password@host:5432/db (the server needs pgvector).")
    schema_name: str = Field(default="public", description="Where the stores' tables go.")
    ef_search: int = Field(
        default=800,
        ge=1,
        le=1000,
        description="HNSW search beam (raised to k per query); 800 keeps recall@10 >= 0.95.",
    )
