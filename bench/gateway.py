"""Gateway overhead: chat completions through the stack to a near-free backend vs. the backend directly.

    python bench/gateway.py [--duration 10] [--connections 1,8,32]

The backend is nginx answering a canned OpenAI chat completion (and a canned
SSE stream). The stack runs `llama-stack run` with `remote::openai` pointed at
it, pinned to one core with `taskset`; nginx and wrk get the other core(s).
Printed per connection count: requests/s and p50 latency, direct and through
the stack; the stack's CPU time per request (from /proc, utime+stime); and the
time to the first SSE event for streams, direct vs. through the stack.
Needs `nginx` and `wrk` (Debian packages).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _server import free_port, serve

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

COMPLETION = {
    "id": "chatcmpl-canned",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "canned",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris."},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
}
CHUNK = {
    "id": "chatcmpl-canned",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "canned",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Paris."}, "finish_reason": None}],
}
DONE_CHUNK = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
REQUEST = {"model": "MODEL", "messages": [{"role": "user", "content": "What is the capital of France?"}]}


def nginx_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def start_nginx(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in (CHUNK, DONE_CHUNK)) + "data: [DONE]\n\n"
    config = f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location /plain/v1/chat/completions {{
      default_type application/json;
      return 200 '{nginx_escape(json.dumps(COMPLETION))}';
    }}
    location /sse/v1/chat/completions {{
      default_type text/event-stream;
      return 200 '{nginx_escape(sse)}';
    }}
    location /plain/v1/models {{ default_type application/json; return 200 '{{"object":"list","data":[]}}'; }}
    location /sse/v1/models {{ default_type application/json; return 200 '{{"object":"list","data":[]}}'; }}
  }}
}}
"""
    (workdir / "nginx.conf").write_text(config)
    return subprocess.Popen(
        ["taskset", "-c", "1", "nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir)]
    )


def distribution(backend: str) -> str:
    return f"""\
version: 2
name: gateway-bench
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: plain
      provider_type: remote::openai
      config: {{base_url: "{backend}/plain/v1", models: [canned]}}
    - provider_id: sse
      provider_type: remote::openai
      config: {{base_url: "{backend}/sse/v1", models: [canned]}}
models:
  - {{model_id: canned-plain, provider_id: plain, provider_model_id: canned}}
  - {{model_id: canned-sse, provider_id: sse, provider_model_id: canned}}
storage:
  kvstore: {{type: memory}}
"""


def wait_healthy(url: str, timeout_s: float = 30) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} never became healthy")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wrk(url: str, model: str, connections: int, duration: int, workdir: Path) -> tuple[float, float, int]:
    """(requests/s, p50 ms, requests) from wrk on core 1."""
    script = workdir / f"post-{model}.lua"
    body = json.dumps({**REQUEST, "model": model})
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = [[{body}]]\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    out = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50_text = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert p50_text is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50_text.group(2)]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed requests against {url}:\n{out}")
    return rps, float(p50_text.group(1)) * scale, requests


def first_event_ms(url: str, model: str, runs: int = 200) -> float:
    """Median time from sending a streaming request to receiving its first `data:` event."""
    samples: list[float] = []
    with httpx.Client(timeout=10) as client:
        for _ in range(runs):
            started = time.perf_counter()
            with client.stream("POST", url, json={**REQUEST, "model": model, "stream": True}) as response:
                first: float | None = None
                for line in response.iter_lines():  # read to the end, so the connection is reused
                    if first is None and line.startswith("data:"):
                        first = (time.perf_counter() - started) * 1000
                assert first is not None, "the stream sent no event"
                samples.append(first)
    return statistics.median(samples[10:])  # drop warm-up


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", default="1,8,32")
    args = parser.parse_args()
    for tool in ("nginx", "wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install nginx wrk util-linux)")

    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    backend_port = free_port()
    backend = f"http://127.0.0.1:{backend_port}"
    nginx = start_nginx(workdir, backend_port)
    (workdir / "stack.yaml").write_text(distribution(backend))
    try:
        wait_healthy(f"{backend}/plain/v1/models")
        with serve(
            workdir / "stack.yaml",
            home=workdir / "home",
            launcher=["taskset", "-c", "0"],
            poll_s=0.05,
            startup_timeout_s=30,
        ) as stack:
            stack_url = stack.base_url
            print(
                f"python {sys.version.split()[0]}, cpus {os.cpu_count()}, stack pinned to core 0, nginx+wrk to core 1"
            )
            print(
                f"{'conns':>5}  {'direct req/s':>12}  {'stack req/s':>11}  {'direct p50':>10}  {'stack p50':>9}  "
                f"{'added p50':>9}  {'stack CPU/req':>13}"
            )
            for connections in (int(c) for c in args.connections.split(",")):
                direct_rps, direct_p50, _ = wrk(
                    f"{backend}/plain/v1/chat/completions", "canned", connections, args.duration, workdir
                )
                cpu_before = cpu_seconds(stack.process.pid)
                stack_rps, stack_p50, requests = wrk(
                    f"{stack_url}/v1/chat/completions", "canned-plain", connections, args.duration, workdir
                )
                cpu_per_request_ms = (cpu_seconds(stack.process.pid) - cpu_before) / max(requests, 1) * 1000
                print(
                    f"{connections:>5}  {direct_rps:>12.0f}  {stack_rps:>11.0f}  {direct_p50:>8.3f}ms  "
                    f"{stack_p50:>7.3f}ms  {stack_p50 - direct_p50:>7.3f}ms  {cpu_per_request_ms:>11.3f}ms"
                )
            direct_first = first_event_ms(f"{backend}/sse/v1/chat/completions", "canned")
            stack_first = first_event_ms(f"{stack_url}/v1/chat/completions", "canned-sse")
            print(
                f"streaming: first event direct {direct_first:.3f} ms, through the stack {stack_first:.3f} ms, "
                f"added {stack_first - direct_first:.3f} ms"
            )
            with httpx.stream(
                "POST",
                f"{stack_url}/v1/chat/completions",
                json={**REQUEST, "model": "canned-sse", "stream": True},
            ) as response:
                lines = [line for line in response.iter_lines() if line.startswith("data:")]
            print(f"stream ends with 'data: [DONE]': {lines[-1] == 'data: [DONE]'}")
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(15)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
