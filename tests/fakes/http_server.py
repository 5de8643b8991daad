"""Serve any ASGI app (a fake engine) with a real uvicorn on an ephemeral 127.0.0.1 port, in a thread.

    with serve_asgi(app) as base_url:
        httpx.get(f"{base_url}/health")

Used by the fake vLLM and Ollama servers, which remote providers talk to over
real sockets exactly as they talk to the real engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any, Literal

import uvicorn

STARTUP_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve_asgi(app: Any, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Serve ``app`` until the block ends; yields ``http://127.0.0.1:<port>``.

    ``lifespan="on"`` for apps that start work in their lifespan (an MCP server's session manager).
    """
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=2
        )
    )
    ready = threading.Event()
    failure: list[BaseException] = []

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        ready.set()
        try:
            await task
        except BaseException as exc:  # reported to the caller's thread by the ready check
            failure.append(exc)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="fake-engine", daemon=True)
    thread.start()
    if not ready.wait(STARTUP_TIMEOUT_S) or not server.started:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)
        raise RuntimeError(f"the fake engine did not start: {failure or 'timeout'}")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)


def closed_port_url() -> str:
    """A 127.0.0.1 URL nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
