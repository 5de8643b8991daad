"""The scripted fake LLM itself: each move, move selection, placeholders, streaming, and a real server."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openai import OpenAI
from pydantic import TypeAdapter

from llama_stack_api import InvalidRequestError, NotSupportedError, ProviderError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionTool,
    OpenAIMessageParam,
    OpenAIResponseFormatParam,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from tests.fakes.scripted_inference import ScriptedInference, ScriptedInferenceConfig, script
from tests.support.server import ServeStack

MODEL = "scripted-llm"
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
PARALLEL = {
    "call": [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_time", "arguments": {"tz": "Europe/Paris"}},
    ],
    "say": "Looking it up.",
}


@pytest.fixture
def model() -> ScriptedInference:
    return ScriptedInference(ScriptedInferenceConfig())


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant_calls(*ids: str) -> dict[str, Any]:
    calls = [{"id": i, "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in ids]
    return {"role": "assistant", "content": None, "tool_calls": calls}


def tool(call_id: str, content: Any) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


_WIRE = {
    "messages": TypeAdapter(list[OpenAIMessageParam]),
    "tools": TypeAdapter(list[OpenAIChatCompletionTool]),
    "tool_choice": TypeAdapter(OpenAIToolChoice),
    "response_format": TypeAdapter(OpenAIResponseFormatParam),
    "stream_options": TypeAdapter(OpenAIStreamOptions),
}


def typed(**params: Any) -> dict[str, Any]:
    """The arguments as the HTTP layer hands them to a provider: wire types, not dicts."""
    return {k: _WIRE[k].validate_python(v) if k in _WIRE and v is not None else v for k, v in params.items()}


async def complete(model: ScriptedInference, messages: list[dict[str, Any]], **params: Any) -> Any:
    result = await model.openai_chat_completion(model=MODEL, **typed(messages=messages, **params))
    assert isinstance(result, OpenAIChatCompletion)
    return result.choices[0]


async def collect(model: ScriptedInference, messages: list[dict[str, Any]], **params: Any) -> list[Any]:
    stream = await model.openai_chat_completion(
        model=MODEL, stream=True, **typed(messages=messages, **params)
    )
    assert isinstance(stream, AsyncIterator)
    return [chunk async for chunk in stream]


async def test_without_a_script_it_echoes(model: ScriptedInference) -> None:
    choice = await complete(model, [user("hello there")])
    assert (choice.message.content, choice.finish_reason) == ("echo: hello there", "stop")
    assert model.log[0]["step"] is None and model.log[0]["move"] is None
    inline = await complete(model, [user("a " + script({"say": "no"}))])  # SCRIPT: must start a line
    assert inline.message.content.startswith("echo: a SCRIPT:")


async def test_say_substitutes_last_user_and_system(model: ScriptedInference) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        user("What is up?\n" + script({"say": "[{system}] you said: {last_user} {not_a_placeholder}"})),
    ]
    choice = await complete(model, messages)
    # the SCRIPT line is left out of {last_user}; unknown braces are left alone
    assert choice.message.content == "[be brief] you said: What is up? {not_a_placeholder}"
    assert choice.message.tool_calls is None


async def test_parallel_calls_with_text(model: ScriptedInference) -> None:
    choice = await complete(model, [user(script(PARALLEL))], tools=[WEATHER, TIME])
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Looking it up."
    calls = choice.message.tool_calls
    assert [(c.id, c.type, c.function.name) for c in calls] == [
        ("call_0_0", "function", "get_weather"),
        ("call_0_1", "function", "get_time"),
    ]
    assert json.loads(calls[0].function.arguments) == {"city": "Paris"}
    assert model.log[0]["unknown_tools"] == []
    assert model.log[0]["tools"] == ["get_weather", "get_time"]


async def test_a_tool_that_was_not_offered_is_still_called_and_recorded(model: ScriptedInference) -> None:
    move = {"call": [{"name": "rm_rf", "arguments": "{not json"}]}
    choice = await complete(model, [user(script(move))], tools=[WEATHER])
    assert choice.message.tool_calls[0].function.name == "rm_rf"
    assert choice.message.tool_calls[0].function.arguments == "{not json"  # strings are sent verbatim
    assert model.log[0]["unknown_tools"] == ["rm_rf"]


async def test_moves_follow_the_assistant_count_and_the_last_repeats(model: ScriptedInference) -> None:
    first = user("Weather?\n" + script({"call": [{"name": "get_weather"}]}, {"say": "got {tool_results}"}))
    history: list[dict[str, Any]] = [{"role": "system", "content": "sys"}, first]
    assert (await complete(model, history)).message.tool_calls[0].id == "call_0_0"
    history += [
        assistant_calls("call_0_0", "call_0_1"),
        tool("call_0_0", "sunny"),
        tool("call_0_1", [{"type": "text", "text": "12:00"}]),
    ]
    assert (await complete(model, history)).message.content == "got sunny | 12:00"
    # past the end the last move repeats; {tool_results} only counts tools after the last assistant
    history += [{"role": "assistant", "content": "got sunny | 12:00"}, user("again")]
    assert (await complete(model, history)).message.content == "got "
    assert [e["step"] for e in model.log] == [0, 1, 2]
    assert [e["move"] for e in model.log] == [0, 1, 1]


async def test_only_the_first_script_counts_and_assistants_before_it_do_not(model: ScriptedInference) -> None:
    messages = [
        user("no script yet"),
        {"role": "assistant", "content": "echo: no script yet"},
        user(script({"say": "one"}, {"say": "two"})),
        {"role": "assistant", "content": "one"},
        user(script({"say": "ignored"})),
    ]
    assert (await complete(model, messages)).message.content == "two"


async def test_repeating_calls_get_fresh_ids(model: ScriptedInference) -> None:
    history = [user(script({"call": [{"name": "loop"}]}))]
    for step in range(3):
        choice = await complete(model, history)
        call_id = choice.message.tool_calls[0].id
        assert call_id == f"call_{step}_0"
        history += [assistant_calls(call_id), tool(call_id, "again")]


async def test_placeholders_in_call_arguments(model: ScriptedInference) -> None:
    move = {"call": [{"name": "search", "arguments": {"q": "{last_user}", "n": 3}}]}
    choice = await complete(model, [user('cats "and" dogs\n' + script(move))])
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"q": 'cats "and" dogs', "n": 3}


async def test_json_move_and_response_format_is_recorded(model: ScriptedInference) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}}
    choice = await complete(model, [user(script({"json": {"temp": 21, "unit": "C"}}))], response_format=fmt)
    assert json.loads(choice.message.content) == {"temp": 21, "unit": "C"}
    assert model.log[0]["response_format"]["json_schema"]["schema"] == {"type": "object"}


async def test_fail_move_raises_provider_error(model: ScriptedInference) -> None:
    with pytest.raises(ProviderError, match="engine exploded"):
        await complete(model, [user(script({"fail": "engine exploded"}))])
    with pytest.raises(ProviderError, match="engine exploded"):  # before any chunk when streaming
        await collect(model, [user(script({"fail": "engine exploded"}))])
    assert model.log[0]["error"] == "engine exploded"


async def test_tool_choice_none_forbids_calls(model: ScriptedInference) -> None:
    choice = await complete(model, [user(script(PARALLEL))], tools=[WEATHER], tool_choice="none")
    assert (choice.message.content, choice.message.tool_calls, choice.finish_reason) == (
        "Looking it up.",
        None,
        "stop",
    )
    bare = await complete(model, [user(script({"call": [{"name": "f"}]}))], tool_choice="none")
    assert bare.message.content == "(no tools)"
    assert model.log[0]["tool_choice"] == "none"


async def test_delay(model: ScriptedInference) -> None:
    start = time.monotonic()
    await complete(model, [user(script({"say": "slow", "delay_s": 0.05}))])
    assert time.monotonic() - start >= 0.05
    start = time.monotonic()
    chunks = await collect(model, [user(script({"say": "a b c", "delay_s": 0.02}))])
    assert time.monotonic() - start >= 0.02 * 3 and len(chunks) == 4


async def test_stream_reassembles_text_and_parallel_calls(model: ScriptedInference) -> None:
    chunks = await collect(model, [user(script(PARALLEL))], stream_options={"include_usage": True})
    assert all(isinstance(c, OpenAIChatCompletionChunk) for c in chunks)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert deltas[0].role == "assistant"
    assert [d.content for d in deltas if d.content] == ["Looking", " it", " up."]
    pieces = [call for d in deltas for call in d.tool_calls or []]
    for index, (name, args) in enumerate(
        [("get_weather", {"city": "Paris"}), ("get_time", {"tz": "Europe/Paris"})]
    ):
        mine = [p for p in pieces if p.index == index]
        head, rest = mine[0], mine[1:]
        assert (head.id, head.type, head.function.name, head.function.arguments) == (
            f"call_0_{index}",
            "function",
            name,
            "",
        )
        assert len(rest) >= 2 and all(p.id is None and p.function.name is None for p in rest)
        assert json.loads("".join(p.function.arguments for p in rest)) == args
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert model.log[0]["stream"] is True


async def test_stream_without_usage_ends_with_the_finish_chunk(model: ScriptedInference) -> None:
    chunks = await collect(model, [user("hi")])
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "echo: hi"
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].usage is None


async def test_bad_scripts_name_every_problem(model: ScriptedInference) -> None:
    with pytest.raises(InvalidRequestError) as bad:
        await complete(
            model,
            [
                user(
                    script(
                        {"sya": "typo"}, {"json": 1, "fail": "x"}, {"call": []}, {"say": "x", "delay_s": -1}
                    )
                )
            ],
        )
    message = bad.value.message
    assert "move 0: unknown key 'sya'" in message and "move 1: holds ['json', 'fail']" in message
    assert "move 2: call must be a non-empty list" in message and "move 3: delay_s" in message
    with pytest.raises(InvalidRequestError, match="not valid JSON"):
        await complete(model, [user("SCRIPT: [{oops}]")])


async def test_log_records_what_was_sent(model: ScriptedInference) -> None:
    messages = [user(script({"say": "ok"})), assistant_calls("call_x"), tool("call_x", "result")]
    await complete(
        model,
        messages,
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    entry = model.log[0]
    assert [m["role"] for m in entry["messages"]] == ["user", "assistant", "tool"]
    assert entry["messages"][2] == {"role": "tool", "tool_call_id": "call_x", "content": "result"}
    assert entry["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert (entry["stream"], entry["content"], entry["tool_calls"], entry["finish_reason"]) == (
        False,
        "ok",
        [],
        "stop",
    )


async def test_native_chat_completion_gets_the_calls(model: ScriptedInference) -> None:
    response = await model.chat_completion(
        model_id=MODEL,
        messages=[user(script({"call": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}))],
        tools=[{"tool_name": "get_weather", "description": "weather"}],
    )
    (call,) = response.completion_message.tool_calls
    assert (call.call_id, call.tool_name, call.arguments) == ("call_0_0", "get_weather", {"city": "Oslo"})
    assert model.log[0]["tools"] == ["get_weather"]


async def test_only_chat_is_supported(model: ScriptedInference) -> None:
    with pytest.raises(NotSupportedError):
        await model.openai_completion(model=MODEL, prompt="x")
    with pytest.raises(NotSupportedError):
        await model.openai_embeddings(model=MODEL, input="x")


SCRIPTED_DISTRIBUTION = """\
version: 2
name: scripted
apis: [inference, models]
providers:
  inference:
    - provider_id: scripted
      provider_type: inline::scripted
      config: {}
