"""``Stream[T]`` / ``AsyncStream[T]``: iterable, closeable results of streaming calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from .._sse_errors import raise_for_error_event

T = TypeVar("T")


class AsyncStream(Generic[T]):
    """An async iterator of chunks that closes its source on exit, ``aclose()`` or exhaustion."""

    def __init__(
        self, source: AsyncIterator[Any], parse: Callable[[Any], T], close: Callable[[], Any]
    ) -> None:
        self._source = source
        self._parse = parse
        self._close = close
        self._closed = False

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        try:
            item = await self._source.__anext__()
        except BaseException:
            await self.aclose()
            raise
        return self._parse(item)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        result = self._close()
        if hasattr(result, "__await__"):
            await result

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class Stream(Generic[T]):
    """The sync twin of ``AsyncStream``."""

    def __init__(self, source: Iterator[Any], parse: Callable[[Any], T], close: Callable[[], Any]) -> None:
        self._source = source
        self._parse = parse
        self._close = close
        self._closed = False

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        try:
            item = next(self._source)
        except BaseException:
            self.close()
            raise
        return self._parse(item)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def sse_data(line: str) -> Any | None:
    """The decoded payload of one SSE line; ``None`` for non-data lines; raises on an error event.

    ``StopIteration``-free: ``[DONE]`` is reported as the string ``"[DONE]"``.
    """
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if payload == "[DONE]":
        return payload
    data = json.loads(payload)
    raise_for_error_event(data)
    return data
