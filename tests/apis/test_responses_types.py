"""Our Responses and Conversations types against the openai SDK's own pydantic types.

Two directions, both strict:

- what we send, the SDK reads: each of our objects is dumped as the server
  dumps it, validated by the SDK's model, and must come back with the same
  fields and values, none of them unknown to the SDK;
- what the SDK sends, we read: a request body captured from a real
  ``client.responses.create`` call (through an ``httpx.MockTransport``)
  parses into our request-side unions and dumps back unchanged.
"""

from __future__ import annotations

import importlib
import json
import typing
from collections.abc import Iterator
from typing import Any

import openai
import openai.types.conversations as sdk_conversations
import openai.types.responses as sdk
import pytest
from openai import OpenAI
from pydantic import BaseModel, TypeAdapter, ValidationError

from llama_stack_api.conversations import Conversation, ConversationDeletedResource, ConversationItemList
from llama_stack_api.responses import (
    AnnotationFileCitation,
    AnnotationURLCitation,
    FileSearchRankingOptions,
    FileSearchTool,
    FunctionTool,
    McpListToolsTool,
    McpRequireApprovalFilter,
    McpTool,
    McpToolExecutionError,
    McpToolFilter,
    Response,
    ResponseConversationRef,
    ResponseError,
    ResponseFileSearchResult,
    ResponseFileSearchToolCall,
    ResponseFunctionToolCall,
    ResponseFunctionToolCallOutput,
    ResponseIncompleteDetails,
    ResponseInput,
    ResponseInputFile,
    ResponseInputImage,
    ResponseInputItem,
    ResponseInputItemList,
    ResponseInputText,
    ResponseLogprob,
    ResponseMcpApprovalRequest,
    ResponseMcpApprovalResponse,
    ResponseMcpCall,
    ResponseMcpListTools,
    ResponseMessage,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseStreamEvent,
    ResponseStreamLogprob,
    ResponseStreamTopLogprob,
    ResponseTextConfig,
    ResponseTextFormatJSONObject,
    ResponseTextFormatJSONSchema,
    ResponseTool,
    ResponseToolChoice,
    ResponseUsage,
    ResponseWebSearchToolCall,
    ToolChoiceFunction,
    ToolChoiceMcp,
    WebSearchActionOpenPage,
    WebSearchPreviewTool,
    WebSearchTool,
)
from llama_stack_api.responses import _events as events
from llama_stack_api.vector_io import ComparisonFilter

_WIRE: TypeAdapter[Any] = TypeAdapter(Any)  # how the server dumps a method's result


def _wire(ours: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_WIRE.dump_json(ours))
    return data


def _unknown_fields(model: Any, path: str = "") -> list[str]:
    """Paths of fields the SDK did not declare (it keeps them as extras rather than failing)."""
    found: list[str] = []
    if isinstance(model, BaseModel):
        extras = set(model.model_extra or {})
        if isinstance(model, sdk.Response):
            extras.discard("store")  # OpenAI's API returns it in every response; the SDK does not declare it
        found += [f"{path}.{name}" for name in sorted(extras)]
        for name in type(model).model_fields:
            found += _unknown_fields(getattr(model, name), f"{path}.{name}")
    elif isinstance(model, list):
        for index, value in enumerate(model):
            found += _unknown_fields(value, f"{path}[{index}]")
    return found


def _assert_sdk_reads(sdk_type: Any, ours: BaseModel) -> Any:
    """The SDK's model validates what we send, keeps every field and value, and knows every field."""
    wire = _wire(ours)
    parsed = TypeAdapter(sdk_type).validate_python(wire)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
    assert _unknown_fields(parsed) == []
    return parsed


def _sdk_by_type(union: Any) -> dict[str, type[BaseModel]]:
    """The SDK's classes in a discriminated union alias, by their ``type`` value."""
    members = typing.get_args(typing.get_args(union)[0])
    found: dict[str, type[BaseModel]] = {}
    for member in members:
        for value in typing.get_args(member.model_fields["type"].annotation):
            found[value] = member
    return found


# --- samples -------------------------------------------------------------------------------------


