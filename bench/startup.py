"""Startup benchmark: time from `llama-stack run` to the first 200 on /v1/health, and idle RSS.

Usage: python bench/startup.py [--runs N] [--distribution NAME|PATH] [--command "python -m llama_stack.cli"]

Each run starts a fresh server on a free 127.0.0.1 port with its own empty
``$LLAMA_STACK_HOME``, polls ``GET /v1/health`` every 10 ms, reads the server's
``VmRSS`` once it is healthy, then stops it with SIGTERM. It prints every run
and the median; it asserts nothing about speed. To see where the time goes:
``python -X importtime -m llama_stack.cli run starter 2> imports.log``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _server import free_port

POLL_S = 0.01
HEALTH_TIMEOUT_S = 60.0


@dataclass
class Run:
    healthy_s: float
    rss_mib: float
    stop_s: float
    exit_code: int


def default_command() -> list[str]:
    """The installed ``llama-stack`` script beside this interpreter, else ``python -m llama_stack.cli``."""
    script = Path(sys.executable).parent / "llama-stack"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "llama_stack.cli"]


def health_status(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/v1/health")
        return connection.getresponse().status
    except OSError:
        return None  # not listening yet
    finally:
        connection.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def one_run(command: list[str], distribution: str) -> Run:
    port = free_port()
    home = tempfile.mkdtemp(prefix="llama-stack-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMA_STACK_")}
    env["LLAMA_STACK_HOME"] = home
    argv = [*command, "run", distribution, "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while health_status(port) != 200:
            if process.poll() is not None:
                output = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"server exited with {process.returncode}: {output}")
            if time.perf_counter() - started > HEALTH_TIMEOUT_S:
                raise RuntimeError(f"no 200 from /v1/health within {HEALTH_TIMEOUT_S:.0f} s")
            time.sleep(POLL_S)
        healthy_s = time.perf_counter() - started
        rss = rss_mib(process.pid)
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=30)
        return Run(healthy_s, rss, time.perf_counter() - stopping, exit_code)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="number of server starts (default 5)")
    parser.add_argument(
        "--distribution",
        default=str(Path(__file__).with_name("framework-only.yaml")),
        help="name or YAML path (default: bench/framework-only.yaml, no model to load; try `starter`)",
    )
    parser.add_argument(
        "--command", help="how to invoke the CLI (default: the llama-stack script beside this Python)"
    )
    args = parser.parse_args()
    command = shlex.split(args.command) if args.command else default_command()
    print(f"command: {shlex.join(command)} run {args.distribution} --port <free>")
    print(f"python: {sys.version.split()[0]}  cpus: {os.cpu_count()}")
    runs = []
    for index in range(1, args.runs + 1):
        run = one_run(command, args.distribution)
        runs.append(run)
        print(
            f"run {index}: healthy after {run.healthy_s:.3f} s, idle RSS {run.rss_mib:.1f} MiB, "
            f"SIGTERM -> exit {run.exit_code} in {run.stop_s:.3f} s"
        )
    healthy = [r.healthy_s for r in runs]
    rss = [r.rss_mib for r in runs]
    print(
        f"median time to healthy: {statistics.median(healthy):.3f} s "
        f"(min {min(healthy):.3f}, max {max(healthy):.3f}, runs {len(runs)})"
    )
    print(f"median idle RSS: {statistics.median(rss):.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
