"""A deterministic fake inference provider: echoes the last user message, hashes text into vectors.

It implements the OpenAI-shaped half of the ``Inference`` Protocol with real wire
types and serves the native half through ``NativeOverOpenAIMixin``, as the real
providers do, so end-to-end tests make real HTTP round trips before any real
engine is installed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import BaseModel

from llama_stack_api import InvalidRequestError, Model, ModelType, current_principal
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionMessage,
    OpenAIChatCompletionUsage,
    OpenAIChoice,
    OpenAIChoiceDelta,
    OpenAIChunkChoice,
    OpenAICompletion,
    OpenAICompletionChoice,
    OpenAIEmbeddingData,
    OpenAIEmbeddingsResponse,
    OpenAIEmbeddingUsage,
)
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin
from tests.fakes.llama_guard import llama_guard_answer


class FakeInferenceConfig(BaseModel):
    llm_models: list[str] = ["fake-llm"]
    # models that answer like Llama Guard 3 (tests/fakes/llama_guard.py) instead of echoing
    guard_models: list[str] = []
    embedding_models: list[str] = ["fake-embed"]
    embedding_dimension: int = 8
    # the context length the embedding models declare (their registry metadata's ``context_length``)
    embedding_context_length: int | None = None
    # seconds each embeddings request waits before answering (slow ingestion for crash tests)
    embedding_delay_s: float = 0.0
    reply_prefix: str = "echo: "
    token_delay_s: float = 0.0
    # key into FakeInference.events, so tests can tell instances apart
    events_name: str = "fake"


class FakeInference(NativeOverOpenAIMixin):
    """Echo model: the answer is ``reply_prefix`` + the last user text, one word per stream chunk."""

    # events_name -> events, so in-process tests can observe lifecycle, cancellation and callers;
    # a generation request made by an authenticated caller records "principal:<name>"
    events: ClassVar[dict[str, list[str]]] = {}

    def __init__(self, config: FakeInferenceConfig) -> None:
        self.config = config
        self.provider_id = config.events_name
        self.log = FakeInference.events.setdefault(config.events_name, [])

    async def initialize(self) -> None:
        self.log.append("initialize")

    async def shutdown(self) -> None:
        self.log.append("shutdown")

    async def health(self) -> dict[str, Any]:
        return {"status": "OK"}

    async def list_provider_models(self) -> list[Model]:
        llms = [
            Model(identifier=m, provider_id=self.provider_id, model_type=ModelType.llm)
            for m in self.config.llm_models + self.config.guard_models
        ]
        embedders = [
            Model(
                identifier=m,
                provider_id=self.provider_id,
                model_type=ModelType.embedding,
                metadata={
                    "embedding_dimension": self.config.embedding_dimension,
                    **(
                        {"context_length": self.config.embedding_context_length}
                        if self.config.embedding_context_length is not None
                        else {}
                    ),
                },
            )
            for m in self.config.embedding_models
        ]
        return llms + embedders

    async def check_model(self, model: Model) -> Model:
        known = self.config.llm_models + self.config.guard_models + self.config.embedding_models
        if model.provider_key not in known:
            raise InvalidRequestError(f"fake provider serves only {known}, not {model.provider_key!r}")
        return model

    # ---- generation -------------------------------------------------------------------------

    def _answer(self, text: str, model: str = "") -> str:
        principal = current_principal()
        if principal is not None:
            self.log.append(f"principal:{principal.name}")
        if model in self.config.guard_models:
            self.log.append(f"guard:{model}")
            return llama_guard_answer(text)
        self.log.append(f"answer:{model}")
        return f"{self.config.reply_prefix}{text}"

    async def _words(self, text: str) -> AsyncIterator[str]:
        words = text.split(" ")
        try:
            for i, word in enumerate(words):
                if self.config.token_delay_s:
                    await asyncio.sleep(self.config.token_delay_s)
                yield word if i == 0 else " " + word
        except asyncio.CancelledError:
            self.log.append("cancelled")
            raise
        finally:
            self.log.append("stream-closed")

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> Any:
        answer = self._answer(_last_user_text_openai(messages), model)
        created = int(time.time())
        if params.get("stream"):
            include_usage = bool(params.get("stream_options") and params["stream_options"].include_usage)
            return self._openai_chat_stream(model, answer, created, include_usage)
        if self.config.token_delay_s:
            try:
                await asyncio.sleep(self.config.token_delay_s * len(answer.split(" ")))
            except asyncio.CancelledError:
                self.log.append("cancelled")
                raise
        return OpenAIChatCompletion(
            id=f"chatcmpl-fake-{created}",
            created=created,
            model=model,
            choices=[
                OpenAIChoice(
                    index=0, message=OpenAIChatCompletionMessage(content=answer), finish_reason="stop"
                )
            ],
            usage=_usage(messages, answer),
        )

    async def _openai_chat_stream(
        self, model: str, answer: str, created: int, include_usage: bool
    ) -> AsyncIterator[OpenAIChatCompletionChunk]:
        cid = f"chatcmpl-fake-{created}"
        first = True
        async for piece in self._words(answer):
            delta = OpenAIChoiceDelta(role="assistant" if first else None, content=piece)
            first = False
            yield OpenAIChatCompletionChunk(
                id=cid, created=created, model=model, choices=[OpenAIChunkChoice(index=0, delta=delta)]
            )
        yield OpenAIChatCompletionChunk(
            id=cid,
            created=created,
            model=model,
            choices=[OpenAIChunkChoice(index=0, delta=OpenAIChoiceDelta(), finish_reason="stop")],
        )
        if include_usage:
            words = len(answer.split(" "))
            yield OpenAIChatCompletionChunk(
                id=cid,
                created=created,
                model=model,
                choices=[],
                usage=OpenAIChatCompletionUsage(
                    prompt_tokens=1, completion_tokens=words, total_tokens=words + 1
                ),
            )

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> Any:
        text = self._answer(prompt if isinstance(prompt, str) else str(prompt), model)
        created = int(time.time())
        if params.get("stream"):
            return self._completion_stream(model, text, created)
        return OpenAICompletion(
            id=f"cmpl-fake-{created}",
            created=created,
            model=model,
            choices=[OpenAICompletionChoice(index=0, text=text, finish_reason="stop")],
        )

    async def _completion_stream(
        self, model: str, text: str, created: int
    ) -> AsyncIterator[OpenAICompletion]:
        async for piece in self._words(text):
            yield OpenAICompletion(
                id=f"cmpl-fake-{created}",
                created=created,
                model=model,
                choices=[OpenAICompletionChoice(index=0, text=piece, finish_reason=None)],
            )

    async def openai_embeddings(self, model: str, input: Any, **params: Any) -> OpenAIEmbeddingsResponse:
        if self.config.embedding_delay_s:
            await asyncio.sleep(self.config.embedding_delay_s)
        texts = [input] if isinstance(input, str) else [str(t) for t in input]
        return OpenAIEmbeddingsResponse(
            model=model,
            data=[OpenAIEmbeddingData(index=i, embedding=self._vector(t)) for i, t in enumerate(texts)],
            usage=OpenAIEmbeddingUsage(prompt_tokens=len(texts), total_tokens=len(texts)),
        )

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        raw = [(digest[i % len(digest)] - 127.5) for i in range(self.config.embedding_dimension)]
        norm = math.sqrt(sum(x * x for x in raw)) or 1.0
        return [x / norm for x in raw]


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(part) for part in content)
    return str(getattr(content, "text", "") or "")


def _last_user_text_openai(messages: list[Any]) -> str:
    for message in reversed(messages):
        if getattr(message, "role", None) == "user":
            return _text_of(message.content)
    return ""


def _usage(messages: list[Any], answer: str) -> OpenAIChatCompletionUsage:
    prompt = sum(len(_text_of(getattr(m, "content", "")).split()) for m in messages)
    completion = len(answer.split(" "))
    return OpenAIChatCompletionUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


async def create(config: FakeInferenceConfig, deps: dict[Any, Any]) -> FakeInference:
    return FakeInference(config)