def _output_items() -> list[ResponseOutputItem]:
    return [
        ResponseOutputMessage(
            id="msg_1",
            content=[
                ResponseOutputText(
                    text="Paris [1]",
                    annotations=[
                        AnnotationFileCitation(file_id="file-1", filename="cities.txt", index=5),
                        AnnotationURLCitation(url="https://x.org", title="X", start_index=0, end_index=5),
                    ],
                    logprobs=[ResponseLogprob(token="Paris", logprob=-0.1, bytes=[80])],
                ),
                ResponseOutputRefusal(refusal="not that part"),
            ],
        ),
        ResponseFunctionToolCall(
            id="fc_1", call_id="call_1", name="get_weather", arguments='{"city":"Oslo"}'
        ),
        ResponseFileSearchToolCall(
            id="fs_1",
            queries=["capital of France"],
            status="completed",
            results=[
                ResponseFileSearchResult(
                    file_id="file-1", filename="cities.txt", score=0.9, text="Paris", attributes={"y": 2024}
                )
            ],
        ),
        ResponseWebSearchToolCall(id="ws_1", status="completed"),
        ResponseWebSearchToolCall(
            id="ws_2", status="completed", action=WebSearchActionOpenPage(url="https://x")
        ),
        ResponseMcpCall(
            id="mcp_1", server_label="docs", name="search", arguments="{}", output="found", status="completed"
        ),
        ResponseMcpCall(
            id="mcp_2",
            server_label="docs",
            name="search",
            arguments="{}",
            error=McpToolExecutionError(content=[{"type": "text", "text": "boom"}]),
            status="failed",
        ),
        ResponseMcpListTools(
            id="mcpl_1",
            server_label="docs",
            tools=[McpListToolsTool(name="search", input_schema={"type": "object"}, description="Search.")],
        ),
        ResponseMcpApprovalRequest(id="mcpr_1", server_label="docs", name="delete", arguments="{}"),
    ]


def _tools() -> list[ResponseTool]:
    return [
        FunctionTool(
            name="get_weather",
            description="Weather now.",
            parameters={"type": "object", "properties": {"city": {"type": "string"}}},
            strict=True,
        ),
        FileSearchTool(
            vector_store_ids=["vs_1"],
            filters=ComparisonFilter(type="eq", key="lang", value="en"),
            max_num_results=5,
            ranking_options=FileSearchRankingOptions(ranker="auto", score_threshold=0.2),
        ),
        WebSearchPreviewTool(search_context_size="low"),
        WebSearchTool(),
        McpTool(
            server_label="docs",
            server_url="https://mcp.example/sse",
            headers={"Authorization": "Bearer t"},
            require_approval=McpRequireApprovalFilter(never=McpToolFilter(tool_names=["search"])),
            allowed_tools=["search", "delete"],
        ),
        McpTool(server_label="other", server_url="https://o", require_approval="never"),
    ]


def _response(**changes: Any) -> Response:
    fields: dict[str, Any] = {
        "id": "resp_1",
        "created_at": 1_700_000_000,
        "model": "llama3",
        "status": "completed",
        "output": _output_items(),
        "tools": _tools(),
        "instructions": "Be brief.",
        "metadata": {"team": "a"},
        "temperature": 0.2,
        "top_p": 0.9,
        "max_output_tokens": 512,
        "max_tool_calls": 3,
        "previous_response_id": "resp_0",
        "truncation": "disabled",
        "usage": ResponseUsage(input_tokens=10, output_tokens=5, total_tokens=15),
    }
    return Response(**{**fields, **changes})


# --- what we send, the SDK reads -----------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        _response(),
        _response(
            status="failed",
            output=[],
            error=ResponseError(code="server_error", message="engine down"),
            tool_choice=ToolChoiceFunction(name="get_weather"),
            text=ResponseTextConfig(
                format=ResponseTextFormatJSONSchema(name="answer", schema_={"type": "object"}, strict=True)
            ),
        ),
        _response(
            status="incomplete",
            incomplete_details=ResponseIncompleteDetails(reason="max_output_tokens"),
            conversation=ResponseConversationRef(id="conv_1"),
            tool_choice=ToolChoiceMcp(server_label="docs"),
            text=ResponseTextConfig(format=ResponseTextFormatJSONObject()),
            background=True,
            store=False,
        ),
        _response(status="in_progress", output=[], usage=None, tool_choice="required", tools=[]),
    ],
    ids=["completed", "failed", "incomplete", "in-progress"],
)
def test_the_sdk_reads_our_response(response: Response) -> None:
    parsed = _assert_sdk_reads(sdk.Response, response)
    assert parsed.output_text == response.output_text


def test_output_text_joins_the_assistant_text_like_the_sdk() -> None:
    response = _response(
        output=[
            ResponseOutputMessage(id="m1", content=[ResponseOutputText(text="Hello, ")]),
            ResponseFunctionToolCall(id="fc", call_id="c", name="f", arguments="{}"),
            ResponseOutputMessage(id="m2", content=[ResponseOutputText(text="world")]),
        ]
    )
    assert response.output_text == "Hello, world"
    assert "output_text" not in _wire(response)
    assert sdk.Response.model_validate(_wire(response)).output_text == "Hello, world"


