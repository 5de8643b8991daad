"""``NativeOverOpenAIMixin``: the native ``/v1/inference/*`` methods, served by a provider's OpenAI-shaped ones.

A provider implements ``openai_chat_completion``, ``openai_completion`` and
``openai_embeddings`` and inherits ``chat_completion``, ``completion`` and
``embeddings`` (the llama-stack-client 0.2.x shapes) from the mixin::

    class VLLMInference(NativeOverOpenAIMixin):
        async def openai_chat_completion(self, model, messages, **params): ...
        async def openai_completion(self, model, prompt, **params): ...
        async def openai_embeddings(self, model, input, **params): ...

What a native request asks for that OpenAI has no field for travels in
``extra_body`` (``top_k``, ``repetition_penalty``, ``guided_grammar``, and
``guided_json`` for text completions, as vLLM names them). A provider whose
engine lacks some of them lists the ones it has in ``supported_extra_body_keys``,
and requests needing the others are refused with ``NotSupportedError`` before
the engine is called.
"""

from __future__ import annotations

import array
import base64
import binascii
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from pydantic import TypeAdapter, ValidationError

from llama_stack_api import InvalidRequestError, NotSupportedError, ProviderError
from llama_stack_api.inference import (
    ChatCompletionResponse,
    ChatCompletionResponseEventType,
    ChatCompletionResponseStreamChunk,
    CompletionMessage,
    CompletionResponse,
    CompletionResponseStreamChunk,
    EmbeddingsResponse,
    EmbeddingTaskType,
    GrammarResponseFormat,
    InterleavedContent,
    InterleavedContentItem,
    JsonSchemaResponseFormat,
    LogProbConfig,
    Message,
    Metric,
    OpenAIChatCompletion,
    OpenAIChatCompletionTool,
    OpenAICompletion,
    OpenAIEmbeddingsResponse,
    OpenAIStreamOptions,
    ResponseFormat,
    SamplingParams,
    StopReason,
    TextDelta,
    TextTruncation,
    TokenLogProbs,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    ToolConfig,
    ToolDefinition,
    ToolPromptFormat,
)

from ._native_to_openai import (
    content_text,
    openai_messages_from_native,
    openai_response_format_from_native,
    openai_sampling_from_native,
    openai_tool_choice_from_native,
    openai_tools_from_native,
    resolve_tool_config,
)
from ._openai_to_native import (
    native_chat_response_from_openai,
    native_chat_stream_from_native_response,
    native_chat_stream_from_openai,
    native_completion_response_from_openai,
    native_completion_stream_from_openai,
)

if TYPE_CHECKING:
    from llama_stack_api.inference import Inference

__all__ = ["NativeOverOpenAIMixin", "vectors_from_openai"]

T = TypeVar("T")

# what each engine option that a native request can need is for, to say so in errors
_EXTRA_BODY_FEATURES = {
    "top_k": "the top_k sampling strategy",
    "repetition_penalty": "repetition_penalty",
    "guided_grammar": "a grammar response_format",
    "guided_json": "a json_schema response_format on text completions",
}

_MESSAGES: TypeAdapter[list[Message]] = TypeAdapter(list[Message])
_SAMPLING: TypeAdapter[SamplingParams | None] = TypeAdapter(SamplingParams | None)
_TOOLS: TypeAdapter[list[ToolDefinition] | None] = TypeAdapter(list[ToolDefinition] | None)
_TOOL_CHOICE: TypeAdapter[ToolChoice | str | None] = TypeAdapter(ToolChoice | str | None)
_TOOL_PROMPT_FORMAT: TypeAdapter[ToolPromptFormat | None] = TypeAdapter(ToolPromptFormat | None)
_TOOL_CONFIG: TypeAdapter[ToolConfig | None] = TypeAdapter(ToolConfig | None)
_RESPONSE_FORMAT: TypeAdapter[ResponseFormat | None] = TypeAdapter(ResponseFormat | None)
_LOGPROBS: TypeAdapter[LogProbConfig | None] = TypeAdapter(LogProbConfig | None)
_CONTENT: TypeAdapter[InterleavedContent] = TypeAdapter(InterleavedContent)
_CONTENTS: TypeAdapter[list[str] | list[InterleavedContentItem]] = TypeAdapter(
    list[str] | list[InterleavedContentItem]
)


