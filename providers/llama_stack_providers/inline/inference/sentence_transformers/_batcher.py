"""A micro-batcher: concurrent requests for one model coalesced into one blocking encode call in a thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


@dataclass
class _Job(Generic[K, R]):
    texts: list[str]
    key: K
    future: asyncio.Future[list[R]]


class MicroBatcher(Generic[K, R]):
    """Runs ``encode(texts, key)`` in ``executor``, one call at a time, for the texts of many requests.

    While a call runs, new requests wait; when it ends, the waiting requests
    that share a ``key`` (encode options, e.g. a prompt name) are taken
    together, up to ``max_batch_texts`` texts (one request is never split), so
    concurrent callers share forward passes instead of queueing for a thread
    each. Calls never overlap, which also keeps a Hugging Face tokenizer (not
    safe to use from two threads at once) to one thread at a time.

    A caller that is cancelled while waiting is dropped from its batch; if its
    texts are being encoded already, the result is discarded. An error in
    ``encode`` is raised to every caller of that batch.
    """

    def __init__(
        self,
        encode: Callable[[list[str], K], Sequence[R]],
        *,
        executor: Executor,
        max_batch_texts: int,
        name: str = "encoder",
    ) -> None:
        self._encode = encode
        self._executor = executor
        self._max_batch_texts = max_batch_texts
        self._name = name
        self._pending: deque[_Job[K, R]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0  # encode calls made, so tests and operators can see coalescing happen

    async def submit(self, texts: list[str], key: K) -> list[R]:
        """The results for ``texts``, in order, once the batch holding them is encoded."""
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        job: _Job[K, R] = _Job(list(texts), key, loop.create_future())
        self._pending.append(job)
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._work(self._wakeup), name=f"micro-batcher:{self._name}")
        self._wakeup.set()
        return await job.future

    async def close(self) -> None:
        """Stop the worker; requests still waiting are cancelled."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):  # the cancellation asked for just above
                await worker
        while self._pending:
            self._pending.popleft().future.cancel()

    async def _work(self, wakeup: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                wakeup.clear()
                await wakeup.wait()
                continue
            batch = self._take()
            if not batch:
                continue
            texts = [text for job in batch for text in job.texts]
            self.calls += 1
            try:
                results = await loop.run_in_executor(self._executor, self._encode, texts, batch[0].key)
            except asyncio.CancelledError:
                for job in batch:
                    job.future.cancel()
                raise
            except Exception as exc:  # handed to every caller of the batch, which re-raise it
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            if len(results) != len(texts):  # an encoder bug; say so instead of mismatching vectors
                error = RuntimeError(f"{self._name}: {len(results)} results for {len(texts)} texts")
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(error)
                continue
            offset = 0
            for job in batch:
                count = len(job.texts)
                if not job.future.done():
                    job.future.set_result(list(results[offset : offset + count]))
                offset += count

    def _take(self) -> list[_Job[K, R]]:
        """The oldest waiting request plus the later ones with its key that fit, in arrival order."""
        batch: list[_Job[K, R]] = []
        left: deque[_Job[K, R]] = deque()
        size = 0
        while self._pending:
            job = self._pending.popleft()
            if job.future.done():  # its caller gave up
                continue
            if not batch:
                batch.append(job)
                size = len(job.texts)
            elif job.key == batch[0].key and size + len(job.texts) <= self._max_batch_texts:
                batch.append(job)
                size += len(job.texts)
            else:
                left.append(job)
        self._pending = left
        return batch
