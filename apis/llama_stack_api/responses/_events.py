"""Streaming events of a response (``stream=true``): one model per ``type``, numbered by ``sequence_number``.

A stream opens with ``response.created`` and ``response.in_progress`` and ends
with ``response.completed``, ``response.failed`` or ``response.incomplete``
(each carrying the whole ``Response``). In between, each output item is
announced (``output_item.added``), filled (content parts, text and argument
deltas, tool progress) and closed (``output_item.done``). ``sequence_number``
counts every event of the stream from 0, so clients can order and resume.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ..inference._base import OpenAIModel
from ._content import ResponseAnnotation, ResponseOutputContent
from ._items import ResponseOutputItem
from ._response import Response


class ResponseStreamTopLogprob(OpenAIModel):
    token: str | None = None
    logprob: float | None = None


class ResponseStreamLogprob(OpenAIModel):
    """A token's log probability in text events (no ``bytes``, unlike ``output_text.logprobs``)."""

    token: str
    logprob: float
    top_logprobs: list[ResponseStreamTopLogprob] = Field(default_factory=list)


class _Event(OpenAIModel):
    sequence_number: int


class _ResponseEvent(_Event):
    response: Response


class _ItemEvent(_Event):
    """An event about the output item ``item_id`` at ``output_index``."""

    item_id: str
    output_index: int


class _ContentEvent(_ItemEvent):
    """An event about the content part at ``content_index`` of a message item."""

    content_index: int


# --- the response's life ----------------------------------------------------------------------


class ResponseCreatedEvent(_ResponseEvent):
    type: Literal["response.created"] = "response.created"


class ResponseQueuedEvent(_ResponseEvent):
    type: Literal["response.queued"] = "response.queued"


class ResponseInProgressEvent(_ResponseEvent):
    type: Literal["response.in_progress"] = "response.in_progress"


class ResponseCompletedEvent(_ResponseEvent):
    type: Literal["response.completed"] = "response.completed"


class ResponseFailedEvent(_ResponseEvent):
    type: Literal["response.failed"] = "response.failed"


class ResponseIncompleteEvent(_ResponseEvent):
    type: Literal["response.incomplete"] = "response.incomplete"


class ResponseErrorEvent(_Event):
    """An error the stream cannot recover from (the response object may not exist yet)."""

    type: Literal["error"] = "error"
    message: str
    code: str | None = None
    param: str | None = None


# --- output items and their content -----------------------------------------------------------


class ResponseOutputItemAddedEvent(_Event):
    type: Literal["response.output_item.added"] = "response.output_item.added"
    output_index: int
    item: ResponseOutputItem


class ResponseOutputItemDoneEvent(_Event):
    type: Literal["response.output_item.done"] = "response.output_item.done"
    output_index: int
    item: ResponseOutputItem


class ResponseContentPartAddedEvent(_ContentEvent):
    type: Literal["response.content_part.added"] = "response.content_part.added"
    part: ResponseOutputContent


class ResponseContentPartDoneEvent(_ContentEvent):
    type: Literal["response.content_part.done"] = "response.content_part.done"
    part: ResponseOutputContent


class ResponseOutputTextDeltaEvent(_ContentEvent):
    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str
    logprobs: list[ResponseStreamLogprob] = Field(default_factory=list)


class ResponseOutputTextDoneEvent(_ContentEvent):
    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str
    logprobs: list[ResponseStreamLogprob] = Field(default_factory=list)


class ResponseOutputTextAnnotationAddedEvent(_ContentEvent):
    type: Literal["response.output_text.annotation.added"] = "response.output_text.annotation.added"
    annotation_index: int
    annotation: ResponseAnnotation


class ResponseRefusalDeltaEvent(_ContentEvent):
    type: Literal["response.refusal.delta"] = "response.refusal.delta"
    delta: str


class ResponseRefusalDoneEvent(_ContentEvent):
    type: Literal["response.refusal.done"] = "response.refusal.done"
    refusal: str


