"""MicroBatcher: concurrent requests share encode calls, which run in a thread one at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from llama_stack_providers.inline.inference.sentence_transformers._batcher import MicroBatcher


class GatedEncoder:
    """Upper-cases texts in a worker thread; holds each call until the test opens the gate."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str]] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()

    def __call__(self, texts: list[str], key: str) -> list[str]:
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        self.calls.append((list(texts), key))
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.gate.wait(5)
        if "boom" in texts:
            with self._lock:
                self.running -= 1
            raise ValueError("cannot encode boom")
        with self._lock:
            self.running -= 1
        return [f"{key}:{t.upper()}" for t in texts]


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="encoder")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


async def wait_until_entered(encoder: GatedEncoder) -> None:
    await asyncio.to_thread(encoder.entered.wait, 5)
    encoder.entered.clear()


async def test_requests_waiting_during_a_call_share_the_next_one(executor: ThreadPoolExecutor) -> None:
    encoder = GatedEncoder()
    batcher: MicroBatcher[str, str] = MicroBatcher(encoder, executor=executor, max_batch_texts=10)
    first = asyncio.create_task(batcher.submit(["a"], "k"))
    await wait_until_entered(encoder)
    later = [asyncio.create_task(batcher.submit([f"b{i}", f"c{i}"], "k")) for i in range(3)]
    await asyncio.sleep(0.01)
    encoder.gate.set()
    assert await first == ["k:A"]
    assert [await t for t in later] == [[f"k:B{i}", f"k:C{i}"] for i in range(3)]
    assert [texts for texts, _ in encoder.calls] == [["a"], ["b0", "c0", "b1", "c1", "b2", "c2"]]
    assert batcher.calls == 2
    assert encoder.most_running == 1
    assert all(name.startswith("encoder") for name in encoder.threads)  # never the event loop's thread
    await batcher.close()


async def test_only_requests_with_the_same_key_and_room_are_coalesced(executor: ThreadPoolExecutor) -> None:
    encoder = GatedEncoder()
    batcher: MicroBatcher[str, str] = MicroBatcher(encoder, executor=executor, max_batch_texts=3)
    blocker = asyncio.create_task(batcher.submit(["x"], "k"))
    await wait_until_entered(encoder)
    tasks = [
        asyncio.create_task(batcher.submit(texts, key))
        for texts, key in [
            (["a", "b"], "k"),
            (["q"], "query"),
            (["c"], "k"),
            (["d"], "k"),
            (["big"] * 5, "k"),
        ]
    ]
    await asyncio.sleep(0.01)
    encoder.gate.set()
    await blocker
    results = [await t for t in tasks]
    assert results[1] == ["query:Q"]
    assert results[4] == ["k:BIG"] * 5  # larger than a batch: encoded alone, never split
    assert [(texts, key) for texts, key in encoder.calls[1:]] == [
        (["a", "b", "c"], "k"),
        (["q"], "query"),
        (["d"], "k"),
        (["big"] * 5, "k"),
    ]
    await batcher.close()


async def test_an_encode_error_reaches_every_caller_of_its_batch_only(executor: ThreadPoolExecutor) -> None:
    encoder = GatedEncoder()
    batcher: MicroBatcher[str, str] = MicroBatcher(encoder, executor=executor, max_batch_texts=10)
    blocker = asyncio.create_task(batcher.submit(["x"], "k"))
    await wait_until_entered(encoder)
    doomed = [asyncio.create_task(batcher.submit(texts, "k")) for texts in (["boom"], ["fine"])]
    other = asyncio.create_task(batcher.submit(["ok"], "other"))
    await asyncio.sleep(0.01)
    encoder.gate.set()
    await blocker
    for task in doomed:
        with pytest.raises(ValueError, match="cannot encode boom"):
            await task
    assert await other == ["other:OK"]
    assert await batcher.submit(["again"], "k") == ["k:AGAIN"]  # the worker survives
    await batcher.close()


async def test_a_caller_that_gives_up_is_dropped_from_its_batch(executor: ThreadPoolExecutor) -> None:
    encoder = GatedEncoder()
    batcher: MicroBatcher[str, str] = MicroBatcher(encoder, executor=executor, max_batch_texts=10)
    blocker = asyncio.create_task(batcher.submit(["x"], "k"))
    await wait_until_entered(encoder)
    quitter = asyncio.create_task(batcher.submit(["gone"], "k"))
    stayer = asyncio.create_task(batcher.submit(["here"], "k"))
    await asyncio.sleep(0.01)
    quitter.cancel()
    encoder.gate.set()
    await blocker
    assert await stayer == ["k:HERE"]
    assert quitter.cancelled()
    assert ["gone"] not in [texts for texts, _ in encoder.calls]
    await batcher.close()


async def test_close_cancels_waiting_requests(executor: ThreadPoolExecutor) -> None:
    encoder = GatedEncoder()
    batcher: MicroBatcher[str, str] = MicroBatcher(encoder, executor=executor, max_batch_texts=10)
    running = asyncio.create_task(batcher.submit(["x"], "k"))
    await wait_until_entered(encoder)
    waiting = asyncio.create_task(batcher.submit(["y"], "k"))
    await asyncio.sleep(0.01)
    await batcher.close()
    encoder.gate.set()
    for task in (running, waiting):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await batcher.submit([], "k") == []
