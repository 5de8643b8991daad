"""`llama-stack run`: start the stack, then serve it with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

import typer

from ._doctor import load
from ._errors import config_errors_exit
from ._table import render_table

GRACEFUL_SHUTDOWN_S = 10


def serve(ref: str, *, port: int | None, host: str | None, env: dict[str, str]) -> None:
    loaded = load(ref, env)
    server_config = loaded.config.server
    bind_host = host or server_config.host
    bind_port = port if port is not None else server_config.port
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(loaded, bind_host, bind_port))


async def _serve(loaded: object, host: str, port: int) -> None:
    import uvicorn

    from ..server import app_summary, create_app
    from ..stack import start_stack
    from ._doctor import Loaded

    assert isinstance(loaded, Loaded)
    with config_errors_exit(loaded.path):
        stack = await start_stack(loaded.config)
    server_config = loaded.config.server
    app = create_app(stack, server_config)
    tls = server_config.tls
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        ssl_certfile=tls.certfile if tls else None,
        ssl_keyfile=tls.keyfile if tls else None,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving  # re-raises a bind failure
        print(f"could not listen on {host}:{port}", file=sys.stderr)
        raise typer.Exit(1)
    scheme = "https" if tls else "http"
    print(f"Llama Stack: distribution {loaded.config.name!r} from {loaded.path}")
    print(render_table(("API", "provider id", "provider type"), app_summary(stack)))
    print(f"Listening on {scheme}://{host}:{port} (Ctrl-C to stop)", flush=True)
    await serving