def _validated(adapter: TypeAdapter[T], value: Any, param: str) -> T:
    """``value`` as the native type (Python callers may pass dicts); a mismatch is a 400."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join([param, *(str(part) for part in error["loc"])])
        raise InvalidRequestError(f"{where}: {error['msg']}", param=param) from None


class NativeOverOpenAIMixin:
    """The native ``chat_completion`` / ``completion`` / ``embeddings`` on top of the OpenAI-shaped methods.

    Conversions: native messages, sampling, tools, tool choice, response
    format and log-probability requests become OpenAI fields; OpenAI answers
    and chunk streams become native responses and start / progress / complete
    events with token metrics from ``usage``. ``tool_prompt_format`` and
    ``system_message_behavior`` concern prompt templates, which OpenAI-shaped
    engines apply themselves, so they are accepted and not forwarded.
    """

    supported_extra_body_keys: ClassVar[frozenset[str] | None] = None
    """The ``extra_body`` keys this provider's OpenAI methods honour; ``None``: pass every one
    and let the provider refuse what it cannot."""

    # --- chat ----------------------------------------------------------------------------------

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
        """A native chat completion through ``openai_chat_completion``.

        Raises ``InvalidRequestError`` for malformed input, a ``tool_choice``
        that names no defined tool or conflicts with ``tool_config``;
        ``NotSupportedError`` for what this provider's engine lacks; and
        whatever ``openai_chat_completion`` raises.
        """
        native_messages = _validated(_MESSAGES, messages, "messages")
        if not native_messages:
            raise InvalidRequestError("messages must hold at least one message", param="messages")
        config = resolve_tool_config(
            _validated(_TOOL_CHOICE, tool_choice, "tool_choice"),
            _validated(_TOOL_PROMPT_FORMAT, tool_prompt_format, "tool_prompt_format"),
            _validated(_TOOL_CONFIG, tool_config, "tool_config"),
        )
        function_tools = openai_tools_from_native(_validated(_TOOLS, tools, "tools"))
        openai_tools: list[OpenAIChatCompletionTool] = list(function_tools)
        choice = openai_tool_choice_from_native(config.tool_choice, [t.function.name for t in function_tools])
        sampling = openai_sampling_from_native(_validated(_SAMPLING, sampling_params, "sampling_params"))
        openai_format, format_extra = openai_response_format_from_native(
            _validated(_RESPONSE_FORMAT, response_format, "response_format")
        )
        extra_body = {**sampling.extra_body, **format_extra}
        self._check_extra_body(extra_body)
        logprob_config = _validated(_LOGPROBS, logprobs, "logprobs")
        result = await self._openai_methods().openai_chat_completion(
            model=model_id,
            messages=openai_messages_from_native(native_messages),
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=sampling.stop,
            tools=openai_tools or None,
            tool_choice=choice,
            response_format=openai_format,
            logprobs=True if logprob_config is not None else None,
            top_logprobs=logprob_config.top_k if logprob_config is not None else None,
            stream=bool(stream),
            stream_options=OpenAIStreamOptions(include_usage=True) if stream else None,
            extra_body=extra_body or None,
        )
        if isinstance(result, OpenAIChatCompletion):
            response = native_chat_response_from_openai(result)
            return native_chat_stream_from_native_response(response) if stream else response
        events = native_chat_stream_from_openai(result)
        return events if stream else await _collect_chat(events)

    # --- text completion -----------------------------------------------------------------------

    async def completion(
        self,
        model_id: str,
        content: InterleavedContent,
        sampling_params: SamplingParams | None = None,
        response_format: ResponseFormat | None = None,
        stream: bool | None = False,
        logprobs: LogProbConfig | None = None,
    ) -> CompletionResponse | AsyncIterator[CompletionResponseStreamChunk]:
        """A native text completion through ``openai_completion``.

        A ``json_schema`` response format travels as ``extra_body.guided_json``,
        a grammar as ``extra_body.guided_grammar``. Raises ``NotSupportedError``
        for image content and for what this provider's engine lacks, and
        whatever ``openai_completion`` raises.
        """
        prompt = content_text(
            _validated(_CONTENT, content, "content"),
            where="content",
            hint="send images to chat_completion in a user message",
        )
        sampling = openai_sampling_from_native(_validated(_SAMPLING, sampling_params, "sampling_params"))
        extra_body = dict(sampling.extra_body)
        native_format = _validated(_RESPONSE_FORMAT, response_format, "response_format")
        if isinstance(native_format, JsonSchemaResponseFormat):
            extra_body["guided_json"] = native_format.json_schema
        elif isinstance(native_format, GrammarResponseFormat):
            extra_body["guided_grammar"] = native_format.bnf
        self._check_extra_body(extra_body)
        logprob_config = _validated(_LOGPROBS, logprobs, "logprobs")
        result = await self._openai_methods().openai_completion(
            model=model_id,
            prompt=prompt,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            stop=sampling.stop,
            logprobs=(logprob_config.top_k or 0) if logprob_config is not None else None,
            stream=bool(stream),
            stream_options=OpenAIStreamOptions(include_usage=True) if stream else None,
            extra_body=extra_body or None,
        )
        if isinstance(result, OpenAICompletion):
            response = native_completion_response_from_openai(result)
            return _completion_as_stream(response) if stream else response
        chunks = native_completion_stream_from_openai(result)
        return chunks if stream else await _collect_completion(chunks)

    # --- embeddings ----------------------------------------------------------------------------

    async def embeddings(
        self,
        model_id: str,
        contents: list[str] | list[InterleavedContentItem],
        text_truncation: TextTruncation | None = None,
        output_dimension: int | None = None,
        task_type: EmbeddingTaskType | None = None,
    ) -> EmbeddingsResponse:
        """Native embeddings through ``native_embed`` (by default ``openai_embeddings``).

        Raises ``InvalidRequestError`` for no contents or an ``output_dimension``
        below 1, ``NotSupportedError`` for image contents, and whatever
        ``native_embed`` raises.
        """
        items = _validated(_CONTENTS, contents, "contents")
        if not items:
            raise InvalidRequestError("contents must hold at least one text", param="contents")
        texts = [
            item if isinstance(item, str) else content_text(item, where=f"contents[{i}]", hint="embed text")
            for i, item in enumerate(items)
        ]
        if output_dimension is not None and output_dimension < 1:
            raise InvalidRequestError(
                f"output_dimension must be at least 1, not {output_dimension}", param="output_dimension"
            )
        vectors = await self.native_embed(
            model_id,
            texts,
            text_truncation=TextTruncation(text_truncation) if text_truncation is not None else None,
            output_dimension=output_dimension,
            task_type=EmbeddingTaskType(task_type) if task_type is not None else None,
        )
        return EmbeddingsResponse(embeddings=vectors)

    async def native_embed(
        self,
        model: str,
        texts: list[str],
        *,
        text_truncation: TextTruncation | None = None,
        output_dimension: int | None = None,
        task_type: EmbeddingTaskType | None = None,
    ) -> list[list[float]]:
        """One vector per text, in order; override to honour ``text_truncation`` or ``task_type``.

        The default calls ``openai_embeddings`` (``output_dimension`` as
        ``dimensions``). OpenAI's API has no field for truncation or task type,
        so both are left to the engine: OpenAI-compatible engines refuse
        over-long input, which is what ``text_truncation: none`` asks for.
        """
        response = await self._openai_methods().openai_embeddings(
            model=model, input=texts, encoding_format="float", dimensions=output_dimension
        )
        return vectors_from_openai(response, expected=len(texts))

    # --- helpers -------------------------------------------------------------------------------

    def _openai_methods(self) -> Inference:
        # the class this is mixed into implements the OpenAI-shaped half of the Protocol
        return cast("Inference", self)

    def _check_extra_body(self, extra_body: dict[str, Any]) -> None:
        allowed = self.supported_extra_body_keys
        if allowed is None:
            return
        for key in extra_body:
            if key not in allowed:
                raise NotSupportedError(
                    f"{type(self).__name__} cannot honour {_EXTRA_BODY_FEATURES.get(key, key)}: "
                    f"its engine has no {key!r} option",
                    code="unsupported_option",
                )


def vectors_from_openai(response: OpenAIEmbeddingsResponse, *, expected: int) -> list[list[float]]:
    """The vectors of an OpenAI embeddings response in input order, base64 ones decoded.

    A response with another number of vectors than ``expected`` is a ``ProviderError``.
    """
    data = sorted(response.data, key=lambda item: item.index)
    if len(data) != expected:
        raise ProviderError(f"the engine returned {len(data)} embeddings for {expected} inputs")
    return [
        item.embedding if isinstance(item.embedding, list) else _decode_base64(item.embedding)
        for item in data
    ]


def _decode_base64(text: str) -> list[float]:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError("the engine returned an embedding that is not valid base64") from None
    if len(raw) % 4:
        raise ProviderError("the engine returned a base64 embedding that is not float32 values")
    floats = array.array("f")
    floats.frombytes(raw)
    if sys.byteorder != "little":
        floats.byteswap()
    return floats.tolist()


async def _collect_chat(events: AsyncIterator[ChatCompletionResponseStreamChunk]) -> ChatCompletionResponse:
    """A whole response from native stream events (for an engine that streamed unasked)."""
    text: list[str] = []
    calls: list[ToolCall] = []
    logprobs: list[TokenLogProbs] = []
    stop_reason = StopReason.end_of_turn
    metrics: list[Metric] | None = None
    async for chunk in events:
        event = chunk.event
        delta = event.delta
        if isinstance(delta, TextDelta):
            text.append(delta.text)
        elif isinstance(delta, ToolCallDelta) and isinstance(delta.tool_call, ToolCall):
            calls.append(delta.tool_call)
        logprobs.extend(event.logprobs or [])
        if event.event_type == ChatCompletionResponseEventType.complete:
            stop_reason = event.stop_reason or stop_reason
            metrics = chunk.metrics
    return ChatCompletionResponse(
        completion_message=CompletionMessage(
            content="".join(text), stop_reason=stop_reason, tool_calls=calls
        ),
        logprobs=logprobs or None,
        metrics=metrics,
    )


async def _collect_completion(chunks: AsyncIterator[CompletionResponseStreamChunk]) -> CompletionResponse:
    text: list[str] = []
    logprobs: list[TokenLogProbs] = []
    last = CompletionResponseStreamChunk(delta="", stop_reason=StopReason.end_of_turn)
    async for chunk in chunks:
        text.append(chunk.delta)
        logprobs.extend(chunk.logprobs or [])
        last = chunk
    return CompletionResponse(
        content="".join(text),
        stop_reason=last.stop_reason or StopReason.end_of_turn,
        logprobs=logprobs or None,
        metrics=last.metrics,
    )


async def _completion_as_stream(response: CompletionResponse) -> AsyncIterator[CompletionResponseStreamChunk]:
    if response.content or response.logprobs:
        yield CompletionResponseStreamChunk(delta=response.content, logprobs=response.logprobs)
    yield CompletionResponseStreamChunk(delta="", stop_reason=response.stop_reason, metrics=response.metrics)
