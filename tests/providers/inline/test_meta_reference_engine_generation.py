"""The engine's ``Generator``: greedy and seeded sampling, stop tokens, budgets, logprobs, the KV cache.

Runs a tiny random Llama (small vocabulary, Llama 3.1 RoPE scaling) written as
an HF checkpoint by tests/support/tiny_llama.py. A full forward pass without a
cache (``Generator.logits``) is the reference for every cached decode step.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from llama_stack_api.errors import InvalidRequestError
from llama_stack_providers.inline.inference.meta_reference.engine import (
    ContextLengthError,
    GeneratedToken,
    Generator,
    SamplingOptions,
    load_checkpoint,
)
from tests.support.tiny_llama import TinyLlama, tiny_llama_weights, write_hf_checkpoint

SPEC = TinyLlama(vocab_size=512, max_seq_len=96, seed=5)
PROMPT = [7, 99, 3, 250, 18, 42, 511, 0, 64]


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Generator:
    folder = write_hf_checkpoint(SPEC, tiny_llama_weights(SPEC), tmp_path_factory.mktemp("tiny") / "hf")
    return Generator(load_checkpoint(folder))


def run(generator: Generator, options: SamplingOptions, stop: set[int] | None = None) -> list[GeneratedToken]:
    return list(generator.generate(PROMPT, options, stop or set()))


def ids(tokens: list[GeneratedToken]) -> list[int]:
    return [t.token_id for t in tokens]


def test_greedy_is_the_argmax_of_a_full_recompute(generator: Generator) -> None:
    tokens = run(generator, SamplingOptions(max_new_tokens=24))
    full = generator.logits(PROMPT + ids(tokens)[:-1])
    assert full.shape == (len(PROMPT) + 23, 512)
    assert full[len(PROMPT) - 1 :].argmax(-1).tolist() == ids(tokens)


def test_cached_decoding_matches_full_recompute_logprobs(generator: Generator) -> None:
    tokens = run(generator, SamplingOptions(max_new_tokens=24, logprobs=5))
    reference = torch.log_softmax(generator.logits(PROMPT + ids(tokens)[:-1]), -1)[len(PROMPT) - 1 :]
    cached = torch.tensor([t.logprob for t in tokens])
    torch.testing.assert_close(cached, reference[torch.arange(24), ids(tokens)], atol=1e-4, rtol=1e-4)
    for row, token in enumerate(tokens):
        assert token.top_logprobs is not None
        top_ids = [i for i, _ in token.top_logprobs]
        assert top_ids == reference[row].topk(5).indices.tolist()


def test_seed_makes_sampling_reproducible(generator: Generator) -> None:
    options = SamplingOptions(temperature=1.0, top_p=0.95, top_k=100, max_new_tokens=20, seed=1234)
    first = ids(run(generator, options))
    assert ids(run(generator, options)) == first
    other = ids(
        run(generator, SamplingOptions(temperature=1.0, top_p=0.95, top_k=100, max_new_tokens=20, seed=99))
    )
    assert other != first
    assert first != ids(run(generator, SamplingOptions(max_new_tokens=20)))  # it really sampled


def test_top_k_one_and_tiny_top_p_are_greedy(generator: Generator) -> None:
    greedy = ids(run(generator, SamplingOptions(max_new_tokens=12)))
    assert ids(run(generator, SamplingOptions(temperature=0.8, top_k=1, max_new_tokens=12, seed=3))) == greedy
    assert (
        ids(run(generator, SamplingOptions(temperature=0.8, top_p=1e-6, max_new_tokens=12, seed=3))) == greedy
    )


def test_stop_token_ends_generation(generator: Generator) -> None:
    free = ids(run(generator, SamplingOptions(max_new_tokens=20)))
    stop = free[5]
    first = free.index(stop)
    tokens = run(generator, SamplingOptions(max_new_tokens=20), stop={stop, 100_000})
    assert ids(tokens) == free[: first + 1]
    assert tokens[-1].finish_reason == "stop"
    assert all(t.finish_reason is None for t in tokens[:-1])


def test_max_new_tokens_ends_with_length(generator: Generator) -> None:
    tokens = run(generator, SamplingOptions(max_new_tokens=7))
    assert len(tokens) == 7
    assert [t.finish_reason for t in tokens] == [None] * 6 + ["length"]
    assert ids(run(generator, SamplingOptions(max_new_tokens=1))) == ids(tokens)[:1]


def test_logprobs_are_consistent(generator: Generator) -> None:
    tokens = run(generator, SamplingOptions(temperature=0.7, max_new_tokens=10, seed=0, logprobs=4))
    for token in tokens:
        assert token.logprob is not None and token.top_logprobs is not None
        values = [lp for _, lp in token.top_logprobs]
        assert len(values) == 4 and values == sorted(values, reverse=True)
        assert sum(math.exp(v) for v in values) <= 1 + 1e-5
        assert token.logprob <= values[0] + 1e-6
        if token.token_id in dict(token.top_logprobs):
            assert dict(token.top_logprobs)[token.token_id] == pytest.approx(token.logprob, abs=1e-6)
    greedy = run(generator, SamplingOptions(max_new_tokens=5, logprobs=2))
    assert all(t.top_logprobs is not None and t.top_logprobs[0][0] == t.token_id for t in greedy)
    only_chosen = run(generator, SamplingOptions(max_new_tokens=3, logprobs=0))
    assert all(t.logprob is not None and t.top_logprobs is None for t in only_chosen)
    assert all(
        t.logprob is None and t.top_logprobs is None
        for t in run(generator, SamplingOptions(max_new_tokens=3))
    )


def test_context_overflow_is_raised_before_any_work(generator: Generator) -> None:
    too_long = [1] * SPEC.max_seq_len
    with pytest.raises(ContextLengthError) as info:
        generator.generate(too_long, SamplingOptions(max_new_tokens=1), set())  # raised on the call itself
    assert (info.value.prompt_tokens, info.value.max_seq_len) == (96, 96)
    assert info.value.status_code == 400 and info.value.code == "context_length_exceeded"


def test_generation_stops_where_the_context_window_ends(generator: Generator) -> None:
    prompt = [3] * (SPEC.max_seq_len - 3)
    tokens = list(generator.generate(prompt, SamplingOptions(max_new_tokens=50), set()))
    assert len(tokens) == 3 and tokens[-1].finish_reason == "length"


def test_bad_prompts(generator: Generator) -> None:
    with pytest.raises(InvalidRequestError, match="empty"):
        generator.generate([], SamplingOptions(max_new_tokens=1), set())
    with pytest.raises(InvalidRequestError, match="token id 512 is outside"):
        generator.generate([1, 512], SamplingOptions(max_new_tokens=1), set())
    with pytest.raises(ContextLengthError):
        generator.logits([1] * (SPEC.max_seq_len + 1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -0.1),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("top_k", -1),
        ("max_new_tokens", 0),
        ("logprobs", 21),
    ],
)
def test_sampling_options_are_validated(field: str, value: float) -> None:
    kwargs: dict[str, float] = {"max_new_tokens": 4, field: value}
    with pytest.raises(InvalidRequestError, match=field):
        SamplingOptions(**kwargs)  # type: ignore[arg-type]


def test_batched_decoding_matches_one_at_a_time(generator: Generator) -> None:
    # three sequences of different lengths share a decode step; the middle one leaves early
    prompts = [PROMPT, PROMPT[:3], [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]]
    budgets = [12, 4, 12]
    alone = [
        list(generator.generate(p, SamplingOptions(max_new_tokens=n, logprobs=0), set()))
        for p, n in zip(prompts, budgets, strict=True)
    ]
    batch = generator.new_batch(3)
    seqs = [
        generator.start(p, SamplingOptions(max_new_tokens=n, logprobs=0), set())
        for p, n in zip(prompts, budgets, strict=True)
    ]
    together: dict[int, list[GeneratedToken]] = {i: [batch.admit(s)] for i, s in enumerate(seqs)}
    while batch.active:
        for seq, token in batch.step():
            together[seqs.index(seq)].append(token)
    for i in range(3):
        assert ids(together[i]) == ids(alone[i])
        torch.testing.assert_close(
            torch.tensor([t.logprob for t in together[i]]),
            torch.tensor([t.logprob for t in alone[i]]),
            atol=1e-4,
            rtol=0,
        )


def test_model_weights_are_not_trainable_and_inference_leaves_no_graph(generator: Generator) -> None:
    assert all(not p.requires_grad for p in generator.model.parameters())
    assert not generator.logits(PROMPT).requires_grad


@pytest.mark.parametrize(("threads", "splits"), [(1, 2), (3, 3)])
def test_thread_count_changes_the_weight_layout_not_the_results(
    generator: Generator, tmp_path: Path, threads: int, splits: int
) -> None:
    # each matrix is split into one slab per thread, at least two (3 pads the 512-row vocabulary)
    folder = write_hf_checkpoint(SPEC, tiny_llama_weights(SPEC), tmp_path / "hf")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        other = Generator(load_checkpoint(folder))
        assert other.model.splits == splits
        options = SamplingOptions(max_new_tokens=12, logprobs=0)
        mine, theirs = run(generator, options), run(other, options)
        batch = other.new_batch(2)
        seqs = [other.start(PROMPT, options, set()), other.start(PROMPT[:4], options, set())]
        first = [batch.admit(s) for s in seqs]
        stepped = batch.step()
    finally:
        torch.set_num_threads(before)
    assert ids(theirs) == ids(mine)
    torch.testing.assert_close(
        torch.tensor([t.logprob for t in theirs]), torch.tensor([t.logprob for t in mine]), atol=1e-4, rtol=0
    )
    torch.testing.assert_close(other.logits(PROMPT), generator.logits(PROMPT), atol=1e-4, rtol=1e-4)
    assert first[0].token_id == mine[0].token_id and stepped[0][1].token_id == mine[1].token_id
