"""Peak RSS of a distribution serving one request (default: starter, a chat completion to SmolLM2).

    python bench/serving_rss.py [--distribution starter] [--model smollm2]

Starts `llama-stack run`, waits for health, sends one chat completion (and one
embedding when the distribution serves all-MiniLM-L6-v2), then prints the
server's peak RSS (VmHWM) and current RSS from /proc, and the answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distribution", default="starter")
    parser.add_argument("--model", default="smollm2")
    args = parser.parse_args()
    port = free_port()
    home = tempfile.mkdtemp(prefix="rss-bench-")
    command = [
        str(Path(sys.executable).with_name("llama-stack")),
        "run",
        args.distribution,
        "--port",
        str(port),
    ]
    started = time.perf_counter()
    server = subprocess.Popen(
        command, env={**os.environ, "LLAMA_STACK_HOME": home}, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                sys.exit(f"server exited with {server.returncode}")
            time.sleep(0.1)
        ready = time.perf_counter() - started
        idle = memory_mib(server.pid)
        body = {
            "model": args.model,
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "temperature": 0,
            "max_tokens": 32,
        }
        t0 = time.perf_counter()
        answer = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=300).json()
        latency = time.perf_counter() - t0
        models = {m["identifier"] for m in httpx.get(f"{base}/v1/models").json()["data"]}
        if "all-MiniLM-L6-v2" in models:
            httpx.post(
                f"{base}/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": "hello"}, timeout=300
            )
        after = memory_mib(server.pid)
        print(
            f"distribution {args.distribution}: healthy after {ready:.2f} s, idle RSS {idle['VmRSS']:.0f} MiB"
        )
        print(f"one chat completion in {latency:.2f} s: {answer['choices'][0]['message']['content']!r}")
        print(
            f"peak RSS (VmHWM) after serving: {after['VmHWM']:.0f} MiB, current RSS {after['VmRSS']:.0f} MiB"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
