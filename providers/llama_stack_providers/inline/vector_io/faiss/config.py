"""Configuration of ``inline::faiss``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FaissVectorIOConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str | None = Field(
        default=None, description="Where the indexes live; default: the provider's state folder."
    )
    kind: Literal["flat", "hnsw"] = Field(
        default="flat", description="`flat`: exact search; `hnsw`: approximate, faster on large stores."
    )
