"""What an agent is: its model, instructions, tools and shields (``AgentConfig``), and the stored agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from ..inference import ResponseFormat, SamplingParams, ToolConfig, ToolPromptFormat
from ..tool_runtime import ToolDef

DEFAULT_MAX_INFER_ITERS = 10


class AgentToolGroupWithArgs(BaseModel):
    """A tool group with arguments its tools always receive (``builtin::rag`` takes ``vector_db_ids``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


AgentToolGroup: TypeAlias = str | AgentToolGroupWithArgs
"""A registered tool group by id, or with arguments; ``group/tool`` offers one tool of a group."""


class AgentConfig(BaseModel):
    """An agent: the model it runs, its system instructions, the tools it may call and its shields."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="The model identifier to use for the agent.")
    instructions: str = Field(description="The system instructions for the agent.")
    name: str | None = None
    sampling_params: SamplingParams | None = None
    input_shields: list[str] | None = Field(default=None, description="Shields run on each turn's input.")
    output_shields: list[str] | None = Field(
        default=None, description="Shields run on each answer (and on tool outputs)."
    )
    toolgroups: list[AgentToolGroup] | None = None
    client_tools: list[ToolDef] | None = Field(
        default=None, description="Tools the caller runs: the turn pauses for them (`turn_awaiting_input`)."
    )
    tool_choice: str | None = Field(default=None, description="Deprecated: use `tool_config`.")
    tool_prompt_format: ToolPromptFormat | None = Field(
        default=None, description="Deprecated: use `tool_config`."
    )
    tool_config: ToolConfig | None = None
    max_infer_iters: int | None = Field(default=DEFAULT_MAX_INFER_ITERS, ge=1, le=100)
    enable_session_persistence: bool | None = False
    response_format: ResponseFormat | None = None


class Agent(BaseModel):
    agent_id: str
    agent_config: AgentConfig
    created_at: datetime


class AgentCreateResponse(BaseModel):
    agent_id: str


class AgentSessionCreateResponse(BaseModel):
    session_id: str


class PaginatedResponse(BaseModel):
    """A page of records (agents, sessions) as plain objects; ``has_more`` when the page was cut."""

    data: list[dict[str, Any]]
    has_more: bool = False
    url: str | None = None
