"""Output guardrails on a stream: chunks are released window by window, each after the text so far passed.

Generation and checking overlap: while the shields judge window *k*, the
model keeps producing window *k+1* (read ahead by a background task), so a
fast shield costs little throughput. At most one check is in flight; when
generation outruns the shields, the next check covers everything produced
meanwhile (checks coalesce instead of queueing). Each check judges the whole
answer so far, as a classifier like Llama Guard needs the full message.
Nothing is sent before the check that covers it has passed; on a violation
the provider's stream is closed, the held-back chunks are dropped and the
client gets the dialect's refusal chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ._dialects import Dialect
from ._shields import Block

# texts per choice index -> the block, if a shield refused any of them
Check = Callable[[dict[int, str]], Awaitable[tuple[Block, set[int]] | None]]


class WindowedStream:
    """The guarded stream a client reads; ``aclose()`` stops the provider and any check in flight."""

    def __init__(
        self, source: AsyncIterator[Any], dialect: Dialect, check: Check, window_chars: int, model: str
    ) -> None:
        self._source = source
        self._dialect = dialect
        self._check = check
        self._window = window_chars
        self._model = model
        self._released: asyncio.Queue[Any] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def __aiter__(self) -> WindowedStream:
        return self

    async def __anext__(self) -> Any:
        if self._worker is None:
            self._worker = asyncio.ensure_future(self._run())
            self._worker.add_done_callback(self._finished)
        item = await self._released.get()
        if item is _END:
            self._released.put_nowait(_END)  # later calls end too
            raise StopAsyncIteration
        if isinstance(item, _Failure):
            self._released.put_nowait(_END)
            raise item.error
        return item

    def _finished(self, worker: asyncio.Task[None]) -> None:
        if worker.cancelled():
            return
        error = worker.exception()
        self._released.put_nowait(_Failure(error) if error is not None else _END)

    async def aclose(self) -> None:
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await _close(self._source)

    async def _run(self) -> None:
        held: list[Any] = []  # produced, not yet covered by a passed check
        texts: dict[int, str] = {}  # the answer so far, per choice
        unchecked = 0  # characters produced since the last check started
        checking: asyncio.Task[tuple[Block, set[int]] | None] | None = None
        covered = 0  # how many of `held` the check in flight covers
        reading: asyncio.Task[Any] | None = None
        exhausted = False
        last: Any = None
        sent = False
        try:
            while True:
                if reading is None and not exhausted:
                    reading = asyncio.ensure_future(self._source.__anext__())
                if checking is None and held and (unchecked >= self._window or exhausted):
                    covered, unchecked = len(held), 0
                    checking = asyncio.ensure_future(self._check(dict(texts)))
                waiting = [t for t in (reading, checking) if t is not None]
                if not waiting:
                    return
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if checking is not None and checking.done():
                    verdict = checking.result()
                    checking = None
                    if verdict is not None:
                        block, indexes = verdict
                        for chunk in self._dialect.blocked_chunks(last, self._model, block, indexes, sent):
                            self._released.put_nowait(chunk)
                        return
                    for chunk in held[:covered]:
                        self._released.put_nowait(chunk)
                    sent = sent or covered > 0
                    del held[:covered]
                if reading is not None and reading.done():
                    try:
                        chunk = reading.result()
                    except StopAsyncIteration:
                        exhausted = True
                    else:
                        held.append(chunk)
                        last = chunk
                        for index, text in self._dialect.chunk_texts(chunk).items():
                            texts[index] = texts.get(index, "") + text
                            unchecked += len(text)
                    reading = None
        finally:
            for task in (reading, checking):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await task
            await _close(self._source)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


async def _close(stream: AsyncIterator[Any]) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()
