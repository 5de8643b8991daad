"""An engine's server-sent-events answer, parsed incrementally into pydantic chunks until ``data: [DONE]``."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

import aiohttp
from pydantic import ValidationError

from .http_backend import transport_error
from .http_errors import error_from_stream_event, invalid_response

T = TypeVar("T")

DONE = b"[DONE]"
# after [DONE], how long to wait for the end of the body so the connection can be pooled again
DRAIN_AFTER_DONE_S = 1.0


class SSEStream(Generic[T]):
    """Iterate to get one ``T`` per ``data:`` event; it stops at ``[DONE]`` or the end of the body.

    ``aclose()`` (which the server calls when the client leaves, and which
    ``async with`` calls on exit) closes the HTTP response: the connection is
    dropped, so the engine sees the disconnect and stops generating. After a
    clean ``[DONE]`` the connection goes back to the pool instead.

    An ``{"error": ...}`` event is raised as the contract's error; an event that
    is neither a chunk nor an error is a ``ProviderError`` (invalid response).
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        parse: Callable[[bytes], T],
        *,
        label: str,
        url: str,
        secrets: Iterable[str] = (),
    ) -> None:
        self._response = response
        self._parse = parse
        self._label = label
        self._url = url
        self._secrets = tuple(secrets)
        self._events: deque[bytes] = deque()
        self._buffer = b""
        self._data: list[bytes] = []
        self._done = False  # [DONE] seen, or the body ended
        self._closed = False

    def __aiter__(self) -> SSEStream[T]:
        return self

    async def __anext__(self) -> T:
        while not self._events:
            if self._done:
                await self._finish()
                raise StopAsyncIteration
            await self._read_more()
        return self._decode(self._events.popleft())

    async def __aenter__(self) -> SSEStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading; abort the upstream request unless it already finished. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        self._events.clear()
        self._response.close()

    # --- reading ---------------------------------------------------------------------------

    async def _read_more(self) -> None:
        if self._closed:
            self._done = True
            return
        try:
            chunk = await self._response.content.readany()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self.aclose()
            raise transport_error(self._label, self._url, exc) from None
        except BaseException:  # cancelled while waiting: abort the upstream request, then propagate
            await self.aclose()
            raise
        if not chunk:
            self._feed(b"\n\n")  # an event the body ended without its blank line still counts
            self._done = True
            return
        self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        buffer = self._buffer + chunk
        start = 0
        while not self._done:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                self._dispatch()
            elif line.startswith(b"data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(b" ") else value)
            # other fields (event:, id:, retry:) and comments (":") carry nothing we use
        self._buffer = buffer[start:]

    def _dispatch(self) -> None:
        if not self._data:
            return
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        self._data = []
        if data.strip() == DONE:
            self._done = True
            return
        self._events.append(data)

    def _decode(self, data: bytes) -> T:
        try:
            return self._parse(data)
        except ValidationError as exc:
            error = self._error_event(data)
            self._closed = True
            self._done = True
            self._response.close()
            if error is not None:
                raise error from None
            raise invalid_response(
                self._label, self._url, f"stream event {_first_problem(exc)}", self._secrets
            ) from None

    def _error_event(self, data: bytes) -> Exception | None:
        try:
            payload = json.loads(data)
        except ValueError:
            return None
        return error_from_stream_event(self._label, self._url, payload, self._secrets)

    async def _finish(self) -> None:
        """After ``[DONE]``: read to the end of the body, so the pooled connection is reusable."""
        if self._closed:
            return
        self._closed = True
        try:
            async with asyncio.timeout(DRAIN_AFTER_DONE_S):
                while await self._response.content.readany():
                    pass
        except (TimeoutError, aiohttp.ClientError, OSError):
            self._response.close()
            return
        self._response.release()


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
