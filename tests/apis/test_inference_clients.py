"""The Inference contract against the real clients: what they send validates, what we send parses.

Each test drives the ``openai`` SDK or llama-stack-client 0.2.12 against a
``MockTransport`` that validates the request body the way the server does
(declared parameters; unknown ones refused unless the method takes
``extra_body``) and answers with objects built from the contract's types.
"""

from __future__ import annotations

import base64
import importlib
import json
import struct
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import httpx
import llama_stack_client
import openai
import pytest
from llama_stack_client import LlamaStackClient
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from llama_stack_api import inference as inf
from llama_stack_api import protocol_methods

METHODS = {spec.name: spec for spec in protocol_methods(inf.Inference)}
PATHS = {spec.route.path: spec for spec in METHODS.values()}


def _arguments_model(name: str) -> type[BaseModel]:
    spec = METHODS[name]
    fields: dict[str, Any] = {
        p.name: (spec.hints[p.name], ... if p.default is p.empty else p.default)
        for p in spec.parameters
        if p.name != "extra_body"
    }
    config = ConfigDict(extra="allow" if "extra_body" in spec.signature.parameters else "forbid")
    model: type[BaseModel] = create_model(f"{name}_args", __config__=config, **fields)
    return model


Reply = BaseModel | list[BaseModel]

# openai 3.x runs on httpx2, a separate package from the httpx that llama-stack-client uses
OPENAI_HTTPX = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])


class FakeServer:
    """Validates each request against its method's parameters and replies with canned objects.

    ``requests`` holds (method name, validated arguments) in arrival order; ``reply``
    gets the arguments and returns one object, or a list of stream chunks.
    """

    def __init__(self, reply: Callable[[Any], Reply]) -> None:
        self.reply = reply
        self.requests: list[tuple[str, Any]] = []

    def handle(self, request: Any, http: ModuleType) -> Any:
        spec = PATHS[request.url.path.removeprefix("/v1/openai")]
        try:
            arguments = _arguments_model(spec.name).model_validate(json.loads(request.content))
        except ValidationError as exc:
            return http.Response(400, json={"error": {"message": str(exc), "type": "invalid_request_error"}})
        self.requests.append((spec.name, arguments))
        reply = self.reply(arguments)
        if not isinstance(reply, list):
            return http.Response(200, json=reply.model_dump(mode="json"))
        events = [f"data: {chunk.model_dump_json()}\n\n" for chunk in reply]
        if spec.route.openai:
            events.append("data: [DONE]\n\n")
        return http.Response(200, text="".join(events), headers={"content-type": "text/event-stream"})

    def http_client(self, http: ModuleType) -> Any:
        return http.Client(transport=http.MockTransport(lambda request: self.handle(request, http)))


def _openai(server: FakeServer) -> openai.OpenAI:
    client = server.http_client(OPENAI_HTTPX)
    return openai.OpenAI(base_url="http://stack/v1", api_key="k", max_retries=0, http_client=client)


def _lsc(server: FakeServer) -> LlamaStackClient:
    return LlamaStackClient(base_url="http://stack", max_retries=0, http_client=server.http_client(httpx))


def _usage() -> inf.OpenAIChatCompletionUsage:
    return inf.OpenAIChatCompletionUsage(prompt_tokens=4, completion_tokens=2, total_tokens=6)


# --- openai SDK --------------------------------------------------------------------------------

OPENAI_MESSAGES: list[Any] = [
    {"role": "developer", "content": "answer in JSON"},
    {"role": "system", "content": [{"type": "text", "text": "be brief"}], "name": "sys"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA==", "detail": "low"}},
            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}},
            {"type": "file", "file": {"file_data": "AA==", "filename": "a.pdf"}},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    {"role": "assistant", "refusal": "no", "name": "bot"},
    {"role": "function", "name": "f", "content": "old style"},
]


