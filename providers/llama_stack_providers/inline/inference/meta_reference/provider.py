"""``MetaReferenceInference``: the Inference API over in-process torch models (native routes via the mixin)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, Literal

from llama_stack_api import InvalidRequestError, Model, ModelType, NotFoundError, NotSupportedError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionAudioParam,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionTool,
    OpenAICompletion,
    OpenAICompletionPrompt,
    OpenAIEmbeddingsInput,
    OpenAIEmbeddingsResponse,
    OpenAIFunctionCallChoice,
    OpenAIFunctionDefinition,
    OpenAIMessageParam,
    OpenAIPredictionContent,
    OpenAIReasoningEffort,
    OpenAIResponseFormatParam,
    OpenAIResponseFormatText,
    OpenAIServiceTier,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from llama_stack_providers.utils.inference.native_adapter import NativeOverOpenAIMixin

from .config import MetaReferenceInferenceConfig
from .messages import resolve_tool_choice, to_chat_messages, to_function_tools
from .openai_chat import ChatRequest, chat_completion
from .openai_completions import CompletionRequest, completion
from .sampling import MAX_TOP_LOGPROBS, build_sampling, refuse_unsupported
from .served_model import ServedModel, load_files, start_model

logger = logging.getLogger(__name__)

PROVIDER_NAME = "meta-reference"


class MetaReferenceInference(NativeOverOpenAIMixin):
    """Serves the configured checkpoints; every model is loaded (off the event loop) in ``initialize``.

    Requests are batched by the engine's scheduler (``max_batch_size`` per
    model). Unsupported OpenAI options raise ``NotSupportedError``; see the
    module docs of ``sampling.py`` for the ``extra_body`` fields it honours.
    """

    supported_extra_body_keys: ClassVar[frozenset[str] | None] = frozenset({"top_k"})

    def __init__(
        self, config: MetaReferenceInferenceConfig, *, preloaded: Sequence[ServedModel] = ()
    ) -> None:
        """``preloaded``: models already built (an application embedding the provider, or tests with a
        scripted engine); they are served beside the configured ones."""
        self.config = config
        self._models: dict[str, ServedModel] = {m.model_id: m for m in preloaded}

    # --- lifecycle -----------------------------------------------------------------------------

    async def initialize(self) -> None:
        for entry in self.config.models:
            if entry.model_id in self._models:
                continue
            files = await asyncio.to_thread(load_files, entry)
            self._models[entry.model_id] = start_model(files)
            logger.info("meta-reference: serving %s from %s", entry.model_id, files.checkpoint.path)

    async def shutdown(self) -> None:
        models, self._models = self._models, {}
        for served in models.values():
            close = getattr(served.engine, "aclose", None)
            if close is not None:
                await close()

    async def health(self) -> dict[str, Any]:
        missing = [m.model_id for m in self.config.models if m.model_id not in self._models]
        if not self._models:
            return {"status": "Error", "message": "no models loaded"}
        if missing:
            return {"status": "Error", "message": f"not loaded: {', '.join(missing)}"}
        return {"status": "OK"}

    # --- models --------------------------------------------------------------------------------

    async def list_provider_models(self) -> list[Model]:
        return [served.as_model(PROVIDER_NAME) for served in self._models.values()]

    async def check_model(self, model: Model) -> Model:
        served = self._models.get(model.provider_key)
        if served is None:
            raise InvalidRequestError(
                f"meta-reference serves {', '.join(sorted(self._models)) or 'no models'}, not {model.provider_key!r}; "
                "add the checkpoint to the provider's `models:` config"
            )
        if model.model_type != ModelType.llm:
            raise InvalidRequestError(f"{model.provider_key!r} is a generation model; register it as an llm")
        return model.model_copy(
            update={"metadata": {**served.as_model(PROVIDER_NAME).metadata, **model.metadata}}
        )

    def _served(self, model: str) -> ServedModel:
        served = self._models.get(model)
        if served is None:
            raise NotFoundError(
                f"meta-reference does not serve {model!r}; it serves {', '.join(sorted(self._models)) or 'nothing'}"
            )
        return served

    # --- OpenAI-compatible -----------------------------------------------------------------------

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
        """Raises ``NotFoundError`` for a model it does not serve, ``InvalidRequestError`` for out-of-range
        parameters or a prompt longer than the context window (both numbers named), ``NotSupportedError``
        for audio, images, structured output, penalties, logit_bias, functions and custom tools."""
        served = self._served(model)
        refuse_unsupported(
            audio=audio,
            modalities=[m for m in modalities or [] if m != "text"],
            prediction=prediction,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            logit_bias=logit_bias,
            functions=functions,
            function_call=function_call,
            moderation=moderation,
            web_search_options=web_search_options,
            reasoning_effort=None if reasoning_effort == "none" else reasoning_effort,
            verbosity=verbosity,
        )
        if response_format is not None and not isinstance(response_format, OpenAIResponseFormatText):
            raise NotSupportedError(
                f"meta-reference has no constrained decoding, so it cannot guarantee a {response_format.type} "
                "response_format; ask for JSON in the prompt, or use a provider with guided decoding (vLLM)",
                param="response_format",
            )
        if top_logprobs is not None and not logprobs:
            raise InvalidRequestError("top_logprobs needs logprobs: true", param="top_logprobs")
        if top_logprobs is not None and not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise InvalidRequestError(
                f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}, not {top_logprobs}",
                param="top_logprobs",
            )
        if (
            max_tokens is not None
            and max_completion_tokens is not None
            and max_tokens != max_completion_tokens
        ):
            raise InvalidRequestError(
                "max_tokens and max_completion_tokens disagree; send one", param="max_tokens"
            )
        sampling = build_sampling(
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_completion_tokens if max_completion_tokens is not None else max_tokens,
            seed=seed,
            stop=stop,
            n=n,
            logprobs=(top_logprobs or 0) if logprobs else None,
            extra_body=extra_body,
        )
        function_tools = to_function_tools(tools)
        shown, choice = resolve_tool_choice(function_tools, tool_choice)
        request = ChatRequest(
            model=model,
            messages=to_chat_messages(messages),
            tools=shown,
            tool_choice=choice,
            sampling=sampling,
            tool_prompt_format=sampling.extra.get("tool_prompt_format"),
            include_usage=bool(stream_options and stream_options.include_usage),
            parallel_tool_calls=parallel_tool_calls is not False,
        )
        return await chat_completion(served, request, stream=bool(stream))

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
        """Raises ``NotFoundError`` for a model it does not serve, ``InvalidRequestError`` for out-of-range
        parameters or a prompt longer than the context window, ``NotSupportedError`` for ``suffix``,
        ``best_of`` > ``n``, ``echo`` with logprobs, penalties, logit_bias, guided_choice, prompt_logprobs."""
        served = self._served(model)
        refuse_unsupported(
            suffix=suffix,
            frequency_penalty=frequency_penalty,
            presence_penalty=presence_penalty,
            logit_bias=logit_bias,
            guided_choice=guided_choice,
            prompt_logprobs=prompt_logprobs,
        )
        if best_of is not None and best_of > (n or 1):
            raise NotSupportedError(
                "meta-reference does not rank candidates: best_of must not exceed n", param="best_of"
            )
        if logprobs is not None and not 0 <= logprobs <= 5:
            raise InvalidRequestError(f"logprobs must be between 0 and 5, not {logprobs}", param="logprobs")
        if echo and logprobs is not None:
            raise NotSupportedError(
                "meta-reference cannot return log probabilities of the echoed prompt", param="echo"
            )
        sampling = build_sampling(
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            seed=seed,
            stop=stop,
            n=n,
            logprobs=logprobs,
            extra_body={k: v for k, v in (extra_body or {}).items() if k != "tool_prompt_format"},
        )
        request = CompletionRequest(
            model=model,
            prompt=prompt,
            sampling=sampling,
            echo=bool(echo),
            include_usage=bool(stream_options and stream_options.include_usage),
        )
        return await completion(served, request, stream=bool(stream))

    async def openai_embeddings(
        self,
        model: str,
        input: OpenAIEmbeddingsInput,
        encoding_format: Literal["float", "base64"] | None = "float",
        dimensions: int | None = None,
        user: str | None = None,
    ) -> OpenAIEmbeddingsResponse:
        """Always ``NotSupportedError``: meta-reference serves generation models."""
        raise NotSupportedError(
            "meta-reference serves generation models; use inline::sentence-transformers for embeddings",
            param="model",
        )


async def create(config: MetaReferenceInferenceConfig, deps: dict[Any, Any]) -> MetaReferenceInference:
    return MetaReferenceInference(config)
