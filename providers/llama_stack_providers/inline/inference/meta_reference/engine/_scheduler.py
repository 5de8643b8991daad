"""``GenerationScheduler``: the async face of the engine, batching concurrent requests on one worker thread.

Every torch call runs on the scheduler's single worker thread, never on the
event loop. The worker admits waiting requests into free slots of one
``DecodeBatch`` (prefilling each), then runs decode steps over all active
requests together — continuous batching — and posts each token to its
request's asyncio queue. A request whose consumer stops listening (the async
generator is closed or its task cancelled) is evicted before the next step,
freeing its slot for the next waiting request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from llama_stack_api.errors import ProviderError, ProviderUnavailableError

from ._batch import DecodeBatch, SequenceState
from ._generator import Generator
from ._sampling import GeneratedToken, SamplingOptions

_Item = GeneratedToken | BaseException
logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Request:
    seq: SequenceState
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[_Item] = field(default_factory=asyncio.Queue)
    cancelled: bool = False
    """Set by the consumer's side; the worker evicts the request before its next step."""


class GenerationScheduler:
    """Streams tokens for concurrent requests, batching up to ``max_batch_size`` of them per decode step."""

    def __init__(self, generator: Generator, *, max_batch_size: int = 4) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self._generator = generator
        self._max_batch_size = max_batch_size
        self._cond = threading.Condition()
        self._pending: deque[_Request] = deque()
        self._active: list[_Request] = []
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def active_requests(self) -> int:
        """Requests holding a slot in the batch now."""
        return len(self._active)

    @property
    def pending_requests(self) -> int:
        """Requests waiting for a free slot."""
        return len(self._pending)

    async def stream(
        self, prompt_ids: list[int], options: SamplingOptions, stop_token_ids: Iterable[int]
    ) -> AsyncIterator[GeneratedToken]:
        """Generate one request's tokens as they are produced; the last carries ``finish_reason``.

        Raises ``ContextLengthError`` (prompt does not fit) or ``InvalidRequestError``
        before any work starts, ``ProviderUnavailableError`` once the scheduler is
        closed, and re-raises whatever the model raised for this request.
        Closing the generator early cancels the request at its next token.
        """
        seq = self._generator.start(prompt_ids, options, stop_token_ids)
        request = _Request(seq=seq, loop=asyncio.get_running_loop())
        with self._cond:
            if self._closed:
                raise ProviderUnavailableError("the generation scheduler is closed")
            self._pending.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="meta-reference-engine", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            while True:
                item = await request.queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            if not seq.finished:
                with self._cond:
                    request.cancelled = True
                    self._cond.notify()

    async def aclose(self) -> None:
        """Stop the worker; requests still running or waiting fail with ``ProviderUnavailableError``."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join)

    # -- the worker thread -------------------------------------------------------------

    def _work(self) -> None:
        try:
            self._loop(self._generator.new_batch(self._max_batch_size))
        except BaseException as exc:
            # a bug, or the cache's allocation failing: fail every request rather than leave them hanging
            logger.exception("the meta-reference engine's worker thread failed")
            with self._cond:
                self._closed = True
            self._fail_all(ProviderError(f"the meta-reference engine failed: {type(exc).__name__}: {exc}"))
            return
        self._fail_all(ProviderUnavailableError("the generation scheduler was closed while this request ran"))

    def _loop(self, batch: DecodeBatch) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._pending and not self._active:
                    self._cond.wait()
                if self._closed:
                    return
                cancelled = [r for r in self._active if r.cancelled]
                self._active = [r for r in self._active if not r.cancelled]
                admitted: list[_Request] = []
                while self._pending and len(self._active) + len(admitted) < batch.slots:
                    request = self._pending.popleft()
                    if not request.cancelled:
                        admitted.append(request)
            for request in cancelled:
                batch.evict(request.seq)
            for request in admitted:
                self._admit(batch, request)
            self._step(batch)

    def _admit(self, batch: DecodeBatch, request: _Request) -> None:
        try:
            token = batch.admit(request.seq)
        except Exception as exc:  # handed to the request's consumer, which re-raises it
            self._deliver(request, exc)
            return
        if token.finish_reason is None:
            with self._cond:
                self._active.append(request)
        self._deliver(request, token)

    def _step(self, batch: DecodeBatch) -> None:
        if not batch.active:
            return
        by_seq = {id(r.seq): r for r in self._active}
        try:
            results = batch.step()
        except Exception as exc:
            for seq in list(batch.active):
                batch.evict(seq)
            with self._cond:
                failed, self._active = self._active, []
            for request in failed:
                self._deliver(request, exc)
            return
        finished = {id(seq) for seq, token in results if token.finish_reason is not None}
        if finished:
            # book-keeping first, so a consumer that sees its last token also sees its slot freed
            with self._cond:
                self._active = [r for r in self._active if id(r.seq) not in finished]
        for seq, token in results:
            self._deliver(by_seq[id(seq)], token)

    def _fail_all(self, error: BaseException) -> None:
        with self._cond:
            requests = list(self._pending) + self._active
            self._pending.clear()
            self._active = []
        for request in requests:
            self._deliver(request, error)

    def _deliver(self, request: _Request, item: _Item) -> None:
        try:
            request.loop.call_soon_threadsafe(request.queue.put_nowait, item)
        except RuntimeError:
            # the consumer's event loop is closed: nobody is listening, so stop generating for it
            request.cancelled = True