def test_openai_chat_request_with_every_common_field_and_a_tool_call_answer() -> None:
    call = {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
    message = {"role": "assistant", "tool_calls": [call]}
    choice = {"index": 0, "finish_reason": "tool_calls", "message": message}
    answer = inf.OpenAIChatCompletion.model_validate(
        {"id": "chatcmpl-1", "created": 1, "model": "m", "choices": [choice], "usage": _usage()}
    )
    server = FakeServer(lambda _: answer)
    result = _openai(server).chat.completions.create(
        model="m",
        messages=OPENAI_MESSAGES,
        tools=[
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": True}},
            {
                "type": "custom",
                "custom": {
                    "name": "sql",
                    "format": {"type": "grammar", "grammar": {"definition": "s", "syntax": "lark"}},
                },
            },
        ],
        tool_choice={"type": "function", "function": {"name": "f"}},
        response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}}},
        logprobs=True,
        top_logprobs=2,
        stop=["\n\n"],
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=50,
        seed=7,
        n=1,
        parallel_tool_calls=False,
        logit_bias={"50256": -100},
        metadata={"k": "v"},
        store=False,
        reasoning_effort="low",
        service_tier="auto",
        user="u",
        extra_body={"guided_json": {"type": "object"}},
    )
    assert result.choices[0].message.tool_calls[0].function.arguments == '{"x": 1}'  # type: ignore[index, union-attr]
    assert result.usage is not None and result.usage.total_tokens == 6
    ((name, args),) = server.requests
    assert name == "openai_chat_completion"
    assert args.model_extra == {"guided_json": {"type": "object"}}  # only the undeclared field is extra
    assert [type(m).__name__ for m in args.messages] == [
        "OpenAIDeveloperMessageParam",
        "OpenAISystemMessageParam",
        "OpenAIUserMessageParam",
        "OpenAIAssistantMessageParam",
        "OpenAIToolMessageParam",
        "OpenAIAssistantMessageParam",
        "OpenAIFunctionMessageParam",
    ]
    function_tool, custom_tool = args.tools
    assert isinstance(function_tool, inf.OpenAIChatCompletionFunctionTool) and function_tool.function.strict
    assert isinstance(custom_tool, inf.OpenAIChatCompletionCustomTool)
    assert args.response_format.json_schema.schema_ == {"type": "object"}


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, **more: Any) -> BaseModel:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return inf.OpenAIChatCompletionChunk.model_validate(
        {"id": "c", "created": 1, "model": "m", "choices": choices, **more}
    )


def _call_delta(function: dict[str, str], **first: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": 0, **first, "function": function}]}


def test_openai_chat_stream_with_tool_call_deltas_and_usage() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": "Let me check. "}),
        _chunk(_call_delta({"name": "f", "arguments": ""}, id="call_1", type="function")),
        _chunk(_call_delta({"arguments": '{"city": '})),
        _chunk(_call_delta({"arguments": '"Paris"}'}), finish="tool_calls"),
        _chunk(None, usage=_usage().model_dump()),
    ]
    server = FakeServer(lambda _: chunks)
    stream = _openai(server).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "weather?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    received = list(stream)
    assert len(received) == len(chunks)  # [DONE] ended the stream, not a parse error
    arguments = "".join(
        tc.function.arguments or ""
        for c in received
        for choice in c.choices
        for tc in choice.delta.tool_calls or []
        if tc.function
    )
    assert json.loads(arguments) == {"city": "Paris"}
    assert received[3].choices[0].finish_reason == "tool_calls"
    assert received[-1].choices == [] and received[-1].usage is not None
    assert server.requests[0][1].stream_options == inf.OpenAIStreamOptions(include_usage=True)


def test_openai_completions_plain_and_streamed() -> None:
    def reply(args: Any) -> Reply:
        def completion(text: str, finish: Any) -> inf.OpenAICompletion:
            choice = inf.OpenAICompletionChoice(index=0, text=text, finish_reason=finish)
            return inf.OpenAICompletion(id="cmpl", created=1, model="m", choices=[choice])

        if args.stream:
            return [completion("Hel", None), completion("lo", "length")]
        return completion("Hello", "stop").model_copy(update={"usage": _usage()})

    server = FakeServer(reply)
    client = _openai(server)
    plain = client.completions.create(
        model="m", prompt=["a", "b"], echo=False, best_of=1, logprobs=2, suffix="!", max_tokens=5, stop="\n"
    )
    assert plain.object == "text_completion" and plain.choices[0].text == "Hello"
    streamed = list(client.completions.create(model="m", prompt=[[1, 2, 3]], stream=True))
    assert "".join(c.choices[0].text for c in streamed) == "Hello"
    assert [c.choices[0].finish_reason for c in streamed] == [None, "length"]
    assert server.requests[0][1].prompt == ["a", "b"] and server.requests[1][1].prompt == [[1, 2, 3]]


