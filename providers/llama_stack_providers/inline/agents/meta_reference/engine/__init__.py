"""The agent engine: one loop of inference, tools and shields behind the Agents and Responses APIs."""

from .events import (
    EngineEvent,
    InferenceDone,
    LoopEnded,
    MemoryRetrievalDone,
    ShieldDone,
    StepStarted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallRequest,
    ToolCallStarted,
    ToolExecutionDone,
    ToolOutcome,
    Usage,
)
from .loop import AgentLoop, LoopRequest, content_text, new_id, now
from .tools import EngineTool, ToolSet, schema_from_tool_def

__all__ = [
    "AgentLoop",
    "EngineEvent",
    "EngineTool",
    "InferenceDone",
    "LoopEnded",
    "LoopRequest",
    "MemoryRetrievalDone",
    "ShieldDone",
    "StepStarted",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallDone",
    "ToolCallRequest",
    "ToolCallStarted",
    "ToolExecutionDone",
    "ToolOutcome",
    "ToolSet",
    "Usage",
    "content_text",
    "new_id",
    "now",
    "schema_from_tool_def",
]
