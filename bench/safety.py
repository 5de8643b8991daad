"""What shields cost: latency each adds to a request, and stream throughput with an output guardrail.

    python bench/safety.py [--requests 40] [--stream-words 200] [--smollm2-tokens 96]

Serves bench/safety.yaml with `llama-stack run` (a real server on 127.0.0.1) and
measures over HTTP:

1. latency added per request by each shield, as an input guardrail on an echo
   model (no inference cost): p50/p95 of the guarded request minus the same for
   the unguarded echo model, and the shield's own time from the
   ``x-llama-stack-shields`` header;
2. stream throughput (content chunks/s from request to the last chunk, one token
   each) with and without an output guardrail: on the echo model generating at a steady rate
   (``ECHO_TOKEN_DELAY_S``, default 10 ms/token = 100 tok/s, a GPU-engine pace),
   and on the local SmolLM2 (real decode, greedy).

The echo model comes from tests/fakes, loaded as a plugin (LLAMA_STACK_PLUGINS).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import httpx
from _server import serve

ROOT = Path(__file__).resolve().parent.parent
PROMPT = (
    "Could you summarise the main points of the attached meeting notes about the quarterly budget, "
    "the hiring plan for the support team and the office move, in three short bullet points?"
)
PROSE = (
    "the river wound slowly through the valley while farmers gathered the last of the harvest and "
    "children played along the stone walls that marked the old fields near the village church "
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# one keep-alive connection for every request, so connection setup is not measured
CLIENT = httpx.Client(timeout=600)


def chat(base: str, model: str, text: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return CLIENT.post(f"{base}/v1/chat/completions", json=body)


def latencies(base: str, model: str, n: int) -> tuple[list[float], list[float]]:
    """Wall times (ms) of ``n`` requests, and the shields' own times from the header."""
    chat(base, model, PROMPT)  # warm-up (loads, first-call paths)
    walls, shield_ms = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        response = chat(base, model, PROMPT)
        walls.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
        header = response.headers.get("x-llama-stack-shields")
        if header:
            shield_ms.append(sum(float(item.split("=")[1]) for item in header.split(", ")))
    return walls, shield_ms


def stream_rate(base: str, model: str, text: str, **extra: object) -> tuple[float, int, float, str]:
    """(content chunks per second from request to last chunk, chunks, seconds to the first, finish reason).

    Whole-stream rate, not the rate after the first chunk: a guarded stream arrives in windows, so
    what counts is when the last token reaches the client.
    """
    body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": True, **extra}
    started = time.perf_counter()
    first: float | None = None
    chunks = 0
    finish = ""
    with CLIENT.stream("POST", f"{base}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            if '"content":"' in line and '"content":""' not in line:
                chunks += 1
                if first is None:
                    first = time.perf_counter()
            if '"finish_reason":"' in line:
                finish = line.split('"finish_reason":"')[1].split('"')[0]
    end = time.perf_counter()
    assert first is not None, f"{model}: no content streamed"
    return chunks / (end - started), chunks, first - started, finish


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--stream-words", type=int, default=200)
    parser.add_argument("--smollm2-tokens", type=int, default=96)
    parser.add_argument(
        "--skip-smollm2-guard", action="store_true", help="skip Llama Guard on SmolLM2 (slow)"
    )
    args = parser.parse_args()
    with serve(ROOT / "bench/safety.yaml", test_plugins=True) as server:
        base = server.base_url
        print(
            f"== latency added per request ({args.requests} requests, {len(PROMPT)}-char prompt, echo model)"
        )
        base_walls, _ = latencies(base, "echo", args.requests)
        b50, b95 = percentile(base_walls, 0.5), percentile(base_walls, 0.95)
        print(f"{'no guardrail':28s} request p50 {b50:8.2f} ms  p95 {b95:8.2f} ms")
        shields = ["code-scanner", "prompt-guard", "llama-guard-fake"]
        if not args.skip_smollm2_guard:
            shields.append("llama-guard-smollm2")
        for shield in shields:
            n = args.requests if shield != "llama-guard-smollm2" else max(5, args.requests // 8)
            walls, own = latencies(base, f"echo-in-{shield}", n)
            w50, w95 = percentile(walls, 0.5), percentile(walls, 0.95)
            print(
                f"{'input: ' + shield:28s} request p50 {w50:8.2f} ms  p95 {w95:8.2f} ms  "
                f"added p50 {w50 - b50:8.2f} ms  p95 {w95 - b95:8.2f} ms  "
                f"(shield itself p50 {percentile(own, 0.5):8.2f} ms, p95 {percentile(own, 0.95):8.2f} ms)"
            )

        text = " ".join((PROSE.split() * (args.stream_words // len(PROSE.split()) + 1))[: args.stream_words])
        delay = float(os.environ.get("ECHO_TOKEN_DELAY_S", "0.01"))
        print(f"\n== stream throughput, echo model at {1 / delay:.0f} tok/s, {args.stream_words} tokens")
        plain, _, first, _ = stream_rate(base, "paced", text)
        print(f"{'no guardrail':28s} {plain:7.1f} tok/s (first token after {first * 1000:.0f} ms)")
        for model in ("paced-out-code-scanner", "paced-out-prompt-guard"):
            rate, chunks, first, finish = stream_rate(base, model, text)
            print(
                f"{'output: ' + model.removeprefix('paced-out-'):28s} {rate:7.1f} tok/s "
                f"({100 * rate / plain:5.1f} % of unguarded; first token after {first * 1000:.0f} ms; "
                f"{chunks} tokens, finish {finish})"
            )

        print(
            f"\n== stream throughput, SmolLM2-135M on the local Llama (greedy, {args.smollm2_tokens} tokens)"
        )
        question = "Write a short story about a lighthouse keeper and a storm."
        extra = {"temperature": 0, "max_tokens": args.smollm2_tokens}
        stream_rate(base, "smollm2", question, **extra)  # warm-up
        plain, chunks, first, _ = stream_rate(base, "smollm2", question, **extra)
        print(f"{'no guardrail':28s} {plain:7.1f} tok/s ({chunks} tokens, first after {first * 1000:.0f} ms)")
        for model in ("smollm2-out-code-scanner", "smollm2-out-prompt-guard"):
            rate, chunks, first, finish = stream_rate(base, model, question, **extra)
            print(
                f"{'output: ' + model.removeprefix('smollm2-out-'):28s} {rate:7.1f} tok/s "
                f"({100 * rate / plain:5.1f} % of unguarded; first token after {first * 1000:.0f} ms; "
                f"{chunks} tokens, finish {finish})"
            )


if __name__ == "__main__":
    main()
