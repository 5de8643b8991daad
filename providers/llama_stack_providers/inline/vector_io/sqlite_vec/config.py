"""Configuration of ``inline::sqlite-vec``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SqliteVecVectorIOConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db_path: str | None = Field(
        default=None, description="The SQLite file; default: sqlite_vec.db in the provider's state folder."
    )
