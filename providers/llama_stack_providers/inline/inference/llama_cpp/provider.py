"""``inline::llama-cpp``: the Inference provider over GGUF models run in process by llama.cpp.

Each configured model is loaded at startup on its own worker thread
(``_worker``); requests to a model queue there and run one at a time, so the
event loop never blocks on llama.cpp. The OpenAI-shaped methods are
implemented here; the native ``/v1/inference/*`` ones come from
``NativeOverOpenAIMixin``. ``llama_cpp`` is imported when the provider
initializes, so listing or validating a distribution works without it.
"""

from __future__ import annotations

import importlib.util
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from llama_stack_api import (
    InvalidRequestError,
    Model,
    ModelType,
    NotSupportedError,
    ProviderUnavailableError,
)
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionAudioParam,
    OpenAIChatCompletionChunk,
    OpenAIChatCompletionTool,
    OpenAICompletion,
    OpenAICompletionPrompt,
    OpenAIEmbeddingData,
    OpenAIEmbeddingsInput,
    OpenAIEmbeddingsResponse,
    OpenAIEmbeddingUsage,
    OpenAIFunctionCallChoice,
    OpenAIFunctionDefinition,
    OpenAIMessageParam,
    OpenAIPredictionContent,
    OpenAIReasoningEffort,
    OpenAIResponseFormatParam,
    OpenAIServiceTier,
    OpenAIStreamOptions,
    OpenAIToolChoice,
)
from llama_stack_providers.utils.checkpoints import CheckpointError, resolve_gguf
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin
from llama_stack_providers.utils.inference.embedding_encoding import embedding_to_base64

from . import _params, _responses
from ._chat import plan_tools, template_messages
from ._types import ChatPrompt, Finished, GenerationEvent, GenerationRequest, Sampling
from ._worker import ModelWorker, Producer
from .config import LlamaCppInferenceConfig, LlamaCppModelConfig

if TYPE_CHECKING:
    from ._engine import LlamaCppModel

PROVIDER_TYPE = "inline::llama-cpp"
INSTALL_HINT = "pip install 'llama-stack-open[llama-cpp]'"
DEFAULT_COMPLETION_MAX_TOKENS = 16  # OpenAI's default for /v1/completions


@dataclass(frozen=True)
class GenerationRecord:
    """How one generation ended (``finish_reason`` ``cancelled`` when its caller went away)."""

    model: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class _Served:
    config: LlamaCppModelConfig
    path: Path
    worker: ModelWorker
    engine: LlamaCppModel


