"""``GenerationScheduler``: concurrent streams batched on one worker thread, cancellation, context errors, close."""

from __future__ import annotations

import asyncio
import threading

import pytest
import torch

from llama_stack_api.errors import ProviderUnavailableError
from llama_stack_providers.inline.inference.meta_reference.engine import (
    ContextLengthError,
    GeneratedToken,
    GenerationScheduler,
    Generator,
    SamplingOptions,
    load_checkpoint,
)
from tests.support.tiny_llama import TinyLlama, tiny_llama_weights, write_hf_checkpoint

SPEC = TinyLlama(vocab_size=512, max_seq_len=512, seed=11)


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Generator:
    folder = write_hf_checkpoint(SPEC, tiny_llama_weights(SPEC), tmp_path_factory.mktemp("tiny") / "hf")
    return Generator(load_checkpoint(folder))


async def collect(
    scheduler: GenerationScheduler, prompt: list[int], options: SamplingOptions
) -> list[GeneratedToken]:
    return [token async for token in scheduler.stream(prompt, options, {511})]


REQUESTS = [
    ([1, 2, 3], SamplingOptions(max_new_tokens=30, logprobs=2)),
    ([9] * 20, SamplingOptions(temperature=0.9, top_p=0.9, max_new_tokens=25, seed=1, logprobs=0)),
    ([4, 5], SamplingOptions(max_new_tokens=5)),
    ([100, 200, 300, 400, 17], SamplingOptions(temperature=1.2, top_k=50, max_new_tokens=40, seed=2)),
    ([8, 8, 8, 8, 8, 8, 8], SamplingOptions(max_new_tokens=18, logprobs=1)),
    ([300] * 33, SamplingOptions(temperature=0.5, max_new_tokens=12, seed=3)),
]


async def test_concurrent_streams_produce_what_sequential_runs_produce(generator: Generator) -> None:
    sequential = [list(generator.generate(p, o, {511})) for p, o in REQUESTS]
    scheduler = GenerationScheduler(generator, max_batch_size=4)
    try:
        concurrent = await asyncio.gather(*(collect(scheduler, p, o) for p, o in REQUESTS))
    finally:
        await scheduler.aclose()
    for alone, batched in zip(sequential, concurrent, strict=True):
        assert [t.token_id for t in batched] == [t.token_id for t in alone]
        assert [t.finish_reason for t in batched] == [t.finish_reason for t in alone]
        for a, b in zip(alone, batched, strict=True):
            assert (a.logprob is None) == (b.logprob is None)
            if a.logprob is not None and b.logprob is not None:
                assert b.logprob == pytest.approx(a.logprob, abs=1e-4)
            assert [i for i, _ in a.top_logprobs or []] == [i for i, _ in b.top_logprobs or []]


async def test_torch_runs_on_one_worker_thread_not_the_event_loop(generator: Generator) -> None:
    threads: set[str] = set()
    original = generator.model.decode

    def spy(*args: object, **kwargs: object) -> torch.Tensor:
        threads.add(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    generator.model.decode = spy  # type: ignore[method-assign]
    scheduler = GenerationScheduler(generator, max_batch_size=2)
    try:
        await asyncio.gather(*(collect(scheduler, p, o) for p, o in REQUESTS[:3]))
    finally:
        await scheduler.aclose()
        del generator.model.decode
    assert threads == {"meta-reference-engine"}


async def test_closing_a_stream_cancels_the_request_and_frees_its_slot(generator: Generator) -> None:
    scheduler = GenerationScheduler(generator, max_batch_size=1)
    try:
        long = scheduler.stream([1, 2, 3], SamplingOptions(max_new_tokens=400), set())
        first = [await anext(long) for _ in range(3)]
        assert all(t.finish_reason is None for t in first) and scheduler.active_requests == 1
        await long.aclose()
        # with one slot, the next request can only run once the first one left the batch
        tokens = await asyncio.wait_for(collect(scheduler, [4, 5, 6], SamplingOptions(max_new_tokens=5)), 30)
        assert len(tokens) == 5
        assert scheduler.active_requests == 0 and scheduler.pending_requests == 0
    finally:
        await scheduler.aclose()


async def test_cancelling_the_consumer_task_frees_the_slot(generator: Generator) -> None:
    scheduler = GenerationScheduler(generator, max_batch_size=1)
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in scheduler.stream([1, 2, 3], SamplingOptions(max_new_tokens=400), set()):
            started.set()

    try:
        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        tokens = await asyncio.wait_for(collect(scheduler, [7, 8], SamplingOptions(max_new_tokens=3)), 30)
        assert [t.finish_reason for t in tokens] == [None, None, "length"]
    finally:
        await scheduler.aclose()


async def test_waiting_requests_run_when_slots_free_up(generator: Generator) -> None:
    scheduler = GenerationScheduler(generator, max_batch_size=2)
    try:
        results = await asyncio.gather(*(collect(scheduler, p, o) for p, o in REQUESTS))
        assert [len(r) for r in results] == [len(list(generator.generate(p, o, {511}))) for p, o in REQUESTS]
    finally:
        await scheduler.aclose()


async def test_context_overflow_raises_before_any_work(generator: Generator) -> None:
    scheduler = GenerationScheduler(generator)
    try:
        with pytest.raises(ContextLengthError) as info:
            await anext(scheduler.stream([1] * 600, SamplingOptions(max_new_tokens=1), set()))
        assert (info.value.prompt_tokens, info.value.max_seq_len) == (600, 512)
        assert scheduler.pending_requests == 0 and scheduler.active_requests == 0
    finally:
        await scheduler.aclose()


async def test_closed_scheduler_refuses_and_fails_running_requests(generator: Generator) -> None:
    scheduler = GenerationScheduler(generator, max_batch_size=1)
    running = scheduler.stream([1, 2], SamplingOptions(max_new_tokens=400), set())
    await anext(running)
    await scheduler.aclose()
    with pytest.raises(ProviderUnavailableError):
        async for _ in running:
            pass
    with pytest.raises(ProviderUnavailableError, match="closed"):
        await anext(scheduler.stream([1, 2], SamplingOptions(max_new_tokens=2), set()))


async def test_a_failing_step_fails_its_requests_and_the_scheduler_carries_on(generator: Generator) -> None:
    original = generator.model.decode
    calls = 0

    def flaky(*args: object, **kwargs: object) -> torch.Tensor:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("simulated engine failure")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    generator.model.decode = flaky  # type: ignore[method-assign]
    scheduler = GenerationScheduler(generator, max_batch_size=2)
    try:
        with pytest.raises(RuntimeError, match="simulated engine failure"):
            await collect(scheduler, [1, 2, 3], SamplingOptions(max_new_tokens=10))
        tokens = await collect(scheduler, [1, 2, 3], SamplingOptions(max_new_tokens=4))
        assert [t.finish_reason for t in tokens] == [None, None, None, "length"]
        assert scheduler.active_requests == 0
    finally:
        await scheduler.aclose()
        del generator.model.decode
