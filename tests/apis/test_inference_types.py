"""Inference types: how requests are told apart and refused, and how responses parse as the clients' types."""

from __future__ import annotations

from typing import Any

import openai.types as oai
import pytest
from llama_stack_client.types.shared.chat_completion_response import (
    ChatCompletionResponse as LscChatCompletionResponse,
)
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter, ValidationError

from llama_stack_api import inference as inf

# --- requests --------------------------------------------------------------------------------

MESSAGES = TypeAdapter(list[inf.Message])
OPENAI_MESSAGES = TypeAdapter(list[inf.OpenAIMessageParam])


def test_native_messages_are_told_apart_by_role() -> None:
    parsed = MESSAGES.validate_python(
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}], "context": "doc"},
            {"role": "assistant", "content": "", "stop_reason": "end_of_message", "tool_calls": []},
            {"role": "tool", "call_id": "c1", "content": {"type": "text", "text": "42"}},
        ]
    )
    assert [type(m) for m in parsed] == [
        inf.SystemMessage,
        inf.UserMessage,
        inf.CompletionMessage,
        inf.ToolResponseMessage,
    ]
    assert parsed[2].stop_reason is inf.StopReason.end_of_message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "robot", "content": "x"},
        {"role": "user", "content": "x", "name": "typo-field"},  # native types refuse unknown fields
        {"role": "tool", "content": "x", "tool_call_id": "c1"},  # OpenAI spelling, not native
        {"role": "assistant", "content": "x"},  # stop_reason is required
        {"role": "user", "content": {"type": "image", "image": {}}},  # neither url nor data
        {"role": "user", "content": {"type": "image", "image": {"data": "AA==", "url": {"uri": "x"}}}},
    ],
)
def test_native_messages_refuse_bad_shapes(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MESSAGES.validate_python([bad])


def test_builtin_tool_names_become_enum_members_and_others_stay_strings() -> None:
    builtin = inf.ToolCall(call_id="1", tool_name="brave_search", arguments={"query": "x"})
    custom = inf.ToolCall(call_id="2", tool_name="get_weather", arguments="{not json")
    assert builtin.tool_name is inf.BuiltinTool.brave_search
    assert type(custom.tool_name) is str and custom.arguments == "{not json"
    assert inf.ToolDefinition(tool_name="code_interpreter").tool_name is inf.BuiltinTool.code_interpreter
    assert inf.ToolConfig(tool_choice="required").tool_choice is inf.ToolChoice.required
    assert inf.ToolConfig(tool_choice="get_weather").tool_choice == "get_weather"


def test_sampling_strategy_is_picked_by_type() -> None:
    params = inf.SamplingParams.model_validate({"strategy": {"type": "top_k", "top_k": 5}, "max_tokens": 9})
    assert isinstance(params.strategy, inf.TopKSamplingStrategy) and params.strategy.top_k == 5
    assert isinstance(inf.SamplingParams().strategy, inf.GreedySamplingStrategy)
    with pytest.raises(ValidationError):
        inf.SamplingParams.model_validate({"strategy": {"type": "top_p", "top_p": 1.5}})


def test_openai_messages_of_every_role() -> None:
    parsed = OPENAI_MESSAGES.validate_python(
        [
            {"role": "developer", "content": [{"type": "text", "text": "rules"}]},
            {"role": "system", "content": "sys", "name": "s"},
            {"role": "user", "content": [{"type": "file", "file": {"file_id": "f1"}}]},
            {"role": "assistant", "content": None, "refusal": "no", "function_call": None},
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
            {"role": "function", "name": "f", "content": None},
        ]
    )
    assert [m.role for m in parsed] == ["developer", "system", "user", "assistant", "tool", "function"]
    with pytest.raises(ValidationError):
        OPENAI_MESSAGES.validate_python([{"role": "tool", "content": "42"}])  # tool_call_id missing


def test_openai_nested_unknown_fields_pass_through() -> None:
    part = {"type": "text", "text": "t", "prompt_cache_breakpoint": {"mode": "explicit"}}
    (message,) = OPENAI_MESSAGES.validate_python([{"role": "user", "content": [part]}])
    assert message.model_dump(exclude_none=True)["content"][0] == part


def test_json_schema_field_is_schema_on_the_wire() -> None:
    fmt = TypeAdapter(inf.OpenAIResponseFormatParam).validate_python(
        {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": True}}
    )
    assert isinstance(fmt, inf.OpenAIResponseFormatJSONSchema)
    assert fmt.json_schema.schema_ == {"type": "object"}
    assert fmt.model_dump(exclude_none=True)["json_schema"] == {
        "name": "n",
        "schema": {"type": "object"},
        "strict": True,
    }
    assert inf.OpenAIJSONSchema(name="n", schema_={}).model_dump()["schema"] == {}


def test_tool_choice_accepts_strings_and_objects() -> None:
    adapter = TypeAdapter(inf.OpenAIToolChoice)
    assert adapter.validate_python("required") == "required"
    named = adapter.validate_python({"type": "function", "function": {"name": "f"}})
    assert isinstance(named, inf.OpenAINamedToolChoice)
    allowed = adapter.validate_python(
        {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}
    )
    assert isinstance(allowed, inf.OpenAIAllowedToolsChoice)
    with pytest.raises(ValidationError):
        adapter.validate_python("sometimes")


# --- responses parse as the clients' own types -------------------------------------------------


def test_chat_completion_with_tool_calls_and_logprobs_is_an_openai_chat_completion() -> None:
    ours = inf.OpenAIChatCompletion(
        id="chatcmpl-1",
        created=1,
        model="m",
        choices=[
            inf.OpenAIChoice(
                index=0,
                finish_reason="tool_calls",
                message=inf.OpenAIChatCompletionMessage(
                    tool_calls=[
                        inf.OpenAIChatCompletionToolCall(
                            id="call_1",
                            function=inf.OpenAIChatCompletionToolCallFunction(name="f", arguments="{}"),
                        )
                    ]
                ),
                logprobs=inf.OpenAIChoiceLogprobs(
                    content=[
                        inf.OpenAITokenLogProb(
                            token="a",
                            logprob=-0.1,
                            top_logprobs=[inf.OpenAITopLogProb(token="b", logprob=-2)],
                        )
                    ]
                ),
            )
        ],
        usage=inf.OpenAIChatCompletionUsage(prompt_tokens=3, completion_tokens=2, total_tokens=5),
    )
    for dumped in (ours.model_dump(), ours.model_dump(mode="json", exclude_none=True)):
        theirs = ChatCompletion.model_validate(dumped)
        assert theirs.object == "chat.completion"
        assert theirs.choices[0].message.tool_calls[0].function.name == "f"  # type: ignore[index, union-attr]
        assert theirs.choices[0].logprobs.content[0].top_logprobs[0].token == "b"  # type: ignore[index, union-attr]
        assert theirs.usage is not None and theirs.usage.total_tokens == 5


def test_openai_chunks_with_tool_call_deltas_and_usage_parse_as_ours() -> None:
    chunks = [
        ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "role": "assistant",
                            "tool_calls": [
                                {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
                            ],
                        },
                    }
                ],
            }
        ),
        ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1}'}}]},
                        "finish_reason": "tool_calls",
                    }
                ],
            }
        ),
        ChatCompletionChunk.model_validate(
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            }
        ),
    ]
    ours = [inf.OpenAIChatCompletionChunk.model_validate(c.model_dump()) for c in chunks]
    first, second, last = ours
    assert first.choices[0].delta.tool_calls[0].function.name == "f"  # type: ignore[index, union-attr]
    assert second.choices[0].delta.tool_calls[0].function.arguments == '{"a": 1}'  # type: ignore[index, union-attr]
    assert second.choices[0].finish_reason == "tool_calls"
    assert last.choices == [] and last.usage is not None and last.usage.total_tokens == 3
    for mine, theirs in zip(ours, chunks, strict=True):
        assert ChatCompletionChunk.model_validate(mine.model_dump()) == theirs