@pytest.mark.parametrize("encoding_format", [None, "float"])
def test_openai_embeddings_as_floats_and_as_base64(encoding_format: str | None) -> None:
    vector = [0.5, -1.25, 3.0]

    def reply(args: Any) -> inf.OpenAIEmbeddingsResponse:
        packed: list[float] | str = vector
        if args.encoding_format == "base64":
            packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return inf.OpenAIEmbeddingsResponse(
            data=[inf.OpenAIEmbeddingData(embedding=packed, index=0)],
            model="e",
            usage=inf.OpenAIEmbeddingUsage(prompt_tokens=2, total_tokens=2),
        )

    server = FakeServer(reply)
    kwargs: dict[str, Any] = {"encoding_format": encoding_format} if encoding_format else {}
    result = _openai(server).embeddings.create(model="e", input="hello", dimensions=3, **kwargs)
    assert result.data[0].embedding == vector
    # the SDK asks for base64 unless told otherwise, and decodes it itself
    assert server.requests[0][1].encoding_format == (encoding_format or "base64")


# --- llama-stack-client 0.2.12 -----------------------------------------------------------------

NATIVE_MESSAGES: list[Any] = [
    {"role": "system", "content": "be brief"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "what is in"},
            {"type": "image", "image": {"url": {"uri": "https://x/cat.png"}}},
            {"type": "image", "image": {"data": "AA=="}},
        ],
        "context": "retrieved passage",
    },
    {
        "role": "assistant",
        "content": "",
        "stop_reason": "end_of_message",
        "tool_calls": [
            {
                "call_id": "c1",
                "tool_name": "brave_search",
                "arguments": {"query": "cats", "n": 3, "tags": ["a", None]},
            },
            {
                "call_id": "c2",
                "tool_name": "get_weather",
                "arguments": "{bad json",
                "arguments_json": "{bad json",
            },
        ],
    },
    {"role": "tool", "call_id": "c1", "content": [{"type": "text", "text": "a cat"}]},
]

STRATEGIES = [
    {"type": "greedy"},
    {"type": "top_p", "temperature": 0.7, "top_p": 0.9},
    {"type": "top_k", "top_k": 40},
]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s["type"])
def test_native_chat_request_with_every_field(strategy: dict[str, Any]) -> None:
    answer = inf.ChatCompletionResponse(
        completion_message=inf.CompletionMessage(
            content="",
            stop_reason=inf.StopReason.end_of_message,
            tool_calls=[inf.ToolCall(call_id="c3", tool_name="wolfram_alpha", arguments={"q": "2+2"})],
        ),
        metrics=[inf.Metric(metric="total_tokens", value=9)],
    )
    server = FakeServer(lambda _: answer)
    request: dict[str, Any] = dict(
        model_id="m",
        messages=NATIVE_MESSAGES,
        sampling_params={"strategy": strategy, "max_tokens": 64, "repetition_penalty": 1.1, "stop": ["</s>"]},
        tools=[
            {"tool_name": "brave_search"},
            {
                "tool_name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "city": {"param_type": "string", "description": "c", "required": True, "default": None}
                },
            },
        ],
        tool_choice="auto",
        tool_prompt_format="json",
        tool_config={
            "tool_choice": "get_weather",
            "tool_prompt_format": "python_list",
            "system_message_behavior": "replace",
        },
        response_format={"type": "json_schema", "json_schema": {"type": "object"}},
        logprobs={"top_k": 2},
    )
    result = _lsc(server).inference.chat_completion(**request)
    assert result.completion_message.tool_calls[0].tool_name == "wolfram_alpha"
    args = server.requests[0][1]
    assert isinstance(args.messages[2].tool_calls[0].tool_name, inf.BuiltinTool)
    assert args.sampling_params.strategy.type == strategy["type"]
    assert args.tool_config.system_message_behavior == "replace"