"""


def test_openai_sdk_round_trip(serve_stack: ServeStack) -> None:
    server = serve_stack(SCRIPTED_DISTRIBUTION)
    moves = script(PARALLEL, {"say": "Paris: {tool_results}"})
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as client:
        first = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": moves}], tools=[WEATHER, TIME]
        )
        message = first.choices[0].message
        assert first.choices[0].finish_reason == "tool_calls"
        assert [c.function.name for c in message.tool_calls] == ["get_weather", "get_time"]
        history: list[Any] = [
            {"role": "user", "content": moves},
            message.model_dump(exclude_none=True),
            *(
                {"role": "tool", "tool_call_id": c.id, "content": f"result of {c.id}"}
                for c in message.tool_calls
            ),
        ]
        stream = client.chat.completions.create(
            model=MODEL, messages=history, tools=[WEATHER, TIME], stream=True
        )
        with stream:
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == "Paris: result of call_0_0 | result of call_0_1"
        # the first turn again, streamed: the SDK sees the calls arrive in pieces
        streamed = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": moves}], tools=[WEATHER], stream=True
        )
        with streamed:
            pieces = [call for c in streamed if c.choices for call in c.choices[0].delta.tool_calls or []]
        arguments = "".join(p.function.arguments or "" for p in pieces if p.index == 1)
        assert json.loads(arguments) == {"tz": "Europe/Paris"}
    log = server.provider("scripted").log
    assert [(e["stream"], e["step"]) for e in log] == [(False, 0), (True, 1), (True, 0)]
    assert log[1]["messages"][2]["content"] == "result of call_0_0"
    assert log[2]["unknown_tools"] == ["get_time"]
