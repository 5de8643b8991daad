"""Configuration of ``inline::meta-reference`` agents."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MetaReferenceAgentsConfig(BaseModel):
    max_infer_iters: int = Field(
        default=10, ge=1, le=100, description="Inference steps per turn when the agent sets none."
    )
    tool_timeout_s: float = Field(default=60.0, gt=0, description="How long one tool call may run.")
    shield_tool_outputs: bool = Field(
        default=True,
        description="Check tool results with the agent's input shields (tool output is untrusted model input).",
    )
    document_chunk_tokens: int | None = Field(
        default=None,
        ge=16,
        description="Chunk size for a session's documents; unset: fitted to the store's embedding model "
        "(as vector stores' `auto` chunking).",
    )
    retrieval_max_chunks: int = Field(
        default=5, ge=1, le=50, description="Passages added per turn from documents."
    )
