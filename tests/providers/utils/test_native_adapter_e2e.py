"""llama-stack-client 0.2.12's native inference calls, through a real server, to a provider that has only
the OpenAI-shaped methods and ``NativeOverOpenAIMixin``."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient
from pydantic import BaseModel

from llama_stack.plugins import PLUGINS_ENV
from llama_stack.storage import LLAMA_STACK_HOME_ENV
from llama_stack_api import Api, Model, ModelType, ProviderSpec, hookimpl
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAICompletion,
    OpenAIEmbeddingsResponse,
)
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin
from tests.support.server import ServedStack, serve_distribution

WEATHER_TOOL = {
    "tool_name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {"city": {"param_type": "string", "description": "City name"}},
}
QUESTION = [{"role": "user", "content": "Weather in Paris?"}]
ARGUMENTS = '{"city": "Paris"}'


class ToolEngineConfig(BaseModel):
    pass


class ToolEngine(NativeOverOpenAIMixin):
    """A scripted OpenAI-shaped engine: calls ``get_weather`` when offered tools, then reports the result."""

    supported_extra_body_keys = frozenset({"top_k"})
    requests: ClassVar[list[dict[str, Any]]] = []

    async def list_provider_models(self) -> list[Model]:
        return [
            Model(identifier="tool-llm", provider_id="tools"),
            Model(identifier="vec", provider_id="tools", model_type=ModelType.embedding),
        ]

    async def check_model(self, model: Model) -> Model:
        return model

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> Any:
        ToolEngine.requests.append(
            {"messages": [m.model_dump(exclude_none=True) for m in messages], **params}
        )
        last = messages[-1]
        if last.role == "tool":
            message: dict[str, Any] = {"content": f"It is {last.content} in Paris."}
            finish = "stop"
        elif params.get("tools"):
            call = {
                "id": "call_w1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": ARGUMENTS},
            }
            message, finish = {"content": None, "tool_calls": [call]}, "tool_calls"
        else:
            message, finish = {"content": "Hello there, friend."}, "stop"
        usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
        if not params.get("stream"):
            return OpenAIChatCompletion.model_validate(
                {
                    "id": "c",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                }
            )
        return self._stream(model, message, finish, usage)

    async def _stream(
        self, model: str, message: dict[str, Any], finish: str, usage: dict[str, int]
    ) -> AsyncIterator[OpenAIChatCompletionChunk]:
        deltas: list[dict[str, Any]] = [
            {"content": word} for word in _pieces(message.get("content") or "", 6)
        ]
        for call in message.get("tool_calls") or []:
            head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": "get_weather"}}
            deltas.append({"tool_calls": [head]})
            deltas += [
                {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
                for piece in _pieces(ARGUMENTS, 5)
            ]
        choices = [[{"index": 0, "delta": d}] for d in deltas] + [
            [{"index": 0, "delta": {}, "finish_reason": finish}]
        ]
        for choice in choices:
            yield OpenAIChatCompletionChunk.model_validate(
                {"id": "c", "created": 1, "model": model, "choices": choice}
            )
        yield OpenAIChatCompletionChunk.model_validate(
            {"id": "c", "created": 1, "model": model, "choices": [], "usage": usage}
        )

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> Any:
        ToolEngine.requests.append({"prompt": prompt, **params})
        choice = {"index": 0, "text": f"{prompt}... and so on", "finish_reason": "length"}
        return OpenAICompletion.model_validate({"id": "t", "created": 1, "model": model, "choices": [choice]})

    async def openai_embeddings(self, model: str, input: Any, **params: Any) -> OpenAIEmbeddingsResponse:
        texts = [input] if isinstance(input, str) else input
        data = [{"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(texts)]
        return OpenAIEmbeddingsResponse.model_validate(
            {"data": data, "model": model, "usage": {"prompt_tokens": 1, "total_tokens": 1}}
        )


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


async def create(config: ToolEngineConfig, deps: dict[Any, Any]) -> ToolEngine:
    return ToolEngine()


class ToolEnginePlugin:
    """Registers ``inline::tool-engine`` exactly as an installed plugin would."""

    @hookimpl
    def llama_stack_provider_specs(self) -> list[ProviderSpec]:
        return [
            ProviderSpec(
                api=Api.inference,
                provider_type="inline::tool-engine",
                config_class=f"{__name__}:ToolEngineConfig",
                factory=f"{__name__}:create",
            )
        ]


DISTRIBUTION = """\
version: 2
name: native-adapter-e2e
apis: [inference, models]
providers:
  inference:
    - provider_id: tools
      provider_type: inline::tool-engine
      config: {}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStack]:
    directory = tmp_path_factory.mktemp("native-adapter")
    path = directory / "distribution.yaml"
    path.write_text(DISTRIBUTION)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(LLAMA_STACK_HOME_ENV, str(Path(directory) / "home"))
        env.delenv(PLUGINS_ENV, raising=False)
        with serve_distribution(path, plugins=[ToolEnginePlugin()]) as served:
            yield served


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    ToolEngine.requests.clear()
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as sdk:
        yield sdk