def _events() -> list[ResponseStreamEvent]:
    response = _response(status="in_progress", output=[], usage=None)
    message = ResponseOutputMessage(id="msg_1", status="in_progress")
    text = ResponseOutputText(text="Hi")
    item = {"item_id": "x_1", "output_index": 0}
    part = {**item, "content_index": 0}
    return [
        events.ResponseCreatedEvent(sequence_number=0, response=response),
        events.ResponseQueuedEvent(
            sequence_number=0, response=response.model_copy(update={"status": "queued"})
        ),
        events.ResponseInProgressEvent(sequence_number=1, response=response),
        events.ResponseOutputItemAddedEvent(sequence_number=2, output_index=0, item=message),
        events.ResponseContentPartAddedEvent(sequence_number=3, **part, part=ResponseOutputText(text="")),
        events.ResponseOutputTextDeltaEvent(sequence_number=4, **part, delta="Hi"),
        events.ResponseOutputTextDeltaEvent(
            sequence_number=4,
            **part,
            delta="!",
            logprobs=[
                ResponseStreamLogprob(
                    token="!", logprob=-0.5, top_logprobs=[ResponseStreamTopLogprob(token="?", logprob=-2.0)]
                )
            ],
        ),
        events.ResponseOutputTextAnnotationAddedEvent(
            sequence_number=5,
            **part,
            annotation_index=0,
            annotation=AnnotationFileCitation(file_id="file-1", filename="a.txt", index=2),
        ),
        events.ResponseOutputTextDoneEvent(sequence_number=5, **part, text="Hi"),
        events.ResponseContentPartDoneEvent(sequence_number=6, **part, part=text),
        events.ResponseRefusalDeltaEvent(sequence_number=7, **part, delta="no"),
        events.ResponseRefusalDoneEvent(sequence_number=8, **part, refusal="no"),
        events.ResponseOutputItemDoneEvent(
            sequence_number=9, output_index=0, item=ResponseOutputMessage(id="msg_1", content=[text])
        ),
        events.ResponseFunctionCallArgumentsDeltaEvent(sequence_number=10, **item, delta='{"ci'),
        events.ResponseFunctionCallArgumentsDoneEvent(
            sequence_number=11, **item, arguments='{"city":"Oslo"}'
        ),
        events.ResponseFileSearchCallInProgressEvent(sequence_number=12, **item),
        events.ResponseFileSearchCallSearchingEvent(sequence_number=13, **item),
        events.ResponseFileSearchCallCompletedEvent(sequence_number=14, **item),
        events.ResponseWebSearchCallInProgressEvent(sequence_number=15, **item),
        events.ResponseWebSearchCallSearchingEvent(sequence_number=16, **item),
        events.ResponseWebSearchCallCompletedEvent(sequence_number=17, **item),
        events.ResponseMcpCallArgumentsDeltaEvent(sequence_number=18, **item, delta="{"),
        events.ResponseMcpCallArgumentsDoneEvent(sequence_number=19, **item, arguments="{}"),
        events.ResponseMcpCallInProgressEvent(sequence_number=20, **item),
        events.ResponseMcpCallCompletedEvent(sequence_number=21, **item),
        events.ResponseMcpCallFailedEvent(sequence_number=22, **item),
        events.ResponseMcpListToolsInProgressEvent(sequence_number=23, **item),
        events.ResponseMcpListToolsCompletedEvent(sequence_number=24, **item),
        events.ResponseMcpListToolsFailedEvent(sequence_number=25, **item),
        events.ResponseCompletedEvent(sequence_number=26, response=_response()),
        events.ResponseFailedEvent(
            sequence_number=26,
            response=_response(status="failed", error=ResponseError(code="server_error", message="x")),
        ),
        events.ResponseIncompleteEvent(sequence_number=26, response=_response(status="incomplete")),
        events.ResponseErrorEvent(sequence_number=27, message="boom", code="server_error"),
    ]


@pytest.mark.parametrize("event", _events(), ids=lambda event: str(event.type))
def test_the_sdk_reads_each_stream_event(event: ResponseStreamEvent) -> None:
    sdk_class = _sdk_by_type(sdk.ResponseStreamEvent)[event.type]
    _assert_sdk_reads(sdk_class, event)
    # and our own union reads it back as the same event
    assert TypeAdapter(ResponseStreamEvent).validate_json(_WIRE.dump_json(event)) == event


