"""A FAKE vLLM OpenAI server (no model): a Starlette app answering in vLLM's documented shapes.

What it reproduces: ``/health``; ``/v1/models`` with ``max_model_len`` (and
``root`` / ``parent``); chat completions with tool calls, streamed tool-call
deltas the way vLLM's tool parsers emit them (id, type and name first, then the
arguments in pieces), guided decoding (``guided_json`` / ``guided_choice`` /
``guided_regex`` / ``guided_grammar`` and ``response_format``), logprobs and
``stream_options.include_usage``; text completions; embeddings (float and
base64); vLLM's 400 "maximum context length" error and its 404 for an unknown
model; ``--api-key`` auth (401 ``{"error": "Unauthorized"}``).

The answer is ``"vllm: " + <last user text>``, one word per stream chunk, a
"token" being a whitespace-separated word. Every request body is kept in
``requests`` and every client port in ``peers`` for tests to look at; a stream
the client abandons adds ``"stream-aborted"`` to ``events``. A body field
``fake_fault`` (sent through ``extra_body``) makes it fail on purpose:
``429``, ``503``, ``500``, ``slow`` (answers after 2 s), ``garbage`` (200 with
HTML), ``off-schema`` (200 JSON that is not a completion), ``midstream`` (a
stream that sends an error event after its first chunk).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHAT_MODEL = "meta-llama/Llama-3.2-1B-Instruct"
LORA_MODEL = "sql-lora"
EMBED_MODEL = "intfloat/e5-small-v2"
EMBEDDING_DIMENSION = 4


@dataclass
class FakeVLLM:
    """State and behaviour of one fake server; ``app`` is what to serve."""

    max_model_len: dict[str, int] = field(
        default_factory=lambda: {CHAT_MODEL: 64, LORA_MODEL: 64, EMBED_MODEL: 512}
    )
    api_key: str | None = None
    token_delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/health", self.health),
                Route("/v1/models", self.models),
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/completions", self.completions, methods=["POST"]),
                Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            ]
        )

    # --- routes ----------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return Response(status_code=200)

    async def models(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        data = [
            {
                "id": model_id,
                "object": "model",
                "created": 1700000000,
                "owned_by": "vllm",
                "root": CHAT_MODEL if model_id == LORA_MODEL else model_id,
                "parent": CHAT_MODEL if model_id == LORA_MODEL else None,
                "max_model_len": length,
                "permission": [{"id": "modelperm-1", "object": "model_permission", "allow_sampling": True}],
            }
            for model_id, length in self.max_model_len.items()
        ]
        return JSONResponse({"object": "list", "data": data})

    async def chat(self, request: Request) -> Response:
        body, problem = await self._accept(request)
        if problem is not None:
            return problem
        prompt_tokens = sum(len(_text(m.get("content")).split()) for m in body["messages"])
        if overflow := self._overflow(body, prompt_tokens):
            return overflow
        user = next((m for m in reversed(body["messages"]) if m.get("role") == "user"), {})
        text = _text(user.get("content"))
        if body.get("tools") and "weather" in text and body.get("tool_choice") != "none":
            return self._tool_call(body, prompt_tokens)
        content = _guided(body) or f"vllm: {text}"
        words = content.split(" ")
        usage = _usage(prompt_tokens, len(words))
        if body.get("stream"):
            return self._stream(body, [w if i == 0 else " " + w for i, w in enumerate(words)], usage)
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": content, "tool_calls": [], "reasoning_content": None},
            "logprobs": _chat_logprobs(words, body.get("top_logprobs") or 0)
            if body.get("logprobs")
            else None,
            "finish_reason": "stop",
            "stop_reason": None,
        }
        return JSONResponse(_envelope("chat.completion", body["model"], [choice], usage))

    async def completions(self, request: Request) -> Response:
        body, problem = await self._accept(request)
        if problem is not None:
            return problem
        prompt = body["prompt"] if isinstance(body["prompt"], str) else " ".join(map(str, body["prompt"]))
        prompt_tokens = len(prompt.split())
        if overflow := self._overflow(body, prompt_tokens):
            return overflow
        text = _guided(body) or f"vllm: {prompt}"
        words = text.split(" ")
        usage = _usage(prompt_tokens, len(words))
        if body.get("stream"):
            pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
            return self._stream(body, pieces, usage, chat=False)
        logprobs = _completion_logprobs(words, body["logprobs"]) if body.get("logprobs") is not None else None
        choice = {"index": 0, "text": text, "logprobs": logprobs, "finish_reason": "stop"}
        return JSONResponse(_envelope("text_completion", body["model"], [choice], usage))

    async def embeddings(self, request: Request) -> Response:
        body, problem = await self._accept(request)
        if problem is not None:
            return problem
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = []
        for index, text in enumerate(texts):
            vector = _vector(str(text))
            if body.get("encoding_format") == "base64":
                embedding: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            else:
                embedding = vector
            data.append({"index": index, "object": "embedding", "embedding": embedding})
        tokens = sum(len(str(t).split()) for t in texts)
        return JSONResponse(
            {
                "id": "embd-1",
                "object": "list",
                "created": int(time.time()),
                "model": body["model"],
                "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0},
            }
        )

    # --- behaviour -------------------------------------------------------------------------

    async def _accept(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        """Record the request; answer auth failures, unknown models and injected faults."""
        body: dict[str, Any] = await request.json()
        self.requests.append(body)
        if request.client is not None:
            self.peers.append(request.client.port)
        if denied := self._denied(request):
            return body, denied
        if body.get("model") not in self.max_model_len:
            # vLLM's older error shape (top-level fields); newer ones nest them under "error"
            return body, JSONResponse(
                {
                    "object": "error",
                    "message": f"The model `{body.get('model')}` does not exist.",
                    "type": "NotFoundError",
                    "param": None,
                    "code": 404,
                },
                status_code=404,
            )
        fault = body.get("fake_fault")
        if fault == "429":
            return body, _error(429, "Too many requests", "TooManyRequests", {"Retry-After": "7"})
        if fault == "503":
            return body, _error(503, "The engine is restarting", "ServiceUnavailable")
        if fault == "500":
            return body, Response("Internal Server Error", status_code=500, media_type="text/plain")
        if fault == "garbage":
            return body, Response("<html>upstream proxy says hi</html>", media_type="text/html")
        if fault == "off-schema":
            return body, JSONResponse({"id": "x", "choices": "not a list"})
        if fault == "slow":
            await asyncio.sleep(2.0)
        return body, None

    def _denied(self, request: Request) -> Response | None:
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return JSONResponse({"error": "Unauthorized"}, status_code=401)

    def _overflow(self, body: dict[str, Any], prompt_tokens: int) -> Response | None:
        limit = self.max_model_len[body["model"]]
        completion = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        if prompt_tokens + completion <= limit:
            return None
        return _error(
            400,
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{prompt_tokens + completion} tokens ({prompt_tokens} in the messages, {completion} in the "
            "completion). Please reduce the length of the messages or completion.",
            "BadRequestError",
        )

    def _tool_call(self, body: dict[str, Any], prompt_tokens: int) -> Response:
        name = body["tools"][0]["function"]["name"]
        arguments = json.dumps({"city": "Paris", "unit": "celsius"})
        call_id = "chatcmpl-tool-5b1f0c"
        if not body.get("stream"):
            choice = {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
                "stop_reason": None,
            }
            return JSONResponse(
                _envelope("chat.completion", body["model"], [choice], _usage(prompt_tokens, 9))
            )
        head = {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}, {"tool_calls": [head]}]
        for piece in (arguments[:10], arguments[10:25], arguments[25:]):
            deltas.append({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        return self._sse(body, deltas, "tool_calls", _usage(prompt_tokens, 9))

    def _stream(
        self, body: dict[str, Any], pieces: list[str], usage: dict[str, int], chat: bool = True
    ) -> Response:
        if not chat:
            return self._sse(body, pieces, "stop", usage, chat=False)
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in pieces]
        return self._sse(body, deltas, "stop", usage)

    def _sse(
        self,
        body: dict[str, Any],
        items: list[Any],
        finish: str,
        usage: dict[str, int],
        chat: bool = True,
    ) -> Response:
        model, created, cid = body["model"], int(time.time()), "chatcmpl-fake-vllm"
        kind = "chat.completion.chunk" if chat else "text_completion"
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        midstream = body.get("fake_fault") == "midstream"

        def event(payload: dict[str, Any]) -> bytes:
            return b"data: " + json.dumps(payload).encode() + b"\n\n"

        async def events() -> AsyncIterator[bytes]:
            finished = False
            try:
                for index, item in enumerate(items):
                    if self.token_delay_s:
                        await asyncio.sleep(self.token_delay_s)
                    if chat:
                        choice: dict[str, Any] = {
                            "index": 0,
                            "delta": item,
                            "logprobs": None,
                            "finish_reason": None,
                        }
                    else:
                        choice = {"index": 0, "text": item, "logprobs": None, "finish_reason": None}
                    yield event(
                        {"id": cid, "object": kind, "created": created, "model": model, "choices": [choice]}
                    )
                    if midstream and index == 0:
                        error = {"message": "CUDA out of memory", "type": "InternalServerError", "code": 500}
                        yield event({"error": error})
                        yield b"data: [DONE]\n\n"
                        finished = True
                        return
                last: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": finish}
                last.update({"delta": {}} if chat else {"text": ""})
                yield event(
                    {"id": cid, "object": kind, "created": created, "model": model, "choices": [last]}
                )
                if include_usage:
                    yield event(
                        {
                            "id": cid,
                            "object": kind,
                            "created": created,
                            "model": model,
                            "choices": [],
                            "usage": usage,
                        }
                    )
                yield b"data: [DONE]\n\n"
                finished = True
            finally:
                if not finished:
                    self.events.append("stream-aborted")

        return StreamingResponse(events(), media_type="text/event-stream")


# --- helpers ---------------------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _guided(body: dict[str, Any]) -> str | None:
    """What guided decoding would constrain the answer to, in a form tests can check."""
    if body.get("guided_choice"):
        return str(body["guided_choice"][0])
    if body.get("guided_regex"):
        return f"matches {body['guided_regex']}"
    if body.get("guided_grammar"):
        return "grammar-constrained"
    schema = body.get("guided_json")
    response_format = body.get("response_format") or {}
    if schema is None and response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
    if schema is None:
        return None
    if isinstance(schema, str):
        schema = json.loads(schema)
    samples = {"string": "text", "integer": 1, "number": 1.5, "boolean": True}
    properties = schema.get("properties", {})
    return json.dumps({name: samples.get(spec.get("type")) for name, spec in properties.items()})


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _envelope(kind: str, model: str, choices: list[Any], usage: dict[str, int]) -> dict[str, Any]:
    prefix = "chatcmpl" if kind == "chat.completion" else "cmpl"
    return {
        "id": f"{prefix}-fake-vllm",
        "object": kind,
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage,
        "prompt_logprobs": None,
    }


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": status}},
        status_code=status,
        headers=headers,
    )


def _logprob(word: str, rank: int) -> float:
    return -round(0.1 * (rank + 1) + len(word) / 100, 4)


def _chat_logprobs(words: list[str], top: int) -> dict[str, Any]:
    return {
        "content": [
            {
                "token": word,
                "logprob": _logprob(word, 0),
                "bytes": list(word.encode()),
                "top_logprobs": [
                    {"token": f"{word}{'~' * k}", "logprob": _logprob(word, k), "bytes": None}
                    for k in range(top)
                ],
            }
            for word in words
        ]
    }


def _completion_logprobs(words: list[str], top: int) -> dict[str, Any]:
    offsets, position = [], 0
    for word in words:
        offsets.append(position)
        position += len(word) + 1
    return {
        "text_offset": offsets,
        "token_logprobs": [_logprob(w, 0) for w in words],
        "tokens": words,
        "top_logprobs": [{f"{w}{'~' * k}": _logprob(w, k) for k in range(max(top, 1))} for w in words],
    }


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round((digest[i] - 127.5) / 128, 6) for i in range(EMBEDDING_DIMENSION)]