def test_completion_and_embeddings_are_openai_objects() -> None:
    completion = inf.OpenAICompletion(
        id="cmpl-1",
        created=1,
        model="m",
        choices=[
            inf.OpenAICompletionChoice(
                index=0,
                text="hi",
                finish_reason="stop",
                logprobs=inf.OpenAICompletionLogprobs(
                    tokens=["hi"], token_logprobs=[-0.5], top_logprobs=[{"hi": -0.5}]
                ),
            )
        ],
    )
    assert oai.Completion.model_validate(completion.model_dump()).choices[0].logprobs.tokens == ["hi"]  # type: ignore[union-attr]
    embeddings = inf.OpenAIEmbeddingsResponse(
        data=[inf.OpenAIEmbeddingData(embedding=[0.5, 1.0], index=0)],
        model="e",
        usage=inf.OpenAIEmbeddingUsage(prompt_tokens=1, total_tokens=1),
    )
    theirs = oai.CreateEmbeddingResponse.model_validate(embeddings.model_dump())
    assert theirs.object == "list" and theirs.data[0].object == "embedding"


def test_native_chat_response_is_a_llama_stack_client_response() -> None:
    ours = inf.ChatCompletionResponse(
        completion_message=inf.CompletionMessage(
            content=[inf.TextContentItem(text="calling")],
            stop_reason=inf.StopReason.end_of_message,
            tool_calls=[inf.ToolCall(call_id="c", tool_name="brave_search", arguments={"q": "x"})],
        ),
        logprobs=[inf.TokenLogProbs(logprobs_by_token={"a": -0.1})],
        metrics=[inf.Metric(metric="prompt_tokens", value=3, unit="tokens")],
    )
    for dumped in (ours.model_dump(), ours.model_dump(mode="json")):
        theirs = LscChatCompletionResponse.model_validate(dumped)
        assert theirs.completion_message.stop_reason == "end_of_message"
        assert theirs.completion_message.tool_calls[0].tool_name == "brave_search"  # type: ignore[index]
        assert theirs.metrics is not None and theirs.metrics[0].value == 3