def test_native_chat_refuses_unknown_fields_like_a_strict_server() -> None:
    server = FakeServer(lambda _: pytest.fail("should not be reached"))
    with pytest.raises(llama_stack_client.BadRequestError, match="temperature"):
        _lsc(server).inference.chat_completion(
            model_id="m", messages=[{"role": "user", "content": "hi"}], extra_body={"temperature": 0.1}
        )
    assert server.requests == []


def test_native_chat_stream_events() -> None:
    def event(event_type: str, delta: dict[str, Any], **more: Any) -> inf.ChatCompletionResponseStreamChunk:
        return inf.ChatCompletionResponseStreamChunk.model_validate(
            {"event": {"event_type": event_type, "delta": delta, **more}}
        )

    call = {"call_id": "c", "tool_name": "get_weather", "arguments": {"city": "Paris"}}
    chunks: list[BaseModel] = [
        event("start", {"type": "text", "text": ""}),
        event("progress", {"type": "text", "text": "Hi"}, logprobs=[{"logprobs_by_token": {"Hi": -0.1}}]),
        event("progress", {"type": "tool_call", "tool_call": "get_wea", "parse_status": "in_progress"}),
        event("progress", {"type": "tool_call", "tool_call": call, "parse_status": "succeeded"}),
        event("complete", {"type": "text", "text": ""}, stop_reason="end_of_message"),
    ]
    chunks[-1] = chunks[-1].model_copy(update={"metrics": [inf.Metric(metric="completion_tokens", value=2)]})
    server = FakeServer(lambda _: chunks)
    received = list(
        _lsc(server).inference.chat_completion(
            model_id="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert [c.event.event_type for c in received] == ["start", "progress", "progress", "progress", "complete"]
    assert received[3].event.delta.tool_call.arguments == {"city": "Paris"}  # type: ignore[union-attr]
    assert received[-1].event.stop_reason == "end_of_message" and received[-1].metrics is not None


def test_native_completion_plain_and_streamed() -> None:
    def reply(args: Any) -> Reply:
        if args.stream:
            return [
                inf.CompletionResponseStreamChunk(delta="Hel"),
                inf.CompletionResponseStreamChunk(delta="lo", stop_reason=inf.StopReason.out_of_tokens),
            ]
        return inf.CompletionResponse(content="Hello", stop_reason=inf.StopReason.end_of_turn)

    server = FakeServer(reply)
    client = _lsc(server)
    plain = client.inference.completion(
        model_id="m",
        content=[{"type": "text", "text": "Say"}, {"type": "image", "image": {"data": "AA=="}}],
        sampling_params={"strategy": {"type": "greedy"}, "max_tokens": 2},
        response_format={"type": "grammar", "bnf": {"root": "x"}},
        logprobs={"top_k": 1},
    )
    assert plain.content == "Hello" and plain.stop_reason == "end_of_turn"
    streamed: Iterable[Any] = client.inference.completion(model_id="m", content="Say", stream=True)
    assert "".join(chunk.delta for chunk in streamed) == "Hello"  # extra field kept by the client


@pytest.mark.parametrize(
    "contents",
    [
        ["a", "b"],
        [{"type": "text", "text": "a"}, {"type": "image", "image": {"url": {"uri": "https://x/y.png"}}}],
    ],
)
def test_native_embeddings(contents: list[Any]) -> None:
    server = FakeServer(lambda _: inf.EmbeddingsResponse(embeddings=[[0.1, 0.2], [0.3, 0.4]]))
    result = _lsc(server).inference.embeddings(
        model_id="e", contents=contents, text_truncation="end", output_dimension=2, task_type="query"
    )
    assert result.embeddings == [[0.1, 0.2], [0.3, 0.4]]
    args = server.requests[0][1]
    assert args.text_truncation is inf.TextTruncation.end and args.task_type is inf.EmbeddingTaskType.query
