"""Peak RSS of a distribution serving one request (default: starter, a chat completion to SmolLM2).

    python bench/serving_rss.py [--distribution starter] [--model smollm2]

Starts `llama-stack run`, waits for health, sends one chat completion (and one
embedding when the distribution serves all-MiniLM-L6-v2), then prints the
server's peak RSS (VmHWM) and current RSS from /proc, and the answer.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
from _server import serve


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
    started = time.perf_counter()
    with serve(args.distribution, poll_s=0.1) as server:
        ready = time.perf_counter() - started
        base = server.base_url
        idle = memory_mib(server.process.pid)
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
        after = memory_mib(server.process.pid)
        print(
            f"distribution {args.distribution}: healthy after {ready:.2f} s, idle RSS {idle['VmRSS']:.0f} MiB"
        )
        print(f"one chat completion in {latency:.2f} s: {answer['choices'][0]['message']['content']!r}")
        print(
            f"peak RSS (VmHWM) after serving: {after['VmHWM']:.0f} MiB, current RSS {after['VmRSS']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
