"""Running a stack server for a benchmark: ``llama-stack run`` on a free port, healthy, then stopped.

The benches run as scripts (``python bench/x.py``), so this folder is on ``sys.path`` and they import it
as ``from _server import ...``. Standard library only: bench/startup.sh may run a bare ``python3``.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LLAMA_STACK = str(Path(sys.executable).with_name("llama-stack"))
TEST_PLUGINS = "tests.fakes.plugin"
STOP_TIMEOUT_S = 30.0
LOG_TAIL_CHARS = 3000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServedServer:
    base_url: str  # http://127.0.0.1:<port>
    port: int
    process: subprocess.Popen[bytes]
    home: Path  # its LLAMA_STACK_HOME


@contextmanager
def serve(
    config: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    test_plugins: bool = False,
    home: Path | None = None,
    log: Path | None = None,
    launcher: Sequence[str] = (),
    poll_s: float = 0.2,
    startup_timeout_s: float = 300.0,
) -> Iterator[ServedServer]:
    """``llama-stack run <config> --port <free>`` from the repository root, healthy until the block ends.

    The server's environment is ours plus ``env``, with ``LLAMA_STACK_HOME`` set to ``home`` (a temporary
    folder, removed afterwards, when not given); ``test_plugins`` loads the fakes from tests/fakes
    (``LLAMA_STACK_PLUGINS``, the repository on ``PYTHONPATH``). Its stdout and stderr go to ``log`` when
    given; otherwise stdout is dropped and stderr is ours. ``launcher`` prefixes the command (for example
    ``taskset -c 0``). ``/v1/health`` is polled every ``poll_s``; if the server exits first or is not
    healthy within ``startup_timeout_s``, the script exits with the log's tail. On the way out the
    server gets SIGTERM, then SIGKILL if it has not exited within 30 s.
    """
    argument = str(config)
    if Path(argument).expanduser().is_file():  # a YAML path, relative to our folder: the server runs in ROOT
        argument = str(Path(argument).expanduser().resolve())
    with ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="llama-stack-bench-")))
        environment = {**os.environ, **(env or {}), "LLAMA_STACK_HOME": str(home)}
        if test_plugins:
            environment["LLAMA_STACK_PLUGINS"] = TEST_PLUGINS
            environment["PYTHONPATH"] = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        sink: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            sink = stack.enter_context(log.open("wb"))
        port = free_port()
        process = subprocess.Popen(
            [*launcher, LLAMA_STACK, "run", argument, "--port", str(port)],
            env=environment,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT if log is not None else None,
        )
        try:
            server = ServedServer(f"http://127.0.0.1:{port}", port, process, home)
            _wait_until_healthy(server, log, poll_s, startup_timeout_s)
            yield server
        finally:
            _stop(process)


def _wait_until_healthy(server: ServedServer, log: Path | None, poll_s: float, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if _health_status(server.port) == 200:
            return
        if server.process.poll() is not None:
            sys.exit(f"server exited with {server.process.returncode}{_tail(log)}")
        if time.monotonic() > deadline:
            sys.exit(f"server not healthy on /v1/health within {timeout_s:g} s{_tail(log)}")
        time.sleep(poll_s)


def _health_status(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/v1/health")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None  # not listening yet
    finally:
        connection.close()


def _tail(log: Path | None) -> str:
    if log is None:
        return ""
    return ":\n" + log.read_text(errors="replace")[-LOG_TAIL_CHARS:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