def test_a_tool_call_round_trip(client: LlamaStackClient) -> None:
    first = client.inference.chat_completion(model_id="tool-llm", messages=QUESTION, tools=[WEATHER_TOOL])
    message = first.completion_message
    assert message.stop_reason == "end_of_message"
    (call,) = message.tool_calls or []
    assert (call.call_id, call.tool_name, call.arguments, call.arguments_json) == (
        "call_w1",
        "get_weather",
        {"city": "Paris"},
        ARGUMENTS,
    )
    assert {m.metric: m.value for m in first.metrics or []} == {
        "prompt_tokens": 5,
        "completion_tokens": 4,
        "total_tokens": 9,
    }
    sent_tool = ToolEngine.requests[-1]["tools"][0].function
    assert (sent_tool.name, sent_tool.parameters["required"]) == ("get_weather", ["city"])

    history = [
        *QUESTION,
        message.to_dict(),
        {"role": "tool", "call_id": call.call_id, "content": "sunny"},
    ]
    second = client.inference.chat_completion(model_id="tool-llm", messages=history, tools=[WEATHER_TOOL])
    assert second.completion_message.content == "It is sunny in Paris."
    assert second.completion_message.stop_reason == "end_of_turn"
    assistant, tool = ToolEngine.requests[-1]["messages"][1:]
    assert assistant["tool_calls"][0]["id"] == "call_w1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert tool == {"role": "tool", "tool_call_id": "call_w1", "content": "sunny"}


def test_a_streamed_tool_call(client: LlamaStackClient) -> None:
    chunks = list(
        client.inference.chat_completion(
            model_id="tool-llm",
            messages=QUESTION,
            tools=[WEATHER_TOOL],
            tool_config={"tool_choice": "get_weather"},
            stream=True,
        )
    )
    assert ToolEngine.requests[-1]["tool_choice"].function.name == "get_weather"
    tool_deltas = [c.event.delta for c in chunks if c.event.delta.type == "tool_call"]
    assert [d.parse_status for d in tool_deltas] == ["started", *["in_progress"] * 4, "succeeded"]
    assert "".join(d.tool_call for d in tool_deltas if d.parse_status == "in_progress") == ARGUMENTS
    final = tool_deltas[-1].tool_call
    assert (final.call_id, final.tool_name, final.arguments) == ("call_w1", "get_weather", {"city": "Paris"})
    done = chunks[-1]
    assert (done.event.event_type, done.event.stop_reason) == ("complete", "end_of_message")
    assert {m.metric: m.value for m in done.metrics or []}["total_tokens"] == 9


def test_a_streamed_text_answer(client: LlamaStackClient) -> None:
    chunks = list(
        client.inference.chat_completion(
            model_id="tool-llm",
            messages=QUESTION,
            sampling_params={"strategy": {"type": "top_k", "top_k": 4}, "max_tokens": 20},
            stream=True,
        )
    )
    assert chunks[0].event.event_type == "start"
    assert (
        "".join(c.event.delta.text for c in chunks if c.event.delta.type == "text") == "Hello there, friend."
    )
    assert chunks[-1].event.stop_reason == "end_of_turn"
    sent = ToolEngine.requests[-1]
    assert (sent["extra_body"], sent["max_tokens"], sent["stream_options"].include_usage) == (
        {"top_k": 4},
        20,
        True,
    )


def test_completion_and_embeddings(client: LlamaStackClient) -> None:
    completion = client.inference.completion(model_id="tool-llm", content="Once upon a time")
    assert (completion.content, completion.stop_reason) == ("Once upon a time... and so on", "out_of_tokens")
    streamed = client.inference.completion(model_id="tool-llm", content="Once", stream=True)
    assert "".join(c.delta for c in streamed) == "Once... and so on"
    vectors = client.inference.embeddings(model_id="vec", contents=["a", "abc"], output_dimension=2)
    assert vectors.embeddings == [[1.0, 1.0], [3.0, 1.0]]


def test_what_the_engine_lacks_is_a_501_naming_it(client: LlamaStackClient) -> None:
    with pytest.raises(llama_stack_client.APIStatusError) as refused:
        client.inference.chat_completion(
            model_id="tool-llm", messages=QUESTION, response_format={"type": "grammar", "bnf": {"root": "x"}}
        )
    assert refused.value.status_code == 501
    assert "a grammar response_format" in str(refused.value)
    with pytest.raises(llama_stack_client.BadRequestError, match="not among the request's tools"):
        client.inference.chat_completion(
            model_id="tool-llm", messages=QUESTION, tools=[WEATHER_TOOL], tool_config={"tool_choice": "nope"}
        )
    assert ToolEngine.requests == []
