"""``remote::ollama``: the Inference API in front of an Ollama server.

Which Ollama API: generation goes to Ollama's OpenAI-compatible ``/v1``
(``chat/completions``, ``completions``, ``embeddings``), so requests and
answers (tool calls, streamed chunks, ``response_format`` with a JSON Schema,
usage) pass through in the shapes our API already has, with the same HTTP
backend, SSE parser and error mapping as every OpenAI-compatible engine. The
native ``/api`` is used for what ``/v1`` cannot say: ``/api/tags`` lists the
pulled models, ``/api/show`` tells embedding models from LLMs and gives their
context length, ``/api/version`` is the health check.

Ollama's ``/v1`` ignores options it does not know instead of refusing them;
this provider refuses those (``NotSupportedError``) rather than let a request
silently lose them. A model that is not pulled is a ``NotFoundError`` saying
to run ``ollama pull``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, ClassVar

from llama_stack_api import (
    LlamaStackError,
    Model,
    ModelType,
    NotFoundError,
    NotSupportedError,
)
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure, default_error, public_url
from llama_stack_providers.utils.inference.native_adapter import NativeOverOpenAIMixin
from llama_stack_providers.utils.inference.openai_compat import OpenAICompatInference
from llama_stack_providers.utils.inference.openai_wire import json_bytes, parse_json

from .config import OllamaInferenceConfig

logger = logging.getLogger(__name__)

_NOT_FOUND_MODEL = re.compile(r"model ['\"]([^'\"]+)['\"] not found")


class OllamaInference(NativeOverOpenAIMixin, OpenAICompatInference):
    """Ollama's pulled models through its ``/v1`` API; see the module docstring for why ``/v1``."""

    label = "remote::ollama"
    # Ollama's /v1 has no options beyond OpenAI's (checked against Ollama's openai/openai.go)
    supported_extra_body_keys: ClassVar[frozenset[str] | None] = frozenset()

    def __init__(self, config: OllamaInferenceConfig) -> None:
        self.root = config.url.rstrip("/")
        super().__init__(base_url=f"{self.root}/v1", config=config)
        self.config = config

    # --- requests --------------------------------------------------------------------------

    def prepare(self, path: str, body: dict[str, Any], extra_body: dict[str, Any] | None) -> dict[str, Any]:
        unsupported = [f"extra_body.{key}" for key in extra_body or {}]
        if (body.get("n") or 1) > 1:
            unsupported.append("n > 1")
        if path == "chat/completions":
            if body.get("logprobs") or body.get("top_logprobs"):
                unsupported.append("logprobs")
            for name in ("logit_bias", "audio", "prediction"):
                if body.get(name) is not None:
                    unsupported.append(name)
            choice = body.get("tool_choice")
            if choice == "none":
                # "never call a tool" is what Ollama does when it is shown none
                body = {k: v for k, v in body.items() if k not in ("tools", "tool_choice")}
            elif choice not in (None, "auto"):
                unsupported.append("tool_choice other than 'auto' or 'none'")
            if body.get("max_completion_tokens") is not None and body.get("max_tokens") is None:
                body = {**body, "max_tokens": body["max_completion_tokens"]}  # /v1 reads only max_tokens
            body.pop("max_completion_tokens", None)
        elif path == "completions":
            if not isinstance(body.get("prompt"), str):
                unsupported.append("a prompt that is not a single string")
            for name in ("logprobs", "echo", "guided_choice", "prompt_logprobs", "logit_bias"):
                if body.get(name):
                    unsupported.append(name)
            if (body.get("best_of") or 1) > 1:
                unsupported.append("best_of > 1")
        if unsupported:
            raise NotSupportedError(
                f"{self.label} cannot honour {', '.join(unsupported)}: Ollama's OpenAI-compatible API "
                "has no such option (it would ignore it); leave it out or use another provider",
                code="unsupported_option",
            )
        return body

    def map_error(self, failure: UpstreamFailure) -> LlamaStackError:
        if failure.status == 404 and "not found" in failure.message:
            match = _NOT_FOUND_MODEL.search(failure.message)
            if match:
                return not_pulled(match.group(1), self.root)
        return default_error(failure)

    # --- models and health -----------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        return await self.probe(f"{self.root}/api/version")

    async def pulled_models(self) -> list[dict[str, Any]] | None:
        """``/api/tags``'s ``models`` (one per pulled model); ``None`` when Ollama cannot be asked."""
        try:
            tags = await self.fetch_json(f"{self.root}/api/tags")
        except LlamaStackError as exc:
            logger.warning("model discovery skipped: %s", exc.message)
            return None
        models = tags.get("models") if isinstance(tags, dict) else None
        if not isinstance(models, list):
            logger.warning("%s: %s/api/tags did not list models", self.label, public_url(self.root))
            return None
        return [m for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)]

    async def list_provider_models(self) -> list[Model] | None:
        pulled = await self.pulled_models()
        if pulled is None:
            return None
        shown = await asyncio.gather(*(self._show(entry["name"]) for entry in pulled))
        return [self._model(entry, show) for entry, show in zip(pulled, shown, strict=True)]

    async def check_model(self, model: Model) -> Model:
        """Refuse a model that is not pulled (when Ollama can be asked); add what ``/api/show`` tells."""
        pulled = await self.pulled_models()
        if pulled is None:
            return model
        key = model.provider_key
        names = {entry["name"] for entry in pulled}
        if key not in names and f"{key}:latest" not in names:
            raise not_pulled(key, self.root)
        found = self._model({"name": key}, await self._show(key))
        return model.model_copy(update={"metadata": {**found.metadata, **model.metadata}})

    async def _show(self, name: str) -> dict[str, Any]:
        """``/api/show`` for one model; empty when it fails (the listing still works without it)."""
        url = f"{self.root}/api/show"
        try:
            raw = await self.http.request("POST", url, body=json_bytes({"model": name}))
            shown = parse_json(raw, label=self.label, url=url)
        except LlamaStackError as exc:
            logger.info("%s: /api/show %s failed: %s", self.label, name, exc.message)
            return {}
        return shown if isinstance(shown, dict) else {}

    def _model(self, entry: dict[str, Any], show: dict[str, Any]) -> Model:
        name: str = entry["name"]
        raw_info = show.get("model_info")
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        architecture = info.get("general.architecture")
        capabilities = show.get("capabilities")
        if isinstance(capabilities, list):
            is_embedding = "embedding" in capabilities
        else:  # Ollama before 0.6 does not report capabilities
            families = (entry.get("details") or {}).get("families") or []
            is_embedding = (
                name in self.config.embedding_models
                or "embed" in name.lower()
                or any("bert" in str(f) for f in families)
            )
        metadata: dict[str, Any] = {}
        if architecture:
            context = info.get(f"{architecture}.context_length")
            if isinstance(context, int):
                metadata["context_length"] = context
            dimension = info.get(f"{architecture}.embedding_length")
            if is_embedding and isinstance(dimension, int):
                metadata["embedding_dimension"] = dimension
        return Model(
            identifier=name,
            provider_id="ollama",  # the registry sets the real provider id when it adopts the model
            provider_resource_id=name,
            model_type=ModelType.embedding if is_embedding else ModelType.llm,
            metadata=metadata,
        )


def not_pulled(name: str, root: str) -> NotFoundError:
    return NotFoundError(
        f"model {name!r} is not pulled in Ollama at {public_url(root)}; run `ollama pull {name}`",
        param="model",
        code="model_not_pulled",
    )


async def create(config: OllamaInferenceConfig, deps: dict[Any, Any]) -> OllamaInference:
    return OllamaInference(config)
