"""meta-reference's request handling, with a scripted engine in place of torch (tests/fakes/meta_reference.py).

Covers what happens between the OpenAI request and the engine's token stream:
validation, finish reasons, stop strings (and freeing the engine slot), usage,
logprobs, tool calls, ``n``, streaming chunks, text completions, the native
routes through the mixin.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llama_stack_api import InvalidRequestError, NotFoundError, NotSupportedError, ProviderError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionFunctionTool,
    OpenAICompletion,
    OpenAIFunctionDefinition,
    OpenAIResponseFormatJSONObject,
    OpenAIStreamOptions,
    OpenAIUserMessageParam,
)
from llama_stack_providers.inline.inference.meta_reference.config import MetaReferenceInferenceConfig
from llama_stack_providers.inline.inference.meta_reference.provider import MetaReferenceInference
from tests.fakes.meta_reference import ScriptedEngine, llama3_served_model

QUESTION = [OpenAIUserMessageParam(content="What is the capital of France?")]
WEATHER_TOOL = OpenAIChatCompletionFunctionTool(
    function=OpenAIFunctionDefinition(
        name="get_weather",
        description="Current weather",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
)


def provider_with(
    scripts: list[str | list[int]], **kwargs: Any
) -> tuple[MetaReferenceInference, ScriptedEngine]:
    served, engine = llama3_served_model(scripts, **kwargs)
    return MetaReferenceInference(MetaReferenceInferenceConfig(), preloaded=[served]), engine


async def chat(provider: MetaReferenceInference, **params: Any) -> OpenAIChatCompletion:
    result = await provider.openai_chat_completion(model="tiny-llama3", **{"messages": QUESTION, **params})
    assert isinstance(result, OpenAIChatCompletion)
    return result


async def chat_chunks(provider: MetaReferenceInference, **params: Any) -> list[OpenAIChatCompletionChunk]:
    stream = await provider.openai_chat_completion(
        model="tiny-llama3", stream=True, **{"messages": QUESTION, **params}
    )
    assert isinstance(stream, AsyncIterator)
    return [chunk async for chunk in stream]


def content_of(chunks: list[OpenAIChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# --- answers -------------------------------------------------------------------------------------


async def test_answer_finish_reason_and_usage() -> None:
    provider, engine = provider_with(["The capital of France is Paris."])
    result = await chat(provider, temperature=0)
    choice = result.choices[0]
    assert choice.message.content == "The capital of France is Paris."
    assert choice.finish_reason == "stop" and choice.logprobs is None
    assert result.usage is not None
    assert result.usage.prompt_tokens == len(engine.calls[0].prompt_ids)
    assert result.usage.completion_tokens == 8  # 7 text tokens and <|eot_id|>
    assert engine.calls[0].options.temperature == 0 and engine.calls[0].options.top_k == 0
    assert engine.calls[0].stop_token_ids == [128009, 128008, 128001]


async def test_stream_chunks_and_usage() -> None:
    provider, _ = provider_with(["Paris, of course. 😀 ünïcode"])
    chunks = await chat_chunks(provider, stream_options=OpenAIStreamOptions(include_usage=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert content_of(chunks) == "Paris, of course. 😀 ünïcode"
    assert all("\ufffd" not in (c.choices[0].delta.content or "") for c in chunks if c.choices)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    )
    assert len({c.id for c in chunks}) == 1


async def test_max_tokens_ends_with_length() -> None:
    provider, engine = provider_with(["one two three four five six"])
    result = await chat(provider, max_tokens=3)
    assert result.choices[0].finish_reason == "length"
    assert result.usage is not None and result.usage.completion_tokens == 3
    assert engine.calls[0].options.max_new_tokens == 3
    result = await chat(provider, max_completion_tokens=2)
    assert result.usage is not None and result.usage.completion_tokens == 2


async def test_stop_string_cuts_the_answer_and_closes_the_engine_stream() -> None:
    provider, engine = provider_with(["Paris. END of the answer that goes on and on"])
    result = await chat(provider, stop=["END"])
    assert result.choices[0].message.content == "Paris. "
    assert result.choices[0].finish_reason == "stop"
    call = engine.calls[0]
    assert call.closed and call.yielded < len(engine.tokenizer.encode(str(engine.scripts[0]))) + 1
    chunks = await chat_chunks(provider, stop="END")
    assert content_of(chunks) == "Paris. " and engine.calls[1].closed


async def test_logprobs_are_openai_shaped() -> None:
    provider, engine = provider_with(["Paris é"])
    result = await chat(provider, logprobs=True, top_logprobs=2)
    logprobs = result.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    tokens = engine.tokenizer.encode("Paris é")
    assert logprobs.content[0].token == "Paris"
    assert len(logprobs.content) == len(tokens)  # the <|eot_id|> that ended the turn is not listed
    assert b"".join(bytes(entry.bytes or []) for entry in logprobs.content) == "Paris é".encode()
    assert all(entry.logprob == -0.25 and len(entry.top_logprobs) == 2 for entry in logprobs.content)
    assert engine.calls[0].options.logprobs == 2
    chunks = await chat_chunks(provider, logprobs=True)
    streamed = [
        e for c in chunks if c.choices and c.choices[0].logprobs for e in c.choices[0].logprobs.content or []
    ]
    assert "".join(e.token for e in streamed) == "Paris é"


async def test_n_choices_with_distinct_seeds() -> None:
    provider, engine = provider_with(["Paris.", "Lyon?"])
    result = await chat(provider, n=2, seed=7, temperature=0.8)
    assert [c.message.content for c in result.choices] == ["Paris.", "Lyon?"]
    assert sorted(call.options.seed or 0 for call in engine.calls) == [7, 8]
    chunks = await chat_chunks(provider, n=2)
    assert {c.choices[0].index for c in chunks if c.choices} == {0, 1}


async def test_top_k_from_extra_body() -> None:
    provider, engine = provider_with(["Paris."])
    await chat(provider, temperature=0.7, top_p=0.9, extra_body={"top_k": 40})
    options = engine.calls[0].options
    assert (options.temperature, options.top_p, options.top_k) == (0.7, 0.9, 40)


# --- tools -----------------------------------------------------------------------------------------


async def test_python_tag_json_call_becomes_tool_calls() -> None:
    call = '<|python_tag|>{"type": "function", "name": "get_weather", "parameters": {"city": "Paris"}}'
    provider, engine = provider_with([call + "<|eom_id|>"])
    engine.end_token = None
    result = await chat(provider, tools=[WEATHER_TOOL])
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert choice.message.tool_calls is not None
    function = choice.message.tool_calls[0].function  # type: ignore[union-attr]
    assert (function.name, json.loads(function.arguments)) == ("get_weather", {"city": "Paris"})
    chunks = await chat_chunks(provider, tools=[WEATHER_TOOL])
    assert content_of(chunks) == ""
    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert deltas[0].function is not None and deltas[0].function.name == "get_weather" and deltas[0].id
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_plain_answer_with_tools_offered_still_streams() -> None:
    provider, _ = provider_with(["It is sunny in Paris today."])
    chunks = await chat_chunks(provider, tools=[WEATHER_TOOL])
    assert content_of(chunks) == "It is sunny in Paris today."
    assert (
        len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 2
    )  # not held back to the end
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_tool_choice_none_hides_tools() -> None:
    provider, engine = provider_with(['{"name": "get_weather", "parameters": {"city": "Paris"}}'])
    result = await chat(provider, tools=[WEATHER_TOOL], tool_choice="none")
    assert result.choices[0].finish_reason == "stop" and result.choices[0].message.tool_calls is None
    assert "get_weather" not in engine.tokenizer.decode(engine.calls[0].prompt_ids)


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 0}, "n"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"extra_body": {"top_k": -1}}, "top_k"),
    ],
)
async def test_out_of_range_parameters_are_400(params: dict[str, Any], param: str) -> None:
    provider, engine = provider_with(["Paris."])
    with pytest.raises(InvalidRequestError) as caught:
        await chat(provider, **params)
    assert caught.value.param == param
    assert engine.calls == []


@pytest.mark.parametrize(
    "params",
    [
        {"response_format": OpenAIResponseFormatJSONObject()},
        {"frequency_penalty": 0.5},
        {"logit_bias": {"1": 2.0}},
        {"extra_body": {"guided_json": {}}},
        {"modalities": ["text", "audio"]},
    ],
)
async def test_unsupported_options_are_501(params: dict[str, Any]) -> None:
    provider, _ = provider_with(["Paris."])
    with pytest.raises(NotSupportedError):
        await chat(provider, **params)


async def test_context_overflow_names_both_numbers() -> None:
    provider, engine = provider_with(["Paris."], max_seq_len=64)
    long_question = [OpenAIUserMessageParam(content="word " * 200)]
    with pytest.raises(InvalidRequestError) as caught:
        await provider.openai_chat_completion(model="tiny-llama3", messages=long_question, stream=True)
    prompt_tokens = len(engine.tokenizer.encode("word " * 200))
    assert "64" in caught.value.message and str(prompt_tokens + 10) in caught.value.message
    assert engine.calls == []


async def test_unknown_model_and_embeddings() -> None:
    provider, _ = provider_with(["Paris."])
    with pytest.raises(NotFoundError, match="tiny-llama3"):
        await provider.openai_chat_completion(model="nope", messages=QUESTION)
    with pytest.raises(NotSupportedError, match="inline::sentence-transformers"):
        await provider.openai_embeddings(model="tiny-llama3", input="hi")


# --- models, text completions, native routes -------------------------------------------------------


async def test_provider_models_carry_the_context_length() -> None:
    provider, _ = provider_with(["Paris."], max_seq_len=2048)
    [model] = await provider.list_provider_models()
    assert (model.identifier, model.model_type.value, model.metadata["context_length"]) == (
        "tiny-llama3",
        "llm",
        2048,
    )
    assert (await provider.check_model(model)).metadata["context_length"] == 2048
    assert (await provider.health())["status"] == "OK"


async def test_text_completion_batch_logprobs_and_echo() -> None:
    provider, engine = provider_with(["Paris", " and Lyon", " and Nice"])
    result = await provider.openai_completion(
        model="tiny-llama3", prompt=["The capital of France is", "Cities:"], n=1, logprobs=1, max_tokens=10
    )
    assert isinstance(result, OpenAICompletion)
    assert [c.text for c in result.choices] == ["Paris", " and Lyon"]
    assert engine.calls[0].prompt_ids[0] == 128000  # raw prompts start with <|begin_of_text|>
    assert result.choices[0].logprobs is not None and result.choices[0].logprobs.tokens == ["Paris"]
    assert result.usage is not None and result.usage.prompt_tokens == sum(
        len(c.prompt_ids) for c in engine.calls
    )
    echoed = await provider.openai_completion(model="tiny-llama3", prompt="Cities:", echo=True)
    assert isinstance(echoed, OpenAICompletion) and echoed.choices[0].text == "Cities: and Nice"


async def test_text_completion_stream_and_stop() -> None:
    provider, _ = provider_with(["1, 2, 3, 4, 5"])
    stream = await provider.openai_completion(
        model="tiny-llama3",
        prompt="Count:",
        stream=True,
        stop=[", 4"],
        stream_options=OpenAIStreamOptions(include_usage=True),
    )
    assert isinstance(stream, AsyncIterator)
    chunks = [c async for c in stream]
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "1, 2, 3"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None


async def test_native_chat_completion_through_the_mixin() -> None:
    provider, engine = provider_with(["Paris."])
    response = await provider.chat_completion(
        model_id="tiny-llama3",
        messages=[{"role": "user", "content": "Capital of France?"}],  # type: ignore[list-item]
    )
    assert response.completion_message.content == "Paris."  # type: ignore[union-attr]
    assert engine.calls[0].options.temperature == 0  # native default: greedy


async def test_a_client_walking_away_frees_the_engine_slot() -> None:
    provider, engine = provider_with(["one two three four five six seven eight nine ten"], delay_s=0.01)
    stream = await provider.openai_chat_completion(model="tiny-llama3", messages=QUESTION, stream=True)
    assert isinstance(stream, AsyncIterator)
    seen = [await stream.__anext__() for _ in range(3)]
    assert seen[0].choices[0].delta.role == "assistant"
    await stream.aclose()  # type: ignore[attr-defined]
    assert engine.calls[0].closed and engine.calls[0].yielded < 11


async def test_a_model_without_chat_template_only_completes() -> None:
    served, _ = llama3_served_model(["Paris"])
    served.chat_format = None
    provider = MetaReferenceInference(MetaReferenceInferenceConfig(), preloaded=[served])
    with pytest.raises(InvalidRequestError, match="no chat template"):
        await chat(provider)
    result = await provider.openai_completion(model="tiny-llama3", prompt="The capital of France is")
    assert isinstance(result, OpenAICompletion) and result.choices[0].text == "Paris"


class _BrokenEngine:
    """Fails mid-generation, as a CUDA out-of-memory or a corrupt weight would."""

    async def stream(
        self, prompt_ids: list[int], options: Any, stop_token_ids: list[int]
    ) -> AsyncIterator[Any]:
        raise RuntimeError("CUDA out of memory")
        yield  # an async generator, like the real scheduler's stream


async def test_engine_failures_are_provider_errors() -> None:
    served, _ = llama3_served_model(["Paris"])
    served.engine = _BrokenEngine()
    provider = MetaReferenceInference(MetaReferenceInferenceConfig(), preloaded=[served])
    with pytest.raises(ProviderError, match="CUDA out of memory"):
        await chat(provider)