class LlamaCppInference(NativeOverOpenAIMixin):
    """Serves the GGUF models of its config; chat, text completion, and embeddings for embedding models."""

    supported_extra_body_keys = _params.EXTRA_BODY_KEYS

    def __init__(self, config: LlamaCppInferenceConfig) -> None:
        self.config = config
        self._served: dict[str, _Served] = {}
        self.history: deque[GenerationRecord] = deque(maxlen=100)
        """The most recent generations' outcomes, newest last (for health pages and tests)."""

    # --- lifecycle -------------------------------------------------------------------------------

    async def initialize(self) -> None:
        try:
            from . import _engine
        except Exception as exc:  # a missing or broken llama-cpp-python becomes a message, not a traceback
            if importlib.util.find_spec("llama_cpp") is None:
                raise ProviderUnavailableError(
                    f"{PROVIDER_TYPE} needs llama-cpp-python, which is not installed: {INSTALL_HINT}"
                ) from None
            raise ProviderUnavailableError(
                f"{PROVIDER_TYPE}: llama-cpp-python is installed but does not load "
                f"({type(exc).__name__}: {exc}); reinstall it: {INSTALL_HINT}"
            ) from exc
        for model in self.config.models:
            try:
                path = resolve_gguf(model.checkpoint)
            except CheckpointError as exc:
                raise ProviderUnavailableError(f"{PROVIDER_TYPE}: model {model.model_id!r}: {exc}") from None
            worker = ModelWorker(model.model_id)

            def load(model: LlamaCppModelConfig = model, path: Path = path) -> LlamaCppModel:
                return _engine.load_model(model, path, verbose=self.config.verbose)

            try:
                engine = await worker.run(load)
            except ValueError as exc:  # llama.cpp's "failed to load model", or an unusable chat format
                worker.shutdown()
                raise ProviderUnavailableError(
                    f"{PROVIDER_TYPE}: model {model.model_id!r}: cannot load {path}: {exc}"
                ) from None
            self._served[model.model_id] = _Served(model, path, worker, engine)

    async def shutdown(self) -> None:
        served, self._served = self._served, {}
        for entry in served.values():
            await entry.worker.run(entry.engine.close)
            entry.worker.shutdown()

    async def health(self) -> dict[str, Any]:
        missing = [m.model_id for m in self.config.models if m.model_id not in self._served]
        if missing:
            return {"status": "Error", "message": f"models not loaded: {', '.join(missing)}"}
        return {"status": "OK"}

    # --- models ----------------------------------------------------------------------------------

    async def list_provider_models(self) -> list[Model]:
        return [
            Model(
                identifier=model_id,
                provider_id="llama-cpp",  # the registry puts the real provider id in
                model_type=ModelType(entry.config.model_type),
                metadata=self._metadata(entry),
            )
            for model_id, entry in self._served.items()
        ]

    async def check_model(self, model: Model) -> Model:
        entry = self._served.get(model.provider_key)
        if entry is None:
            raise InvalidRequestError(
                f"{PROVIDER_TYPE} serves only {', '.join(sorted(self._served)) or 'no models'}, not "
                f"{model.provider_key!r}; add it to the provider's config `models:` (model_id + checkpoint)",
                param="provider_model_id",
            )
        if model.model_type.value != entry.config.model_type:
            raise InvalidRequestError(
                f"model {model.provider_key!r} is configured as model_type {entry.config.model_type!r}, "
                f"not {model.model_type.value!r}",
                param="model_type",
            )
        return model.model_copy(update={"metadata": {**self._metadata(entry), **model.metadata}})

    def _metadata(self, entry: _Served) -> dict[str, Any]:
        info = entry.engine.info
        metadata: dict[str, Any] = {
            "context_length": info.context_length,
            "checkpoint": entry.config.checkpoint,
            "gguf": str(entry.path),
        }
        if info.training_context_length is not None:
            metadata["training_context_length"] = info.training_context_length
        if info.architecture:
            metadata["architecture"] = info.architecture
        if entry.config.model_type == "embedding":
            metadata["embedding_dimension"] = info.embedding_dimension
        return metadata

    def _model(self, model: str, kind: Literal["llm", "embedding"]) -> _Served:
        entry = self._served.get(model)
        if entry is None:
            if not self._served and self.config.models:
                raise ProviderUnavailableError(f"{PROVIDER_TYPE} is not initialized")
            raise InvalidRequestError(
                f"{PROVIDER_TYPE} does not serve {model!r}; it serves: {', '.join(sorted(self._served))}",
                param="model",
            )
        if entry.config.model_type == kind:
            return entry
        if kind == "embedding":
            raise NotSupportedError(
                f"model {model!r} is a chat model; to serve embeddings with llama.cpp configure a model "
                "with model_type: embedding",
                param="model",
            )
        raise InvalidRequestError(
            f"model {model!r} is an embedding model; it cannot generate text", param="model"
        )

    def _producer(self, entry: _Served, request: GenerationRequest) -> Producer[GenerationEvent]:
        def produce(cancelled: threading.Event) -> Generator[GenerationEvent, None, None]:
            for event in entry.engine.generate(request, cancelled):
                if isinstance(event, Finished):
                    self.history.append(
                        GenerationRecord(
                            entry.config.model_id, event.reason, event.prompt_tokens, event.completion_tokens
                        )
                    )
                yield event

        return produce

    # --- chat ------------------------------------------------------------------------------------

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
        """A chat completion from the model's chat template.

        ``metadata``, ``store``, ``user``, ``safety_identifier``, ``service_tier``,
        ``prediction`` and the ``prompt_cache_*`` hints do not change the answer
        and are accepted; llama.cpp reuses the cached prompt prefix by itself.
        Raises ``NotSupportedError`` for ``n > 1``, audio, images, reasoning
        effort, verbosity, web search, moderation and custom tools.
        """
        entry = self._model(model, "llm")
        if n is not None and n != 1:
            raise NotSupportedError("inline::llama-cpp generates one choice per request (n=1)", param="n")
        if modalities is not None and modalities != ["text"]:
            raise NotSupportedError("inline::llama-cpp answers in text only", param="modalities")
        _params.refuse(
            audio=audio,
            reasoning_effort=reasoning_effort,
            verbosity=verbosity,
            web_search_options=web_search_options,
            moderation=moderation,
        )
        if not messages:
            raise InvalidRequestError("messages must hold at least one message", param="messages")
        extra = _params.check_extra_body(extra_body)
        plan = plan_tools(tools, tool_choice, functions, function_call, parallel_tool_calls)
        template_input, template_tools = template_messages(
            messages, plan, template_has_tools=entry.engine.supports_tools_in_template()
        )
        request = GenerationRequest(
            prompt=ChatPrompt(template_input, template_tools),
            max_tokens=_params.max_new_tokens(max_tokens, max_completion_tokens),
            stop=_params.stops(stop),
            sampling=self._sampling(
                entry, temperature, top_p, presence_penalty, frequency_penalty, seed, logit_bias, extra
            ),
            grammar=_params.grammar(
                response_format,
                extra=extra,
                tool_schema=plan.forced_schema() if plan.mode == "forced" else None,
            ),
            logprobs=_params.chat_logprobs(logprobs, top_logprobs),
        )
        ctx = _responses.ResponseContext(
            model=model,
            plan=plan,
            logprobs=request.logprobs is not None,
            include_usage=bool(stream_options and stream_options.include_usage),
            legacy_functions=functions is not None,
        )
        if stream:
            events = await entry.worker.stream(self._producer(entry, request))
            return _responses.chat_chunks(ctx, events)
        return _responses.chat_completion(ctx, await entry.worker.call(self._producer(entry, request)))

    def _sampling(
        self,
        entry: _Served,
        temperature: float | None,
        top_p: float | None,
        presence_penalty: float | None,
        frequency_penalty: float | None,
        seed: int | None,
        logit_bias: dict[str, float] | None,
        extra: dict[str, Any],
    ) -> Sampling:
        return _params.sampling(
            temperature=temperature,
            top_p=top_p,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            seed=seed,
            logit_bias=logit_bias,
            extra=extra,
            vocab_size=entry.engine.info.vocab_size,
        )

    # --- text completion -------------------------------------------------------------------------

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
        """Continue each prompt (a batch runs one prompt after the other); 16 new tokens unless ``max_tokens``.

        Raises ``NotSupportedError`` for ``n``/``best_of`` above 1, ``suffix``,
        ``prompt_logprobs``, and ``echo`` together with ``logprobs``.
        """
        entry = self._model(model, "llm")
        for name, value in (("n", n), ("best_of", best_of)):
            if value is not None and value != 1:
                raise NotSupportedError(
                    f"inline::llama-cpp generates one choice per prompt ({name}=1)", param=name
                )
        _params.refuse(suffix=suffix, prompt_logprobs=prompt_logprobs or None)
        top = _params.completion_logprobs(logprobs)
        if echo and top is not None:
            raise NotSupportedError(
                "inline::llama-cpp cannot report logprobs of an echoed prompt", param="echo"
            )
        extra = _params.check_extra_body(extra_body)
        limit = _params.max_new_tokens(max_tokens)
        base = GenerationRequest(
            prompt="",
            max_tokens=DEFAULT_COMPLETION_MAX_TOKENS if limit is None else limit,
            stop=_params.stops(stop),
            sampling=self._sampling(
                entry, temperature, top_p, presence_penalty, frequency_penalty, seed, logit_bias, extra
            ),
            grammar=_params.grammar(extra=extra, guided_choice=guided_choice),
            logprobs=top,
        )
        requests = [_replace_prompt(base, p) for p in _prompts(prompt)]
        ctx = _responses.ResponseContext(model=model, id=f"cmpl-{uuid.uuid4().hex}")
        if stream:
            first = await entry.worker.stream(self._producer(entry, requests[0]))
            include_usage = bool(stream_options and stream_options.include_usage)
            return self._completion_chunks(ctx, entry, requests, first, bool(echo), include_usage)
        choices = []
        prompt_tokens = completion_tokens = 0
        for index, request in enumerate(requests):
            events = await entry.worker.call(self._producer(entry, request))
            choice, started, finished = _responses.completion_choice(
                index, events, echo=bool(echo), logprobs=top is not None
            )
            choices.append(choice)
            prompt_tokens += started.prompt_tokens
            completion_tokens += finished.completion_tokens
        return OpenAICompletion(
            id=ctx.id,
            created=ctx.created,
            model=model,
            choices=choices,
            usage=_responses.usage(prompt_tokens, completion_tokens),
        )

    async def _completion_chunks(
        self,
        ctx: _responses.ResponseContext,
        entry: _Served,
        requests: list[GenerationRequest],
        first: AsyncIterator[GenerationEvent],
        echo: bool,
        include_usage: bool,
    ) -> AsyncIterator[OpenAICompletion]:
        prompt_tokens = completion_tokens = 0
        stream: AsyncIterator[GenerationEvent] | None = first
        try:
            for index, request in enumerate(requests):
                if stream is None:
                    stream = await entry.worker.stream(self._producer(entry, request))
                offset = 0
                async for event in stream:
                    choice = _responses.completion_event_choice(
                        index, event, echo=echo, logprobs=request.logprobs, offset=offset
                    )
                    if isinstance(event, Finished):
                        prompt_tokens += event.prompt_tokens
                        completion_tokens += event.completion_tokens
                    if choice is not None:
                        offset += len(choice.text)
                        yield _responses.completion_chunk(ctx, choice)
                stream = None
            if include_usage:
                yield OpenAICompletion(
                    id=ctx.id,
                    created=ctx.created,
                    model=ctx.model,
                    choices=[],
                    usage=_responses.usage(prompt_tokens, completion_tokens),
                )
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                await closer()

    # --- embeddings ------------------------------------------------------------------------------

    async def openai_embeddings(
        self,
        model: str,
        input: OpenAIEmbeddingsInput,
        encoding_format: Literal["float", "base64"] | None = "float",
        dimensions: int | None = None,
        user: str | None = None,
    ) -> OpenAIEmbeddingsResponse:
        """L2-normalised vectors from a model configured with ``model_type: embedding``.

        Raises ``NotSupportedError`` for chat models, token-id input and a
        ``dimensions`` other than the model's; ``InvalidRequestError`` for empty
        input or a text longer than the context window.
        """
        entry = self._model(model, "embedding")
        if isinstance(input, str):
            texts = [input]
        elif all(isinstance(item, str) for item in input):
            texts = [str(item) for item in input]
        else:
            raise NotSupportedError("inline::llama-cpp embeds text, not token ids", param="input")
        if not texts:
            raise InvalidRequestError("input must hold at least one text", param="input")
        size = entry.engine.info.embedding_dimension
        if dimensions is not None and dimensions != size:
            raise NotSupportedError(
                f"model {model!r} makes {size}-dimensional vectors and cannot shorten them (dimensions={dimensions})",
                param="dimensions",
            )
        vectors, tokens = await entry.worker.run(lambda: entry.engine.embed(texts))
        data = [
            OpenAIEmbeddingData(
                index=i, embedding=embedding_to_base64(v) if encoding_format == "base64" else v
            )
            for i, v in enumerate(vectors)
        ]
        return OpenAIEmbeddingsResponse(
            data=data, model=model, usage=OpenAIEmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
        )


def _prompts(prompt: OpenAICompletionPrompt) -> list[str | list[int]]:
    if isinstance(prompt, str):
        return [prompt]
    if not prompt:
        raise InvalidRequestError("prompt must not be empty", param="prompt")
    if all(isinstance(p, int) for p in prompt):
        return [[int(p) for p in prompt]]  # type: ignore[arg-type]
    prompts: list[str | list[int]] = []
    for item in prompt:
        if isinstance(item, int):
            raise InvalidRequestError("prompt mixes token ids and prompts", param="prompt")
        prompts.append(item)
    return prompts


def _replace_prompt(base: GenerationRequest, prompt: str | list[int]) -> GenerationRequest:
    return GenerationRequest(
        prompt=prompt,
        max_tokens=base.max_tokens,
        stop=base.stop,
        sampling=base.sampling,
        grammar=base.grammar,
        logprobs=base.logprobs,
    )


async def create(config: LlamaCppInferenceConfig, deps: dict[Any, Any]) -> LlamaCppInference:
    return LlamaCppInference(config)
