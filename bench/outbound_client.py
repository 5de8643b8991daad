"""Outbound HTTP client benchmark: aiohttp vs httpx vs httpx2 POSTing small JSON to a local server.

Usage: python bench/outbound_client.py [--requests N] [--concurrency 1,8,32] [--stream]
                                      [--clients aiohttp,httpx,httpx2,provider]

The remote inference providers keep one long-lived async client per provider
instance; this picks its library by measurement. A canned-response HTTP/1.1
server (keep-alive, a fixed ``chat.completion`` body, or a 16-event SSE stream
for ``--stream``) runs in a separate process so the client's CPU time is its
own. ``provider`` is ``remote::openai`` itself (our JSON body, aiohttp, the
answer validated into our pydantic types), to show what our layer adds to the
bare client. Each client POSTs a small chat request with a pooled, kept-alive
connection per concurrent worker. For each client and concurrency it prints
requests/s (wall clock) and the client process's CPU microseconds per request
(``time.process_time``); the best of ``--repeat`` rounds is kept. It asserts
nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

BODY = json.dumps(
    {"model": "m", "messages": [{"role": "user", "content": "Say hello in one word."}], "max_tokens": 8}
).encode()
RESPONSE = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
).encode()
STREAM_EVENTS = 16
CHUNK = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": " word"}, "finish_reason": None}],
    }
).encode()
STREAM_BODY = b"".join(b"data: " + CHUNK + b"\n\n" for _ in range(STREAM_EVENTS)) + b"data: [DONE]\n\n"


# --- the canned server (its own process) ------------------------------------------------------


class _CannedHTTP(asyncio.Protocol):
    """Just enough HTTP/1.1: read head + Content-Length body, answer, keep the connection."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            body = self.buffer[head_end + 4 : end]
            self.buffer = self.buffer[end:]
            self._answer(head.split(" ", 2)[1], body)

    def _answer(self, path: str, body: bytes) -> None:
        assert self.transport is not None
        if path.endswith("/stream") or b'"stream":true' in body:
            # chunked, like an SSE stream from vLLM or OpenAI
            head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            pieces = [STREAM_BODY[i : i + 256] for i in range(0, len(STREAM_BODY), 256)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
            self.transport.write(head + body)
            return
        self.transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(RESPONSE), RESPONSE)
        )


def _serve(sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_CannedHTTP, sock=sock)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the clients ------------------------------------------------------------------------------

Post = Callable[[], Awaitable[int]]


@dataclass
class Result:
    client: str
    concurrency: int
    requests: int
    wall_s: float
    cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.requests * 1e6


async def _aiohttp_client(
    url: str, concurrency: int, stream: bool
) -> tuple[Post, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=30),
    )
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}

    async def post() -> int:
        async with session.post(url, data=BODY, headers=headers) as response:
            if stream:
                events = 0
                async for line in response.content:
                    if line.startswith(b"data: ") and line[6:].strip() != b"[DONE]":
                        json.loads(line[6:])
                        events += 1
                return events
            json.loads(await response.read())
            return response.status

    return post, session.close


async def _httpx_client(
    module_name: str, url: str, concurrency: int, stream: bool
) -> tuple[Post, Callable[[], Awaitable[None]]]:
    module: Any = __import__(module_name)
    client = module.AsyncClient(
        limits=module.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        timeout=module.Timeout(30.0, connect=5.0),
    )
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}

    async def post() -> int:
        if stream:
            async with client.stream("POST", url, content=BODY, headers=headers) as response:
                events = 0
                async for line in response.aiter_lines():
                    if line.startswith("data: ") and line[6:].strip() != "[DONE]":
                        json.loads(line[6:])
                        events += 1
                return events
        response = await client.post(url, content=BODY, headers=headers)
        json.loads(response.content)
        return int(response.status_code)

    return post, client.aclose


async def _provider_client(
    url: str, concurrency: int, stream: bool
) -> tuple[Post, Callable[[], Awaitable[None]]]:
    """The whole outbound path of a remote provider: our JSON body, aiohttp, pydantic-validated answer."""
    from pydantic import SecretStr

    from llama_stack_api.inference import OpenAIChatCompletion, OpenAIUserMessageParam
    from llama_stack_providers.remote.inference.openai.config import OpenAIInferenceConfig
    from llama_stack_providers.remote.inference.openai.provider import OpenAIInference

    base_url = url.removesuffix("/stream").removesuffix("/chat/completions")
    config = OpenAIInferenceConfig(
        base_url=base_url, api_key=SecretStr("sk-bench"), max_connections=concurrency
    )
    impl = OpenAIInference(config)
    await impl.initialize()
    messages: list[Any] = [OpenAIUserMessageParam(content="Say hello in one word.")]

    async def post() -> int:
        result = await impl.openai_chat_completion(
            model="m", messages=messages, max_tokens=8, stream=stream or None
        )
        if isinstance(result, OpenAIChatCompletion):
            return 200
        return len([chunk async for chunk in result])

    return post, impl.shutdown


async def _run_one(client: str, url: str, concurrency: int, total: int, stream: bool) -> Result:
    if client == "aiohttp":
        post, close = await _aiohttp_client(url, concurrency, stream)
    elif client == "provider":
        post, close = await _provider_client(url, concurrency, stream)
    else:
        post, close = await _httpx_client(client, url, concurrency, stream)
    try:
        for _ in range(concurrency * 4):  # open and warm the pool
            await post()
        per_worker = total // concurrency

        async def worker() -> None:
            for _ in range(per_worker):
                await post()

        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return Result(client, concurrency, per_worker * concurrency, wall, cpu)
    finally:
        await close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement (default 3000)")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated (default 1,8,32)")
    parser.add_argument(
        "--clients",
        default="aiohttp,httpx,httpx2,provider",
        help="comma-separated; 'provider' is remote::openai's whole path (aiohttp + pydantic)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept (default 3)")
    parser.add_argument("--stream", action="store_true", help=f"an SSE stream of {STREAM_EVENTS} events")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    clients = [c for c in args.clients.split(",") if c]

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/v1/chat/completions" + ("/stream" if args.stream else "")
    versions = {}
    for name in clients:
        module = __import__("aiohttp" if name == "provider" else name)
        versions[name] = getattr(module, "__version__", "?")
    print(f"python {sys.version.split()[0]}, cpus {os.cpu_count()}, server in its own process")
    print("clients: " + ", ".join(f"{n} {v}" for n, v in versions.items()))
    kind = (
        f"SSE stream of {STREAM_EVENTS} events"
        if args.stream
        else f"{len(BODY)} B JSON in, {len(RESPONSE)} B out"
    )
    print(f"POST {kind}; {args.requests} requests per run, best of {args.repeat}")
    print(f"{'client':<9} {'conc':>4} {'req/s':>9} {'CPU us/req':>11}")
    try:
        for concurrency in levels:
            for client in clients:
                best: Result | None = None
                for _ in range(args.repeat):
                    result = asyncio.run(_run_one(client, url, concurrency, args.requests, args.stream))
                    if best is None or result.rps > best.rps:
                        best = result
                assert best is not None
                print(f"{client:<9} {concurrency:>4} {best.rps:>9.0f} {best.cpu_us:>11.0f}")
    finally:
        server.terminate()
        server.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
