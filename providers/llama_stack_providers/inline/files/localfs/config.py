"""Configuration of ``inline::localfs``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LocalFSFilesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    storage_dir: str | None = Field(
        default=None,
        description="Where file contents live; default: the provider's folder under the distribution's state.",
    )
    max_file_bytes: int | None = Field(
        default=None,
        gt=0,
        description="Refuse larger uploads (413); the server's upload limit applies anyway.",
    )
