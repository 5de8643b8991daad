"""The ``Inference`` Protocol: OpenAI-compatible and native generation and embedding routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol, runtime_checkable

from .._routes import webmethod
from ._native_messages import InterleavedContent, InterleavedContentItem, Message
from ._native_params import (
    EmbeddingTaskType,
    LogProbConfig,
    ResponseFormat,
    SamplingParams,
    TextTruncation,
    ToolChoice,
    ToolConfig,
    ToolDefinition,
    ToolPromptFormat,
)
from ._native_responses import (
    ChatCompletionResponse,
    ChatCompletionResponseStreamChunk,
    CompletionResponse,
    CompletionResponseStreamChunk,
    EmbeddingsResponse,
)
from ._openai_chat import OpenAIChatCompletion, OpenAIChatCompletionChunk
from ._openai_chat_params import (
    OpenAIChatCompletionAudioParam,
    OpenAIChatCompletionTool,
    OpenAIFunctionCallChoice,
    OpenAIFunctionDefinition,
    OpenAIPredictionContent,
    OpenAIReasoningEffort,
    OpenAIResponseFormatParam,
    OpenAIServiceTier,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from ._openai_completions import OpenAICompletion, OpenAICompletionPrompt
from ._openai_embeddings import OpenAIEmbeddingsInput, OpenAIEmbeddingsResponse
from ._openai_messages import OpenAIMessageParam


@runtime_checkable
class Inference(Protocol):
    """Generate text and embeddings with registered models.

    Every method is routed by its model id to the provider that serves that
    model. The OpenAI-compatible methods are what new code should use; the
    native ones serve llama-stack-client 0.2.x.
    """

    @webmethod(
        "POST",
        "/v1/chat/completions",
        stream="stream",
        openai=True,
        routing_key="model",
        resource_requires={"model_type": "llm"},
        summary="Create a chat completion (OpenAI-compatible).",
    )
    async def openai_chat_completion(
        self,
        model: str,
        messages: list[OpenAIMessageParam],
        audio: OpenAIChatCompletionAudioParam | None = None,
        frequency_penalty: float | None = None,
        function_call: OpenAIFunctionCallChoice | None = None,
        functions: list[OpenAIFunctionDefinition] | None = None,
        logit_bias: dict[str, float] | None = None,
        logprobs: bool | None = None,
        max_completion_tokens: int | None = None,
        max_tokens: int | None = None,
        metadata: dict[str, str] | None = None,
        modalities: list[Literal["text", "audio"]] | None = None,
        moderation: dict[str, Any] | None = None,
        n: int | None = None,
        parallel_tool_calls: bool | None = None,
        prediction: OpenAIPredictionContent | None = None,
        presence_penalty: float | None = None,
        prompt_cache_key: str | None = None,
        prompt_cache_options: dict[str, Any] | None = None,
        prompt_cache_retention: Literal["in_memory", "24h"] | None = None,
        reasoning_effort: OpenAIReasoningEffort | None = None,
        response_format: OpenAIResponseFormatParam | None = None,
        safety_identifier: str | None = None,
        seed: int | None = None,
        service_tier: OpenAIServiceTier | None = None,
        stop: str | list[str] | None = None,
        store: bool | None = None,
        stream: bool | None = None,
        stream_options: OpenAIStreamOptions | None = None,
        temperature: float | None = None,
        tool_choice: OpenAIToolChoice | None = None,
        tools: list[OpenAIChatCompletionTool] | None = None,
        top_logprobs: int | None = None,
        top_p: float | None = None,
        user: str | None = None,
        verbosity: Literal["low", "medium", "high"] | None = None,
        web_search_options: dict[str, Any] | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> OpenAIChatCompletion | AsyncIterator[OpenAIChatCompletionChunk]:
        """Answer a conversation; with ``stream=True``, yield ``chat.completion.chunk`` objects.

        Fields follow OpenAI's ``POST /chat/completions``. ``moderation``,
        ``prompt_cache_options`` and ``web_search_options`` are passed through
        untyped to providers that understand them; ``extra_body`` holds any body
        field not named here (engine-specific options such as vLLM's
        ``guided_json``). A provider that cannot honour an option it was given
        raises rather than ignoring it silently.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when a parameter is out of range or the model cannot chat (e.g. an embedding
        model), ``NotSupportedError`` when the provider lacks a feature the request asks
        for (tools, logprobs, images, audio, ``n > 1``, ...), and ``ProviderError`` /
        ``ProviderUnavailableError`` / ``ProviderTimeoutError`` when the engine fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/completions",
        stream="stream",
        openai=True,
        routing_key="model",
        resource_requires={"model_type": "llm"},
        summary="Create a text completion (OpenAI-compatible, legacy).",
    )
    async def openai_completion(
        self,
        model: str,
        prompt: OpenAICompletionPrompt,
        best_of: int | None = None,
        echo: bool | None = None,
        frequency_penalty: float | None = None,
        logit_bias: dict[str, float] | None = None,
        logprobs: int | None = None,
        max_tokens: int | None = None,
        n: int | None = None,
        presence_penalty: float | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        stream: bool | None = None,
        stream_options: OpenAIStreamOptions | None = None,
        suffix: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        user: str | None = None,
        guided_choice: list[str] | None = None,
        prompt_logprobs: int | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> OpenAICompletion | AsyncIterator[OpenAICompletion]:
        """Continue ``prompt``; with ``stream=True``, yield ``text_completion`` objects with the new text.

        ``logprobs`` is the number of alternatives per position (0-5; JSON ``true``,
        which llama-stack-client 0.2.x sends, reads as 1). ``guided_choice`` and
        ``prompt_logprobs`` are vLLM extensions that llama-stack-client 0.2.x sends.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when a parameter is out of range or the model cannot generate, ``NotSupportedError``
        when the provider lacks a requested feature (``echo``, ``suffix``, ``best_of``,
        token-id prompts, ...), and ``ProviderError`` / ``ProviderUnavailableError`` /
        ``ProviderTimeoutError`` when the engine fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/embeddings",
        openai=True,
        routing_key="model",
        resource_requires={"model_type": "embedding"},
        summary="Create embeddings (OpenAI-compatible).",
    )
    async def openai_embeddings(
        self,
        model: str,
        input: OpenAIEmbeddingsInput,
        encoding_format: Literal["float", "base64"] | None = "float",
        dimensions: int | None = None,
        user: str | None = None,
    ) -> OpenAIEmbeddingsResponse:
        """Embed each input; ``base64`` returns each vector as base64 little-endian float32 bytes.

        The openai SDK asks for ``base64`` by default and decodes it itself.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when the model is not an embedding model or an input is too long,
        ``NotSupportedError`` when the provider cannot honour ``dimensions`` or token-id
        input, and ``ProviderError`` / ``ProviderUnavailableError`` /
        ``ProviderTimeoutError`` when the engine fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/inference/chat-completion",
        stream="stream",
        routing_key="model_id",
        resource_requires={"model_type": "llm"},
        summary="Generate a chat completion (native, llama-stack-client 0.2.x).",
    )
    async def chat_completion(
        self,
        model_id: str,
        messages: list[Message],
        sampling_params: SamplingParams | None = None,
        tools: list[ToolDefinition] | None = None,
        tool_choice: ToolChoice | None = None,
        tool_prompt_format: ToolPromptFormat | None = None,
        response_format: ResponseFormat | None = None,
        stream: bool | None = False,
        logprobs: LogProbConfig | None = None,
        tool_config: ToolConfig | None = None,
    ) -> ChatCompletionResponse | AsyncIterator[ChatCompletionResponseStreamChunk]:
        """Answer a conversation; with ``stream=True``, yield start / progress / complete events.

        ``tool_choice`` and ``tool_prompt_format`` are deprecated spellings of the
        same fields in ``tool_config``; giving both with different values is an
        ``InvalidRequestError``.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when a parameter is out of range or the model cannot chat, ``NotSupportedError``
        when the provider lacks a requested feature (tools, grammar response format,
        logprobs, images, ...), and ``ProviderError`` / ``ProviderUnavailableError`` /
        ``ProviderTimeoutError`` when the engine fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/inference/completion",
        stream="stream",
        routing_key="model_id",
        resource_requires={"model_type": "llm"},
        summary="Generate a text completion (native, llama-stack-client 0.2.x).",
    )
    async def completion(
        self,
        model_id: str,
        content: InterleavedContent,
        sampling_params: SamplingParams | None = None,
        response_format: ResponseFormat | None = None,
        stream: bool | None = False,
        logprobs: LogProbConfig | None = None,
    ) -> CompletionResponse | AsyncIterator[CompletionResponseStreamChunk]:
        """Continue ``content``; with ``stream=True``, yield chunks carrying the new text in ``delta``.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when a parameter is out of range or the model cannot generate,
        ``NotSupportedError`` when the provider lacks a requested feature (images,
        grammar response format, logprobs, ...), and ``ProviderError`` /
        ``ProviderUnavailableError`` / ``ProviderTimeoutError`` when the engine fails.
        """
        ...

    @webmethod(
        "POST",
        "/v1/inference/embeddings",
        routing_key="model_id",
        resource_requires={"model_type": "embedding"},
        summary="Generate embeddings (native, llama-stack-client 0.2.x).",
    )
    async def embeddings(
        self,
        model_id: str,
        contents: list[str] | list[InterleavedContentItem],
        text_truncation: TextTruncation | None = None,
        output_dimension: int | None = None,
        task_type: EmbeddingTaskType | None = None,
    ) -> EmbeddingsResponse:
        """Embed each content; ``output_dimension`` needs a Matryoshka model.

        Raises ``NotFoundError`` when the model is not registered, ``InvalidRequestError``
        when the model is not an embedding model or a text is too long and
        ``text_truncation`` is ``none``, ``NotSupportedError`` when the provider cannot
        embed images or honour ``output_dimension`` / ``task_type``, and
        ``ProviderError`` / ``ProviderUnavailableError`` / ``ProviderTimeoutError``
        when the engine fails.
        """
        ...
