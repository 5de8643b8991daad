"""OpenAI embeddings (``/v1/embeddings``): the response object."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from ._base import OpenAIModel

OpenAIEmbeddingsInput: TypeAlias = str | list[str] | list[int] | list[list[int]]
"""A text, a batch of texts, or the same as token ids."""


class OpenAIEmbeddingData(OpenAIModel):
    object: Literal["embedding"] = "embedding"
    embedding: list[float] | str = Field(
        description="The vector, or its little-endian float32 bytes in base64 (`encoding_format=base64`)."
    )
    index: int


class OpenAIEmbeddingUsage(OpenAIModel):
    prompt_tokens: int
    total_tokens: int


class OpenAIEmbeddingsResponse(OpenAIModel):
    """``{"object": "list", "data": [...], "model", "usage"}``, one item per input in input order."""

    object: Literal["list"] = "list"
    data: list[OpenAIEmbeddingData]
    model: str
    usage: OpenAIEmbeddingUsage
