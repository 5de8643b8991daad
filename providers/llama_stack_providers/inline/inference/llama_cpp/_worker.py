"""One thread per model: llama.cpp's blocking calls run there, one request at a time, off the event loop.

A llama.cpp context is not safe to share between threads, and a CPU model gains
nothing from interleaving requests, so each model owns a single-thread executor:
requests queue in arrival order and each runs to its end before the next starts.

A request is a blocking iterator of events (built by the engine). ``call``
drains it on the thread and returns the list; ``stream`` runs it on the thread
and hands each event to the event loop as it comes. Both pass the iterator's
factory a ``threading.Event`` that is set when the caller goes away (cancelled
task, closed stream, disconnected client): the engine checks it between tokens,
so generation stops at the next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Producer = Callable[[threading.Event], Generator[T, None, None]]

_ITEM, _END, _ERROR = "item", "end", "error"


class ModelWorker:
    """The thread that owns one llama.cpp model."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-cpp-{name}")
        self.name = name

    async def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the model's thread (after the requests queued before it)."""
        return await asyncio.wrap_future(self._executor.submit(fn))

    async def call(self, produce: Producer[T]) -> list[T]:
        """Every event of one request; cancelling the caller stops the request at its next token."""
        cancelled = threading.Event()

        def drain() -> list[T]:
            if cancelled.is_set():
                return []
            with contextlib.closing(produce(cancelled)) as events:
                return list(events)

        future = self._executor.submit(drain)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancelled.set()
            future.cancel()  # still queued: it never starts
            raise

    async def stream(self, produce: Producer[T]) -> WorkerStream[T]:
        """Start one request; returns once its first event is ready (so its errors raise here).

        The returned stream must be closed (``aclose``) or iterated to its end;
        closing it early stops generation at the next token.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()

        def hand_over(kind: str, payload: Any) -> bool:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))
            except RuntimeError:  # the loop is closed: nobody is listening any more
                cancelled.set()
                return False
            return True

        def pump() -> None:
            if cancelled.is_set():
                return
            try:
                with contextlib.closing(produce(cancelled)) as events:
                    # the producer checks `cancelled` between tokens and ends with its own summary
                    for event in events:
                        if not hand_over(_ITEM, event):
                            return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                hand_over(_ERROR, exc)
                return
            hand_over(_END, None)

        stream: WorkerStream[T] = WorkerStream(queue, cancelled, self._executor.submit(pump))
        try:
            await stream.prime()
        except BaseException:
            await stream.aclose()
            raise
        return stream

    def shutdown(self) -> None:
        """Stop taking requests; queued ones are dropped, a running one finishes its current token."""
        self._executor.shutdown(wait=True, cancel_futures=True)


class WorkerStream(AsyncIterator[T], Generic[T]):
    """The events of one request as they are produced on the model's thread."""

    def __init__(
        self, queue: asyncio.Queue[tuple[str, Any]], cancelled: threading.Event, future: Future[None]
    ) -> None:
        self._queue = queue
        self._cancelled = cancelled
        self._future = future
        self._first: list[T] = []
        self._done = False

    async def prime(self) -> None:
        self._first.append(await self._next())

    def __aiter__(self) -> WorkerStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._first:
            return self._first.pop()
        return await self._next()

    async def _next(self) -> T:
        if self._done:
            raise StopAsyncIteration
        kind, payload = await self._queue.get()
        if kind == _ITEM:
            item: T = payload
            return item
        self._done = True
        if kind == _ERROR:
            raise payload
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop the request (at its next token) and drop what it had not delivered yet."""
        self._done = True
        self._cancelled.set()
        self._future.cancel()

    def __del__(self) -> None:
        # a stream dropped without aclose() must not keep the model busy
        self._cancelled.set()
