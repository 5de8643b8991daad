"""``remote::vllm``: the Inference API in front of a vLLM OpenAI-compatible server.

Requests pass through unchanged, so vLLM's own options work: tool calls (and
streamed tool-call deltas), ``response_format`` with a JSON Schema, guided
decoding in ``extra_body`` (``guided_json``, ``guided_regex``,
``guided_choice``, ``guided_grammar``, or ``structured_outputs`` on newer
vLLM), ``top_k``, ``repetition_penalty``, logprobs. Models and their
``max_model_len`` come from ``/v1/models``; a prompt longer than that is
refused by vLLM and reported here with both numbers.
"""

from __future__ import annotations

import re
from typing import Any

from llama_stack_api import (
    InvalidRequestError,
    LlamaStackError,
    Model,
    ModelType,
    NotFoundError,
    current_provider_data,
)
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure, default_error, public_url
from llama_stack_providers.utils.inference.native_adapter import NativeOverOpenAIMixin
from llama_stack_providers.utils.inference.openai_compat import OpenAICompatInference

from .config import PROVIDER_DATA_API_TOKEN, VLLMInferenceConfig

_MAX_CONTEXT = re.compile(r"maximum context length is (\d+)")
# vLLM has worded the overflow several ways over its versions
_REQUESTED_TOTAL = (
    re.compile(r"you requested (\d+) tokens"),
    re.compile(r"for a total of at least (\d+) tokens"),
)
_PROMPT_TOKENS = (
    re.compile(r"\((\d+) in the messages"),
    re.compile(r"your request has (\d+) input tokens"),
    re.compile(r"your prompt contains at least (\d+) input tokens"),
)
_COMPLETION_TOKENS = (
    re.compile(r"(\d+) in the completion"),
    re.compile(r"is too large: (\d+)"),
    re.compile(r"you requested (\d+) output tokens"),
)


class VLLMInference(NativeOverOpenAIMixin, OpenAICompatInference):
    """vLLM's OpenAI server, passed through; the native routes are served by converting to it."""

    label = "remote::vllm"

    def __init__(self, config: VLLMInferenceConfig) -> None:
        super().__init__(base_url=config.url, config=config)
        self.config = config

    def credentials(self) -> tuple[dict[str, str], tuple[str, ...]]:
        token = current_provider_data().get(PROVIDER_DATA_API_TOKEN)
        if not isinstance(token, str) or not token:
            token = self.config.api_token.get_secret_value() if self.config.api_token else ""
        if not token:
            return {}, ()
        return {"Authorization": f"Bearer {token}"}, (token,)

    def map_error(self, failure: UpstreamFailure) -> LlamaStackError:
        if failure.status == 400 and _MAX_CONTEXT.search(failure.message):
            return context_length_error(failure)
        return default_error(failure)

    async def health(self) -> dict[str, Any]:
        """``GET /health`` beside the ``/v1`` routes (vLLM's liveness probe), else ``GET /v1/models``."""
        base = self.http.base_url
        return await self.probe(base.removesuffix("/v1") + "/health" if base.endswith("/v1") else "models")

    async def list_provider_models(self) -> list[Model] | None:
        entries = await self.fetch_model_entries()
        if entries is None:
            return None
        return [self._model(entry) for entry in entries]

    async def check_model(self, model: Model) -> Model:
        """Refuse a model vLLM does not serve (when it can tell); add its ``context_length``."""
        entries = await self.fetch_model_entries()
        if entries is None:
            return model
        by_id = {entry["id"]: entry for entry in entries}
        entry = by_id.get(model.provider_key)
        if entry is None:
            raise NotFoundError(
                f"{self.label} at {public_url(self.http.base_url)} does not serve model {model.provider_key!r}; it "
                f"serves: {', '.join(sorted(by_id)) or 'none'} (vllm serve <model> picks it)",
                param="provider_model_id",
                code="model_not_found",
            )
        found = self._model(entry)
        return model.model_copy(update={"metadata": {**found.metadata, **model.metadata}})

    def _model(self, entry: dict[str, Any]) -> Model:
        model_id: str = entry["id"]
        metadata: dict[str, Any] = {}
        if isinstance(entry.get("max_model_len"), int):
            metadata["context_length"] = entry["max_model_len"]
        if isinstance(entry.get("parent"), str):  # a LoRA adapter on top of a base model
            metadata["base_model"] = entry["parent"]
        is_embedding = model_id in self.config.embedding_models
        return Model(
            identifier=model_id,
            provider_id="vllm",  # the registry sets the real provider id when it adopts the model
            provider_resource_id=model_id,
            model_type=ModelType.embedding if is_embedding else ModelType.llm,
            metadata=metadata,
        )


def context_length_error(failure: UpstreamFailure) -> InvalidRequestError:
    """vLLM's "maximum context length" 400 as a 400 that states the limit and what was asked."""
    said = failure.message
    limit = int(_MAX_CONTEXT.search(said).group(1))  # type: ignore[union-attr]  # checked by the caller
    prompt = _first_number(_PROMPT_TOKENS, said)
    completion = _first_number(_COMPLETION_TOKENS, said)
    total = _first_number(_REQUESTED_TOTAL, said)
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    if total is not None:
        parts = [f"{prompt} in the prompt" if prompt is not None else ""]
        parts.append(f"{completion} for the completion" if completion is not None else "")
        detail = ", ".join(p for p in parts if p)
        asked = f"the request needs {total} tokens" + (f" ({detail})" if detail else "")
    elif prompt is not None:
        asked = f"the prompt alone has {prompt} tokens"
    else:
        asked = "the request needs more tokens than that"
    return InvalidRequestError(
        f"{failure.where}: the model's context is {limit} tokens (vLLM max_model_len) but {asked}; "
        f"shorten the messages or lower max_tokens. vLLM said: {said}",
        param="messages",
        code="context_length_exceeded",
    )


def _first_number(patterns: tuple[re.Pattern[str], ...], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


async def create(config: VLLMInferenceConfig, deps: dict[Any, Any]) -> VLLMInference:
    return VLLMInference(config)