def test_every_event_type_of_the_union_is_sampled() -> None:
    union_types = set(_sdk_by_type(ResponseStreamEvent))
    assert {event.type for event in _events()} == union_types
    assert union_types <= set(_sdk_by_type(sdk.ResponseStreamEvent))


def _stored_items() -> list[ResponseInputItem]:
    """Items as a conversation or a response's input list holds them: ids and statuses filled in."""
    return [
        ResponseMessage(id="msg_1", role="user", status="completed", content=[ResponseInputText(text="hi")]),
        ResponseMessage(
            id="msg_2",
            role="user",
            status="completed",
            content=[
                ResponseInputImage(image_url="data:image/png;base64,AAAA"),
                ResponseInputFile(file_id="file-1", filename="a.pdf"),
            ],
        ),
        ResponseMessage(
            id="msg_3", role="assistant", status="completed", content=[ResponseOutputText(text="hello")]
        ),
        ResponseFunctionToolCall(id="fc_1", call_id="c1", name="f", arguments="{}", status="completed"),
        ResponseFunctionToolCallOutput(id="fco_1", call_id="c1", output="42", status="completed"),
        ResponseFunctionToolCallOutput(
            id="fco_2", call_id="c1", output=[ResponseInputText(text="42")], status="completed"
        ),
        ResponseFileSearchToolCall(id="fs_1", queries=["q"], status="completed"),
        ResponseWebSearchToolCall(id="ws_1", status="completed"),
        ResponseMcpCall(id="mcp_1", server_label="s", name="n", arguments="{}", output="ok"),
        ResponseMcpListTools(id="mcpl_1", server_label="s", tools=[McpListToolsTool(name="n")]),
        ResponseMcpApprovalRequest(id="mcpr_1", server_label="s", name="n", arguments="{}"),
        ResponseMcpApprovalResponse(id="mcpa_1", approval_request_id="mcpr_1", approve=True, reason="fine"),
    ]


def test_the_sdk_reads_our_conversation_types() -> None:
    conversation = Conversation(id="conv_1", created_at=1_700_000_000, metadata={"k": "v"})
    _assert_sdk_reads(sdk_conversations.Conversation, conversation)
    _assert_sdk_reads(sdk_conversations.ConversationDeletedResource, ConversationDeletedResource(id="conv_1"))
    items = _stored_items()
    page = ConversationItemList(data=items, first_id="msg_1", last_id="mcpa_1", has_more=True)
    parsed = _assert_sdk_reads(sdk_conversations.ConversationItemList, page)
    assert [item.type for item in parsed.data] == [item.type for item in items]


def test_the_sdk_reads_our_response_input_items() -> None:
    page = ResponseInputItemList(data=_stored_items(), first_id="msg_1", last_id="mcpa_1")
    parsed = _assert_sdk_reads(sdk.ResponseItemList, page)
    # an assistant message reads as the SDK's output message, the others as input messages
    assert [type(item).__name__ for item in parsed.data[:3]] == [
        "ResponseInputMessageItem",
        "ResponseInputMessageItem",
        "ResponseOutputMessage",
    ]


# --- what the SDK sends, we read -----------------------------------------------------------------


# the HTTP library this openai SDK is built on (its own fork of httpx in recent versions)
_SDK_HTTPX: Any = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])


class _Capture:
    """A transport handler that records each request body and answers with a fixed response."""

    def __init__(self, answer: Response) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any) -> Any:
        self.bodies.append(json.loads(request.content))
        body = _WIRE.dump_json(self.answer)
        return _SDK_HTTPX.Response(200, content=body, headers={"content-type": "application/json"})


@pytest.fixture
def capture() -> _Capture:
    return _Capture(_response())


@pytest.fixture
def client(capture: _Capture) -> Iterator[OpenAI]:
    http_client = _SDK_HTTPX.Client(transport=_SDK_HTTPX.MockTransport(capture))
    with OpenAI(
        base_url="http://stack/v1", api_key="x", max_retries=0, http_client=http_client
    ) as sdk_client:
        yield sdk_client


def _round_trip(annotation: Any, sent: Any) -> Any:
    """Parse ``sent`` with our type and check it dumps back to exactly what was sent."""
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    parsed = adapter.validate_python(sent)
    assert adapter.dump_python(parsed, mode="json", by_alias=True, exclude_unset=True) == sent
    return parsed


