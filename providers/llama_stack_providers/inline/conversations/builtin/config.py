"""Configuration of ``inline::builtin`` (conversations)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class BuiltinConversationsConfig(BaseModel):
    """Nothing to set: records live in the distribution's kv store (``storage.kvstore``)."""

    model_config = ConfigDict(extra="forbid")
