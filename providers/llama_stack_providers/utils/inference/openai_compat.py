"""The OpenAI-shaped ``Inference`` methods over any OpenAI-compatible HTTP server (OpenAI, vLLM, Ollama /v1, ...).

A provider subclasses ``OpenAICompatInference``, says where the server is and
how to authenticate, and refines what it knows better (error wording, model
discovery). Requests pass through: every field the client sent, ``extra_body``
merged at the top level; answers are validated into our types, streams parsed
chunk by chunk.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from llama_stack_api import LlamaStackError
from llama_stack_api.inference import (
    OpenAIChatCompletion,
    OpenAIChatCompletionChunk,
    OpenAICompletion,
    OpenAICompletionPrompt,
    OpenAIEmbeddingsInput,
    OpenAIEmbeddingsResponse,
    OpenAIMessageParam,
)

from .http_backend import HTTPBackend
from .http_errors import UpstreamFailure, default_error, public_url
from .openai_wire import parse_json, parse_response, request_body
from .remote_config import RemoteHTTPConfig
from .sse import SSEStream

logger = logging.getLogger(__name__)

W = TypeVar("W", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)


class OpenAICompatInference:
    """``openai_chat_completion`` / ``openai_completion`` / ``openai_embeddings`` over HTTP.

    Subclasses set ``label`` (the provider type, named in every error) and may
    override ``credentials()``, ``map_error()`` and ``prepare()``. The methods
    take the Protocol's first parameters by name and the rest as ``**params``, so
    every field the Protocol gains later is passed on without a change here.
    """

    label: ClassVar[str] = "remote::openai-compatible"

    def __init__(self, *, base_url: str, config: RemoteHTTPConfig) -> None:
        self.http = HTTPBackend(label=self.label, base_url=base_url, config=config, map_error=self.map_error)

    # --- lifecycle -------------------------------------------------------------------------

    async def initialize(self) -> None:
        await self.http.start()

    async def shutdown(self) -> None:
        await self.http.close()

    # --- what subclasses refine ------------------------------------------------------------

    def credentials(self) -> tuple[dict[str, str], tuple[str, ...]]:
        """(headers to send, secrets to scrub from engine messages) for the request being served."""
        return {}, ()

    def map_error(self, failure: UpstreamFailure) -> LlamaStackError:
        """The contract error for an engine's HTTP error answer."""
        return default_error(failure)

    def prepare(self, path: str, body: dict[str, Any], extra_body: dict[str, Any] | None) -> dict[str, Any]:
        """Adjust a request body (named fields; ``extra_body`` is merged after) for this engine.

        Raise ``NotSupportedError`` here for an option the engine would ignore
        silently. ``path`` is ``chat/completions``, ``completions`` or ``embeddings``.
        """
        return body

    # --- the OpenAI-shaped Inference methods -----------------------------------------------

    async def openai_chat_completion(
        self, model: str, messages: list[OpenAIMessageParam], **params: Any
    ) -> OpenAIChatCompletion | AsyncIterator[OpenAIChatCompletionChunk]:
        return await self._generate(
            "chat/completions",
            {"model": model, "messages": messages, **params},
            OpenAIChatCompletion,
            OpenAIChatCompletionChunk,
        )

    async def openai_completion(
        self, model: str, prompt: OpenAICompletionPrompt, **params: Any
    ) -> OpenAICompletion | AsyncIterator[OpenAICompletion]:
        return await self._generate(
            "completions", {"model": model, "prompt": prompt, **params}, OpenAICompletion, OpenAICompletion
        )

    async def openai_embeddings(
        self, model: str, input: OpenAIEmbeddingsInput, **params: Any
    ) -> OpenAIEmbeddingsResponse:
        body = request_body(self.prepare("embeddings", {"model": model, "input": input, **params}, None))
        headers, secrets = self.credentials()
        raw = await self.http.request("POST", "embeddings", body=body, headers=headers, secrets=secrets)
        return parse_response(
            OpenAIEmbeddingsResponse, raw, label=self.label, url=self.http.url("embeddings"), secrets=secrets
        )

    async def _generate(
        self, path: str, arguments: dict[str, Any], whole: type[W], chunk: type[C]
    ) -> W | AsyncIterator[C]:
        extra_body = arguments.pop("extra_body", None)
        arguments = self.prepare(path, arguments, extra_body)
        body = request_body(arguments, extra_body)
        headers, secrets = self.credentials()
        url = self.http.url(path)
        if arguments.get("stream") or (extra_body or {}).get("stream"):
            response = await self.http.open_stream(path, body=body, headers=headers, secrets=secrets)
            return SSEStream(response, chunk.model_validate_json, label=self.label, url=url, secrets=secrets)
        raw = await self.http.request("POST", path, body=body, headers=headers, secrets=secrets)
        return parse_response(whole, raw, label=self.label, url=url, secrets=secrets)

    # --- discovery and health --------------------------------------------------------------

    async def fetch_json(self, path: str) -> Any:
        """GET ``path`` (under the base URL, or absolute) as JSON, with this request's credentials."""
        headers, secrets = self.credentials()
        raw = await self.http.request("GET", path, headers=headers, secrets=secrets)
        return parse_json(raw, label=self.label, url=self.http.url(path), secrets=secrets)

    async def fetch_model_entries(self, path: str = "models") -> list[dict[str, Any]] | None:
        """The ``data`` of an OpenAI ``GET /models``; ``None`` when the engine cannot tell.

        Discovery is best effort: an engine without the route, one that wants a
        per-request key, or one that is down at startup must not stop the stack,
        so those are logged and give ``None``.
        """
        try:
            listing = await self.fetch_json(path)
        except LlamaStackError as exc:
            logger.warning("model discovery skipped: %s", exc.message)
            return None
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, list):
            logger.warning(
                "%s: GET %s did not return an OpenAI model list", self.label, public_url(self.http.url(path))
            )
            return None
        return [entry for entry in data if isinstance(entry, dict) and isinstance(entry.get("id"), str)]

    async def probe(self, path: str) -> dict[str, Any]:
        """``health()``'s answer from a GET of ``path``: OK on any 2xx."""
        try:
            headers, secrets = self.credentials()
            await self.http.request("GET", path, headers=headers, secrets=secrets)
        except LlamaStackError as exc:
            return {"status": "Error", "message": exc.message}
        return {"status": "OK"}