def test_we_read_the_input_the_sdk_sends(client: OpenAI, capture: _Capture) -> None:
    previous = client.responses.create(model="llama3", input="hi")
    assert previous.output_text == "Paris [1]"
    assert capture.bodies[-1]["input"] == "hi"
    assert _round_trip(ResponseInput, "hi") == "hi"

    sent_input: list[Any] = [
        {"role": "user", "content": "easy form, no type"},
        {"role": "developer", "content": "be brief"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "what is this?"},
                {"type": "input_image", "image_url": "https://x/cat.png", "detail": "low"},
                {"type": "input_file", "file_id": "file-1"},
            ],
        },
        # a previous response's output sent back, then the function's result
        *previous.output,
        {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 3}'},
        {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": [{"type": "input_text", "text": "3"}],
        },
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": False},
    ]
    client.responses.create(model="llama3", input=sent_input)
    sent = capture.bodies[-1]["input"]
    items = _round_trip(ResponseInput, sent)
    assert (
        isinstance(items[0], ResponseMessage)
        and items[0].type == "message"
        and items[0].content == "easy form, no type"
    )
    assert [item.type for item in items] == [
        "message",
        "message",
        "message",
        *(item.type for item in previous.output),
        "function_call_output",
        "function_call_output",
        "mcp_approval_response",
    ]
    assert isinstance(items[3], ResponseMessage) and items[3].role == "assistant"


def test_we_read_the_tools_and_options_the_sdk_sends(client: OpenAI, capture: _Capture) -> None:
    client.responses.create(
        model="llama3",
        input="hi",
        tools=[
            {
                "type": "function",
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                "strict": True,
            },
            {
                "type": "file_search",
                "vector_store_ids": ["vs_1", "vs_2"],
                "filters": {
                    "type": "and",
                    "filters": [
                        {"type": "eq", "key": "lang", "value": "en"},
                        {"type": "gte", "key": "year", "value": 2024},
                    ],
                },
                "max_num_results": 4,
                "ranking_options": {"ranker": "auto", "score_threshold": 0.5},
            },
            {"type": "web_search"},
            {
                "type": "web_search_preview",
                "search_context_size": "high",
                "user_location": {"type": "approximate", "city": "Oslo"},
            },
            {
                "type": "mcp",
                "server_label": "docs",
                "server_url": "https://mcp.example/sse",
                "headers": {"Authorization": "Bearer t"},
                "require_approval": {"never": {"tool_names": ["search"]}},
                "allowed_tools": {"tool_names": ["search"]},
            },
            {"type": "mcp", "server_label": "other", "server_url": "https://o", "require_approval": "always"},
        ],
        tool_choice={"type": "function", "name": "get_weather"},
        text={
            "format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": True}
        },
    )
    body = capture.bodies[-1]
    tools = _round_trip(list[ResponseTool], body["tools"])
    assert [type(tool) for tool in tools] == [
        FunctionTool,
        FileSearchTool,
        WebSearchTool,
        WebSearchPreviewTool,
        McpTool,
        McpTool,
    ]
    assert isinstance(tools[4].require_approval, McpRequireApprovalFilter)
    assert isinstance(tools[4].allowed_tools, McpToolFilter)
    assert _round_trip(ResponseToolChoice, body["tool_choice"]) == ToolChoiceFunction(name="get_weather")
    text = _round_trip(ResponseTextConfig, body["text"])
    assert isinstance(text.format, ResponseTextFormatJSONSchema) and text.format.schema_ == {"type": "object"}

    choices: list[Any] = ["auto", "none", {"type": "mcp", "server_label": "docs"}, {"type": "file_search"}]
    for choice in choices:
        client.responses.create(model="llama3", input="hi", tool_choice=choice)
        _round_trip(ResponseToolChoice, capture.bodies[-1]["tool_choice"])


def test_output_items_are_valid_input_items() -> None:
    """What the model wrote goes back as input (the next turn, a conversation) without conversion."""
    as_input = TypeAdapter(list[ResponseInputItem]).validate_python(_output_items())
    assert isinstance(as_input[0], ResponseMessage) and as_input[0].role == "assistant"
    assert [_wire(item) for item in as_input] == [_wire(item) for item in _output_items()]


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        ([{"type": "computer_call_output"}], "computer_call_output"),
        ([{"role": "robot", "content": "x"}], "role"),
        ([{"role": "user"}], "content"),
        ([{"role": "user", "content": [{"type": "input_audio"}]}], "input_audio"),
    ],
    ids=["unknown-item", "bad-role", "no-content", "unknown-part"],
)
def test_unreadable_input_is_refused_by_name(sent: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        TypeAdapter(ResponseInput).validate_python(sent)


def test_an_unknown_tool_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="code_interpreter"):
        TypeAdapter(ResponseTool).validate_python({"type": "code_interpreter", "container": "auto"})
