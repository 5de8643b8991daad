"""`llama-stack run`: start the stack, then serve it with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from ._doctor import Loaded, load
from ._errors import config_errors_exit
from ._table import render_table

if TYPE_CHECKING:
    import uvicorn

    from ..stack import Stack

GRACEFUL_SHUTDOWN_S = 10
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(ref: str, *, port: int | None, host: str | None, env: dict[str, str]) -> None:
    """Serve until SIGINT or SIGTERM; both shut down gracefully and exit 0."""
    loaded = load(ref, env)
    server_config = loaded.config.server
    bind_host = host or server_config.host
    bind_port = port if port is not None else server_config.port
    from ..server import event_loop_factory

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with (
        contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError),
        asyncio.Runner(loop_factory=event_loop_factory()) as runner,
    ):
        runner.run(_serve(loaded, bind_host, bind_port))


class _Stopper:
    """Turns SIGINT/SIGTERM into a graceful stop: cancel startup, or ask uvicorn to drain.

    uvicorn's own handlers re-raise the signal after shutting down, which makes
    SIGTERM kill the process (exit -15) instead of exiting 0; these do not.
    A second SIGINT while draining forces the exit, as in uvicorn.
    """

    def __init__(self, main: asyncio.Task[Any]) -> None:
        self.main = main
        self.server: uvicorn.Server | None = None

    def __call__(self, signum: int) -> None:
        server = self.server
        if server is None:
            self.main.cancel()  # still starting: providers built so far shut down on cancellation
        elif server.should_exit and signum == signal.SIGINT:
            server.force_exit = True
        else:
            server.should_exit = True


def _uvicorn_server(config: uvicorn.Config) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # signals are handled by _Stopper on the event loop

    return Server(config)


async def _serve(loaded: Loaded, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    stopper = _Stopper(main)
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, stopper, signum)
    try:
        await _start_and_serve(loaded, host, port, stopper)
    finally:
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)


async def _start_and_serve(loaded: Loaded, host: str, port: int, stopper: _Stopper) -> None:
    from ..stack import start_stack

    listener = _bind(host, port)  # before the providers start: a busy port should fail fast
    try:
        with config_errors_exit(loaded.path):
            stack = await start_stack(loaded.config)
        try:
            await _serve_stack(loaded, stack, listener, host, port, stopper)
        finally:
            # the app's lifespan shuts the stack down once serving began; this covers a stop
            # before that (shutting down twice is a no-op)
            await stack.shutdown()
    finally:
        listener.close()


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; exit 1 with the reason when the address cannot be used."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as exc:
        print(f"could not listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as exc:
        listener.close()
        print(f"could not listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    return listener


async def _serve_stack(
    loaded: Loaded, stack: Stack, listener: socket.socket, host: str, port: int, stopper: _Stopper
) -> None:
    import uvicorn

    from ..server import app_summary, create_app

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
    server = _uvicorn_server(config)
    stopper.server = server
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving  # re-raises what stopped it
        if not server.should_exit:
            print(f"could not listen on {host}:{port}", file=sys.stderr)
            raise typer.Exit(1)
        return  # stopped by a signal before it was listening
    scheme = "https" if tls else "http"
    print(f"Llama Stack: distribution {loaded.config.name!r} from {loaded.path}")
    print(render_table(("API", "provider id", "provider type"), app_summary(stack)))
    bound_port = listener.getsockname()[1]  # the real port when 0 asked the OS for one
    print(f"Listening on {scheme}://{host}:{bound_port} (Ctrl-C to stop)", flush=True)
    await serving
