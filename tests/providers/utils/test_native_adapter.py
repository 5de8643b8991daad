"""NativeOverOpenAIMixin: native requests reach the OpenAI-shaped methods converted, and answers come back native."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import TypeAdapter

from llama_stack.protocol_check import implementation_problems
from llama_stack_api import InvalidRequestError, NotSupportedError, ProviderError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseStreamChunk,
    CompletionResponse,
    CompletionResponseStreamChunk,
    Inference,
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAICompletion,
    OpenAIEmbeddingsResponse,
    ToolCall,
    ToolCallDelta,
)
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin

WIRE: TypeAdapter[Any] = TypeAdapter(Any)
USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def chat_completion(
    message: dict[str, Any], finish_reason: str = "stop", **extra: Any
) -> OpenAIChatCompletion:
    choice = {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}
    return OpenAIChatCompletion.model_validate(
        {"id": "c1", "created": 1, "model": "m", "choices": [choice], "usage": USAGE, **extra}
    )


def chunk(
    delta: dict[str, Any] | None = None, finish_reason: str | None = None, **extra: Any
) -> OpenAIChatCompletionChunk:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason, **extra}]
    return OpenAIChatCompletionChunk.model_validate(
        {"id": "c1", "created": 1, "model": "m", "choices": choices}
    )


def usage_chunk() -> OpenAIChatCompletionChunk:
    return OpenAIChatCompletionChunk.model_validate(
        {"id": "c1", "created": 1, "model": "m", "choices": [], "usage": USAGE}
    )


def text_completion(text: str, finish_reason: str | None = "stop", **extra: Any) -> OpenAICompletion:
    choice = {"index": 0, "text": text, "finish_reason": finish_reason, **extra}
    return OpenAICompletion.model_validate({"id": "t1", "created": 1, "model": "m", "choices": [choice]})


class RecordingEngine(NativeOverOpenAIMixin):
    """Implements only the OpenAI-shaped methods; records each call and answers with what the test scripted."""

    def __init__(self, answer: Any = None, embeddings: OpenAIEmbeddingsResponse | None = None) -> None:
        self.answer = answer  # a whole object, or a list of chunks to stream
        self.embedding_answer = embeddings
        self.calls: list[dict[str, Any]] = []
        self.stream_closed = False

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> Any:
        self.calls.append({"model": model, "messages": messages, **params})
        return self._streamed(self.answer) if isinstance(self.answer, list) else self.answer

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> Any:
        self.calls.append({"model": model, "prompt": prompt, **params})
        return self._streamed(self.answer) if isinstance(self.answer, list) else self.answer

    async def openai_embeddings(self, model: str, input: Any, **params: Any) -> OpenAIEmbeddingsResponse:
        self.calls.append({"model": model, "input": input, **params})
        assert self.embedding_answer is not None
        return self.embedding_answer

    async def _streamed(self, chunks: list[Any]) -> AsyncIterator[Any]:
        try:
            for item in chunks:
                yield item
        finally:
            self.stream_closed = True

    @property
    def sent(self) -> dict[str, Any]:
        """The last call, with pydantic values dumped as the wire would carry them."""
        return {
            k: WIRE.dump_python(v, mode="json", exclude_none=True, by_alias=True)
            for k, v in self.calls[-1].items()
        }

    @property
    def sent_messages(self) -> list[dict[str, Any]]:
        return [m.model_dump(exclude_none=True) for m in self.calls[-1]["messages"]]


USER = [{"role": "user", "content": "hi"}]


async def native_chat(engine: RecordingEngine, **request: Any) -> Any:
    return await engine.chat_completion(**{"model_id": "m", "messages": USER, **request})


async def events_of(stream: Any) -> list[ChatCompletionResponseStreamChunk]:
    return [event async for event in stream]


def test_only_the_openai_methods_plus_the_mixin_satisfy_the_protocol() -> None:
    assert implementation_problems(Inference, RecordingEngine()) == []


# --- requests: messages ------------------------------------------------------------------------


async def test_messages_of_every_role_become_openai_messages() -> None:
    engine = RecordingEngine(chat_completion({"content": "ok"}))
    await native_chat(
        engine,
        messages=[
            {
                "role": "system",
                "content": [{"type": "text", "text": "be "}, {"type": "text", "text": "brief"}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image", "image": {"url": {"uri": "https://x/cat.jpg"}}},
                    {"type": "image", "image": {"data": PNG_B64}},
                ],
            },
            {
                "role": "assistant",
                "content": "",
                "stop_reason": "end_of_message",
                "tool_calls": [
                    {"call_id": "c1", "tool_name": "get_weather", "arguments": {"city": "Paris"}},
                    {
                        "call_id": "c2",
                        "tool_name": "brave_search",
                        "arguments": {"query": "x"},
                        "arguments_json": '{"query":"x"}',
                    },
                    {"call_id": "c3", "tool_name": "raw", "arguments": "not json"},
                ],
            },
            {"role": "tool", "call_id": "c1", "content": [{"type": "text", "text": "sunny"}]},
            {"role": "assistant", "content": "It is sunny.", "stop_reason": "end_of_turn"},
            {"role": "user", "content": "and Rome?", "context": "Rome: rainy"},
        ],
    )
    assert engine.sent_messages == [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.jpg"}},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            ],
        },
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "brave_search", "arguments": '{"query":"x"}'},
                },
                {"id": "c3", "type": "function", "function": {"name": "raw", "arguments": "not json"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "and Rome?\n\nRome: rainy"},
    ]
    assert engine.sent["model"] == "m"
    assert engine.sent["stream"] is False


@pytest.mark.parametrize(
    "message",
    [
        {"role": "system", "content": {"type": "image", "image": {"url": {"uri": "https://x/a.png"}}}},
        {"role": "tool", "call_id": "c", "content": [{"type": "image", "image": {"data": PNG_B64}}]},
    ],
)
async def test_images_where_openai_takes_only_text_are_not_supported(message: dict[str, Any]) -> None:
    with pytest.raises(NotSupportedError, match=r"messages\[0\]\.content holds an image"):
        await native_chat(RecordingEngine(), messages=[message])


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [{"role": "robot", "content": "x"}],
        [{"role": "user"}],
        [{"role": "user", "content": "x", "extra": 1}],
    ],
)
async def test_malformed_messages_are_invalid_requests(messages: list[Any]) -> None:
    engine = RecordingEngine()
    with pytest.raises(InvalidRequestError, match="messages"):
        await native_chat(engine, messages=messages)
    assert engine.calls == []


# --- requests: sampling, tools, formats, logprobs ----------------------------------------------


@pytest.mark.parametrize(
    ("sampling", "expected", "extra_body"),
    [
        (None, {"temperature": 0.0}, None),
        ({"strategy": {"type": "greedy"}, "max_tokens": 0}, {"temperature": 0.0}, None),
        (
            {
                "strategy": {"type": "top_p", "temperature": 0.7, "top_p": 0.9},
                "max_tokens": 50,
                "stop": ["\n"],
            },
            {"temperature": 0.7, "top_p": 0.9, "max_tokens": 50, "stop": ["\n"]},
            None,
        ),
        ({"strategy": {"type": "top_k", "top_k": 5}}, {}, {"top_k": 5}),
        ({"repetition_penalty": 1.2}, {"temperature": 0.0}, {"repetition_penalty": 1.2}),
    ],
)
async def test_sampling_params_become_openai_fields_and_extra_body(
    sampling: dict[str, Any] | None, expected: dict[str, Any], extra_body: dict[str, Any] | None
) -> None:
    engine = RecordingEngine(chat_completion({"content": "ok"}))
    await native_chat(engine, sampling_params=sampling)
    sent = engine.calls[-1]
    fields = ("temperature", "top_p", "max_tokens", "stop")
    assert {k: sent[k] for k in fields if sent[k] is not None} == expected
    assert sent["extra_body"] == extra_body


WEATHER_TOOL = {
    "tool_name": "get_weather",
    "description": "Weather in a city",
    "parameters": {
        "city": {"param_type": "string", "description": "City name"},
        "days": {"param_type": "int", "required": False, "default": 1},
        "units": {"param_type": "list[str]", "required": False},
        "detail": {"param_type": "Optional[bool]", "required": False},
    },
}


async def test_tools_become_function_tools_with_a_json_schema() -> None:
    engine = RecordingEngine(chat_completion({"content": "ok"}))
    await native_chat(engine, tools=[WEATHER_TOOL, {"tool_name": "brave_search"}])
    assert engine.sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "City name"},
                        "days": {"type": "integer", "default": 1},
                        "units": {"type": "array", "items": {"type": "string"}},
                        "detail": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
                    },
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "brave_search",
                "parameters": {
                    "type": "object",
                    "properties": {"query": {"type": "string", "description": "The search query."}},
                    "required": ["query"],
                },
            },
        },
    ]
    assert engine.sent["tool_choice"] == "auto"


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        ({"tool_config": {"tool_choice": "required"}}, "required"),
        ({"tool_config": {"tool_choice": "none"}}, "none"),
        ({"tool_choice": "required"}, "required"),  # the deprecated top-level spelling
        ({"tool_choice": "required", "tool_config": {"tool_prompt_format": "json"}}, "required"),
        (
            {"tool_config": {"tool_choice": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
async def test_tool_choice_becomes_the_openai_tool_choice(
    request_fields: dict[str, Any], expected: Any
) -> None:
    engine = RecordingEngine(chat_completion({"content": "ok"}))
    await native_chat(engine, tools=[WEATHER_TOOL], **request_fields)
    assert engine.sent["tool_choice"] == expected


@pytest.mark.parametrize(
    ("request_fields", "match"),
    [
        (
            {"tools": [WEATHER_TOOL], "tool_config": {"tool_choice": "get_time"}},
            "not among the request's tools",
        ),
        (
            {"tools": [WEATHER_TOOL], "tool_choice": "none", "tool_config": {"tool_choice": "required"}},
            "conflicts",
        ),
        ({"tool_config": {"tool_choice": "required"}}, "needs tools"),
        ({"tools": [WEATHER_TOOL, WEATHER_TOOL]}, "defined twice"),
    ],
)
async def test_impossible_tool_requests_are_invalid(request_fields: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        await native_chat(RecordingEngine(), **request_fields)


async def test_without_tools_no_tool_fields_are_sent() -> None:
    engine = RecordingEngine(chat_completion({"content": "ok"}))
    await native_chat(engine, tool_config={"tool_choice": "auto", "tool_prompt_format": "python_list"})
    assert (engine.sent["tools"], engine.sent["tool_choice"]) == (None, None)


async def test_response_formats_become_json_schema_or_guided_grammar() -> None:
    engine = RecordingEngine(chat_completion({"content": "{}"}))
    schema = {"title": "Weather report", "type": "object", "properties": {"t": {"type": "number"}}}
    await native_chat(engine, response_format={"type": "json_schema", "json_schema": schema})
    assert engine.sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Weather_report", "schema": schema},
    }
    await native_chat(engine, response_format={"type": "grammar", "bnf": {"root": "'yes' | 'no'"}})
    assert engine.sent["response_format"] is None
    assert engine.sent["extra_body"] == {"guided_grammar": {"root": "'yes' | 'no'"}}


class PlainOpenAIEngine(RecordingEngine):
    supported_extra_body_keys = frozenset({"repetition_penalty"})


@pytest.mark.parametrize(
    ("request_fields", "feature"),
    [
        ({"response_format": {"type": "grammar", "bnf": {"root": "x"}}}, "a grammar response_format"),
        ({"sampling_params": {"strategy": {"type": "top_k", "top_k": 3}}}, "the top_k sampling strategy"),
    ],
)
async def test_an_engine_without_an_extra_body_option_refuses_before_it_is_called(
    request_fields: dict[str, Any], feature: str
) -> None:
    engine = PlainOpenAIEngine()
    with pytest.raises(NotSupportedError, match=f"PlainOpenAIEngine cannot honour {feature}"):
        await native_chat(engine, **request_fields)
    assert engine.calls == []
    engine.answer = chat_completion({"content": "ok"})
    await native_chat(engine, sampling_params={"repetition_penalty": 1.1})
    assert engine.sent["extra_body"] == {"repetition_penalty": 1.1}


async def test_logprobs_are_asked_for_and_returned_per_token() -> None:
    logprobs = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.1,
                "top_logprobs": [{"token": "Hi", "logprob": -0.1}, {"token": "Yo", "logprob": -2.5}],
            },
            {"token": "!", "logprob": -0.3, "top_logprobs": []},
        ]
    }
    engine = RecordingEngine(chat_completion({"content": "Hi!"}))
    engine.answer.choices[0].logprobs = (
        OpenAIChatCompletion.model_validate(
            {
                "id": "x",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "message": {}, "finish_reason": "stop", "logprobs": logprobs}],
            }
        )
        .choices[0]
        .logprobs
    )
    response = await native_chat(engine, logprobs={"top_k": 2})
    assert (engine.sent["logprobs"], engine.sent["top_logprobs"]) == (True, 2)
    assert [lp.logprobs_by_token for lp in response.logprobs] == [{"Hi": -0.1, "Yo": -2.5}, {"!": -0.3}]


# --- responses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [
        ("stop", "end_of_turn"),
        ("length", "out_of_tokens"),
        ("tool_calls", "end_of_message"),
        ("content_filter", "end_of_turn"),
    ],
)
async def test_finish_reasons_become_stop_reasons(finish_reason: str, stop_reason: str) -> None:
    response = await native_chat(RecordingEngine(chat_completion({"content": "ok"}, finish_reason)))
    assert response.completion_message.stop_reason == stop_reason


async def test_a_whole_answer_with_tool_calls_and_usage() -> None:
    engine = RecordingEngine(
        chat_completion(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "brave_search", "arguments": "{oops"},
                    },
                    {"id": "call_3", "type": "function", "function": {"name": "now", "arguments": ""}},
                ],
            },
            finish_reason="tool_calls",
        )
    )
    response = await native_chat(engine, tools=[WEATHER_TOOL])
    assert isinstance(response, ChatCompletionResponse)
    message = response.completion_message
    assert (message.content, message.stop_reason) == ("", "end_of_message")
    first, second, third = message.tool_calls
    assert (first.call_id, first.tool_name, first.arguments, first.arguments_json) == (
        "call_1",
        "get_weather",
        {"city": "Paris"},
        '{"city": "Paris"}',
    )
    assert (second.tool_name, second.arguments, second.arguments_json) == ("brave_search", "{oops", None)
    assert second.tool_name == "brave_search" and type(second.tool_name).__name__ == "BuiltinTool"
    assert third.arguments == {}
    assert [(m.metric, m.value, m.unit) for m in response.metrics] == [
        ("prompt_tokens", 7, "tokens"),
        ("completion_tokens", 3, "tokens"),
        ("total_tokens", 10, "tokens"),
    ]


async def test_an_answer_without_choices_is_a_provider_error() -> None:
    empty = OpenAIChatCompletion(id="x", created=1, model="m", choices=[])
    with pytest.raises(ProviderError, match="without any choice"):
        await native_chat(RecordingEngine(empty))


# --- streams -----------------------------------------------------------------------------------

# two tool calls, each split across chunks, the second starting before the first is finished
TOOL_CALL_CHUNKS = [
    chunk({"role": "assistant", "content": "Let me check. "}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Pa'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]}),
    chunk(
        {
            "tool_calls": [
                {"index": 1, "id": "call_b", "function": {"name": "get_weather", "arguments": '{"city":'}}
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 1, "function": {"arguments": ' "Rome"}'}}]}),
    chunk({}, finish_reason="tool_calls"),
    usage_chunk(),
]


def describe(events: list[ChatCompletionResponseStreamChunk]) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for e in events:
        delta = e.event.delta
        if isinstance(delta, ToolCallDelta):
            call = delta.tool_call
            shown = (call.call_id, call.arguments) if isinstance(call, ToolCall) else call
            out.append((e.event.event_type, f"tool:{delta.parse_status}", shown))
        else:
            out.append((e.event.event_type, delta.type, getattr(delta, "text", None)))
    return out


async def test_a_stream_of_text_and_split_tool_call_deltas() -> None:
    engine = RecordingEngine(TOOL_CALL_CHUNKS)
    stream = await native_chat(engine, tools=[WEATHER_TOOL], stream=True)
    events = await events_of(stream)
    assert describe(events) == [
        ("start", "text", ""),
        ("progress", "text", "Let me check. "),
        ("progress", "tool:started", "get_weather"),
        ("progress", "tool:in_progress", '{"ci'),
        ("progress", "tool:in_progress", 'ty": "Pa'),
        ("progress", "tool:in_progress", 'ris"}'),
        ("progress", "tool:succeeded", ("call_a", {"city": "Paris"})),
        ("progress", "tool:started", "get_weather"),
        ("progress", "tool:in_progress", '{"city":'),
        ("progress", "tool:in_progress", ' "Rome"}'),
        ("progress", "tool:succeeded", ("call_b", {"city": "Rome"})),
        ("complete", "text", ""),
    ]
    done = events[-1]
    assert done.event.stop_reason == "end_of_message"
    assert {m.metric: m.value for m in done.metrics or []} == {
        "prompt_tokens": 7,
        "completion_tokens": 3,
        "total_tokens": 10,
    }
    assert events[6].event.delta.tool_call.arguments_json == '{"city": "Paris"}'
    assert engine.sent["stream"] is True
    assert engine.sent["stream_options"] == {"include_usage": True}
    assert engine.stream_closed


async def test_a_streamed_tool_call_with_broken_arguments_fails_but_keeps_its_text() -> None:
    chunks = [
        chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{not"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": " json"}}]}, finish_reason="stop"),
    ]
    events = await events_of(await native_chat(RecordingEngine(chunks), stream=True))
    final_call = events[-2].event.delta
    assert isinstance(final_call, ToolCallDelta) and final_call.parse_status == "failed"
    assert isinstance(final_call.tool_call, ToolCall) and final_call.tool_call.arguments == "{not json"
    # the engine said "stop", but an answer with a tool call waits for its result
    assert events[-1].event.stop_reason == "end_of_message"
    assert events[-1].metrics is None  # no usage chunk, no metrics


async def test_a_text_stream_with_logprobs_ends_with_the_stop_reason() -> None:
    logprobs = {"content": [{"token": "Hi", "logprob": -0.5, "top_logprobs": []}]}
    chunks = [chunk({"content": "Hi"}, logprobs=logprobs), chunk({"content": " there"}), chunk({}, "length")]
    events = await events_of(await native_chat(RecordingEngine(chunks), stream=True))
    assert "".join(e.event.delta.text for e in events if e.event.delta.type == "text") == "Hi there"
    assert events[1].event.logprobs[0].logprobs_by_token == {"Hi": -0.5}
    assert events[-1].event.stop_reason == "out_of_tokens"


async def test_closing_the_native_stream_closes_the_engine_stream() -> None:
    engine = RecordingEngine(TOOL_CALL_CHUNKS)
    stream = await native_chat(engine, stream=True)
    assert (await anext(stream)).event.event_type == "start"
    assert (await anext(stream)).event.event_type == "progress"
    await stream.aclose()
    assert engine.stream_closed


async def test_an_engine_that_answers_a_stream_request_whole_is_told_as_a_stream() -> None:
    whole = chat_completion(
        {
            "content": "ok",
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        }
    )
    events = await events_of(await native_chat(RecordingEngine(whole), stream=True))
    assert [d[:2] for d in describe(events)] == [
        ("start", "text"),
        ("progress", "text"),
        ("progress", "tool:succeeded"),
        ("complete", "text"),
    ]
    assert events[-1].event.stop_reason == "end_of_message"
    assert events[-1].metrics is not None


async def test_an_engine_that_streams_unasked_is_collected_into_one_answer() -> None:
    response = await native_chat(RecordingEngine(TOOL_CALL_CHUNKS), tools=[WEATHER_TOOL])
    assert isinstance(response, ChatCompletionResponse)
    message = response.completion_message
    assert message.content == "Let me check. "
    assert [(c.call_id, c.arguments) for c in message.tool_calls] == [
        ("call_a", {"city": "Paris"}),
        ("call_b", {"city": "Rome"}),
    ]
    assert message.stop_reason == "end_of_message"
    assert response.metrics is not None


# --- text completion ---------------------------------------------------------------------------


async def test_completion_request_and_answer() -> None:
    answer = text_completion(
        " world",
        "length",
        logprobs={
            "tokens": [" world"],
            "token_logprobs": [-0.2],
            "top_logprobs": [{" world": -0.2, " there": -1.9}],
        },
    )
    answer.usage = OpenAIChatCompletion.model_validate(
        {"id": "x", "created": 1, "model": "m", "choices": [], "usage": USAGE}
    ).usage
    engine = RecordingEngine(answer)
    response = await engine.completion(
        model_id="m",
        content=[{"type": "text", "text": "hello"}],
        sampling_params={"strategy": {"type": "top_p", "temperature": 0.5}, "max_tokens": 4},
        response_format={"type": "json_schema", "json_schema": {"type": "object"}},
        logprobs={"top_k": 2},
    )
    sent = engine.calls[-1]
    assert (sent["prompt"], sent["temperature"], sent["top_p"], sent["max_tokens"], sent["logprobs"]) == (
        "hello",
        0.5,
        0.95,
        4,
        2,
    )
    assert sent["extra_body"] == {"guided_json": {"type": "object"}}
    assert isinstance(response, CompletionResponse)
    assert (response.content, response.stop_reason) == (" world", "out_of_tokens")
    assert response.logprobs[0].logprobs_by_token == {" world": -0.2, " there": -1.9}
    assert response.metrics[2].value == 10


async def test_completion_stream_ends_with_an_empty_chunk_carrying_the_stop_reason() -> None:
    engine = RecordingEngine(
        [text_completion("Once", None), text_completion(" upon", None), text_completion("", "stop")]
    )
    stream = await engine.completion(model_id="m", content="Tell", stream=True)
    chunks: list[CompletionResponseStreamChunk] = [c async for c in stream]
    assert [(c.delta, c.stop_reason) for c in chunks] == [
        ("Once", None),
        (" upon", None),
        ("", "end_of_turn"),
    ]
    assert engine.calls[-1]["stream_options"].include_usage is True
    assert engine.stream_closed
    whole = await RecordingEngine([text_completion("a", None), text_completion("b", "length")]).completion(
        model_id="m", content="x"
    )
    assert (whole.content, whole.stop_reason) == ("ab", "out_of_tokens")


async def test_completion_of_an_image_is_not_supported() -> None:
    with pytest.raises(NotSupportedError, match="content holds an image"):
        await RecordingEngine().completion(
            model_id="m", content={"type": "image", "image": {"data": PNG_B64}}
        )


# --- embeddings --------------------------------------------------------------------------------


def embeddings_response(vectors: list[list[float]], *, as_base64: bool = False) -> OpenAIEmbeddingsResponse:
    data = [
        {
            "index": i,
            "embedding": base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if as_base64 else v,
        }
        for i, v in enumerate(vectors)
    ]
    data.reverse()  # engines may answer out of order; index says where each goes
    return OpenAIEmbeddingsResponse.model_validate(
        {"data": data, "model": "m", "usage": {"prompt_tokens": 2, "total_tokens": 2}}
    )


@pytest.mark.parametrize("as_base64", [False, True])
async def test_embeddings_go_through_openai_embeddings(as_base64: bool) -> None:
    engine = RecordingEngine(embeddings=embeddings_response([[0.5, 0.25], [1.0, -2.0]], as_base64=as_base64))
    response = await engine.embeddings(
        model_id="m",
        contents=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        output_dimension=2,
        task_type="query",
    )
    assert response.embeddings == [[0.5, 0.25], [1.0, -2.0]]
    assert {k: engine.calls[-1][k] for k in ("input", "encoding_format", "dimensions")} == {
        "input": ["a", "b"],
        "encoding_format": "float",
        "dimensions": 2,
    }


async def test_embeddings_refuse_what_they_cannot_embed() -> None:
    engine = RecordingEngine(embeddings=embeddings_response([[1.0]]))
    with pytest.raises(NotSupportedError, match=r"contents\[0\] holds an image"):
        await engine.embeddings(model_id="m", contents=[{"type": "image", "image": {"data": PNG_B64}}])
    with pytest.raises(InvalidRequestError, match="at least one"):
        await engine.embeddings(model_id="m", contents=[])
    with pytest.raises(InvalidRequestError, match="output_dimension"):
        await engine.embeddings(model_id="m", contents=["a"], output_dimension=0)
    with pytest.raises(ProviderError, match="1 embeddings for 2 inputs"):
        await engine.embeddings(model_id="m", contents=["a", "b"])


async def test_typed_arguments_work_as_well_as_dicts() -> None:
    from llama_stack_api.inference import SamplingParams, ToolDefinition, UserMessage

    engine = RecordingEngine(chat_completion({"content": "ok"}))
    response = await engine.chat_completion(
        model_id="m",
        messages=[UserMessage(content="hi")],
        sampling_params=SamplingParams(max_tokens=3),
        tools=[ToolDefinition(tool_name="f")],
    )
    assert response.completion_message.content == "ok"
    assert engine.sent["max_tokens"] == 3
    assert json.loads(json.dumps(engine.sent["tools"]))[0]["function"]["parameters"] == {
        "type": "object",
        "properties": {},
    }
