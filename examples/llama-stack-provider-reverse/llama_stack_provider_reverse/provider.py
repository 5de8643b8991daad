"""The provider: config, factory and an ``Inference`` implementation."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel

from llama_stack_api import Api, Model, ModelType, NotSupportedError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseEvent,
    ChatCompletionResponseStreamChunk,
    CompletionMessage,
    CompletionResponse,
    EmbeddingsResponse,
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChunkChoice,
    OpenAICompletion,
    OpenAICompletionChoice,
    OpenAIEmbeddingsResponse,
    TextDelta,
)


class ReverseConfig(BaseModel):
    model_name: str = "reverser-1"


def _reverse(text: str) -> str:
    return " ".join(reversed(text.split()))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(part) for part in content)
    return str(getattr(content, "text", "") or "")


def _last_user_text(messages: list[Any]) -> str:
    return next((_text(m.content) for m in reversed(messages) if m.role == "user"), "")


class ReverseInference:
    def __init__(self, config: ReverseConfig) -> None:
        self.config = config

    async def list_provider_models(self) -> list[Model]:
        return [Model(identifier=self.config.model_name, provider_id="reverse", model_type=ModelType.llm)]

    async def check_model(self, model: Model) -> Model:
        return model

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> Any:
        answer = _reverse(_last_user_text(messages))
        created = int(time.time())
        if params.get("stream"):
            return self._chat_stream(model, answer, created)
        message = OpenAIChatCompletionMessage(content=answer)
        choice = OpenAIChoice(index=0, message=message, finish_reason="stop")
        return OpenAIChatCompletion(id=f"rev-{created}", created=created, model=model, choices=[choice])

    async def _chat_stream(
        self, model: str, answer: str, created: int
    ) -> AsyncIterator[OpenAIChatCompletionChunk]:
        for word in answer.split():
            choice = OpenAIChunkChoice(index=0, delta=OpenAIChoiceDelta(content=word + " "))
            yield OpenAIChatCompletionChunk(
                id=f"rev-{created}", created=created, model=model, choices=[choice]
            )
        done = OpenAIChunkChoice(index=0, delta=OpenAIChoiceDelta(), finish_reason="stop")
        yield OpenAIChatCompletionChunk(id=f"rev-{created}", created=created, model=model, choices=[done])

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> Any:
        if params.get("stream"):
            raise NotSupportedError("inline::reverse does not stream text completions")
        created = int(time.time())
        choice = OpenAICompletionChoice(index=0, text=_reverse(str(prompt)), finish_reason="stop")
        return OpenAICompletion(id=f"rev-{created}", created=created, model=model, choices=[choice])

    async def openai_embeddings(self, model: str, input: Any, **params: Any) -> OpenAIEmbeddingsResponse:
        raise NotSupportedError("inline::reverse has no embedding model")

    async def chat_completion(self, model_id: str, messages: list[Any], **params: Any) -> Any:
        answer = _reverse(_last_user_text(messages))
        if params.get("stream"):
            return self._native_stream(answer)
        return ChatCompletionResponse(
            completion_message=CompletionMessage(content=answer, stop_reason="end_of_turn")
        )

    async def _native_stream(self, answer: str) -> AsyncIterator[ChatCompletionResponseStreamChunk]:
        yield ChatCompletionResponseStreamChunk(
            event=ChatCompletionResponseEvent(event_type="start", delta=TextDelta(text=""))
        )
        yield ChatCompletionResponseStreamChunk(
            event=ChatCompletionResponseEvent(event_type="progress", delta=TextDelta(text=answer))
        )
        yield ChatCompletionResponseStreamChunk(
            event=ChatCompletionResponseEvent(
                event_type="complete", delta=TextDelta(text=""), stop_reason="end_of_turn"
            )
        )

    async def completion(self, model_id: str, content: Any, **params: Any) -> Any:
        if params.get("stream"):
            raise NotSupportedError("inline::reverse does not stream text completions")
        return CompletionResponse(content=_reverse(_text(content)), stop_reason="end_of_turn")

    async def embeddings(self, model_id: str, contents: list[Any], **params: Any) -> EmbeddingsResponse:
        raise NotSupportedError("inline::reverse has no embedding model")


async def create(config: ReverseConfig, deps: dict[Api, Any]) -> ReverseInference:
    return ReverseInference(config)