# --- function calls ----------------------------------------------------------------------------


class ResponseFunctionCallArgumentsDeltaEvent(_ItemEvent):
    type: Literal["response.function_call_arguments.delta"] = "response.function_call_arguments.delta"
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(_ItemEvent):
    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    arguments: str


# --- hosted tools' progress --------------------------------------------------------------------


class ResponseFileSearchCallInProgressEvent(_ItemEvent):
    type: Literal["response.file_search_call.in_progress"] = "response.file_search_call.in_progress"


class ResponseFileSearchCallSearchingEvent(_ItemEvent):
    type: Literal["response.file_search_call.searching"] = "response.file_search_call.searching"


class ResponseFileSearchCallCompletedEvent(_ItemEvent):
    type: Literal["response.file_search_call.completed"] = "response.file_search_call.completed"


class ResponseWebSearchCallInProgressEvent(_ItemEvent):
    type: Literal["response.web_search_call.in_progress"] = "response.web_search_call.in_progress"


class ResponseWebSearchCallSearchingEvent(_ItemEvent):
    type: Literal["response.web_search_call.searching"] = "response.web_search_call.searching"


class ResponseWebSearchCallCompletedEvent(_ItemEvent):
    type: Literal["response.web_search_call.completed"] = "response.web_search_call.completed"


# --- MCP ---------------------------------------------------------------------------------------


class ResponseMcpCallInProgressEvent(_ItemEvent):
    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"


class ResponseMcpCallCompletedEvent(_ItemEvent):
    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"


class ResponseMcpCallFailedEvent(_ItemEvent):
    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"


class ResponseMcpCallArgumentsDeltaEvent(_ItemEvent):
    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    delta: str


class ResponseMcpCallArgumentsDoneEvent(_ItemEvent):
    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    arguments: str


class ResponseMcpListToolsInProgressEvent(_ItemEvent):
    type: Literal["response.mcp_list_tools.in_progress"] = "response.mcp_list_tools.in_progress"


class ResponseMcpListToolsCompletedEvent(_ItemEvent):
    type: Literal["response.mcp_list_tools.completed"] = "response.mcp_list_tools.completed"


class ResponseMcpListToolsFailedEvent(_ItemEvent):
    type: Literal["response.mcp_list_tools.failed"] = "response.mcp_list_tools.failed"


ResponseStreamEvent: TypeAlias = Annotated[
    ResponseCreatedEvent
    | ResponseQueuedEvent
    | ResponseInProgressEvent
    | ResponseCompletedEvent
    | ResponseFailedEvent
    | ResponseIncompleteEvent
    | ResponseErrorEvent
    | ResponseOutputItemAddedEvent
    | ResponseOutputItemDoneEvent
    | ResponseContentPartAddedEvent
    | ResponseContentPartDoneEvent
    | ResponseOutputTextDeltaEvent
    | ResponseOutputTextDoneEvent
    | ResponseOutputTextAnnotationAddedEvent
    | ResponseRefusalDeltaEvent
    | ResponseRefusalDoneEvent
    | ResponseFunctionCallArgumentsDeltaEvent
    | ResponseFunctionCallArgumentsDoneEvent
    | ResponseFileSearchCallInProgressEvent
    | ResponseFileSearchCallSearchingEvent
    | ResponseFileSearchCallCompletedEvent
    | ResponseWebSearchCallInProgressEvent
    | ResponseWebSearchCallSearchingEvent
    | ResponseWebSearchCallCompletedEvent
    | ResponseMcpCallInProgressEvent
    | ResponseMcpCallCompletedEvent
    | ResponseMcpCallFailedEvent
    | ResponseMcpCallArgumentsDeltaEvent
    | ResponseMcpCallArgumentsDoneEvent
    | ResponseMcpListToolsInProgressEvent
    | ResponseMcpListToolsCompletedEvent
    | ResponseMcpListToolsFailedEvent,
    Field(discriminator="type"),
]
"""Any event of a response stream, told apart by ``type``."""
