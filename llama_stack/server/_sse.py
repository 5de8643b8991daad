"""Server-sent events for streaming methods, cancelled when the client goes away."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
from pydantic import TypeAdapter
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._errors import error_envelope

logger = logging.getLogger("llama_stack.server")

_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def sse_event(payload: Any) -> bytes:
    return b"data: " + _ANY.dump_json(payload) + b"\n\n"


class SSEResponse(Response):
    """Streams ``data: {json}`` events; OpenAI streams end with ``data: [DONE]``.

    It always listens for ``http.disconnect`` and cancels the stream, so the
    provider stops generating as soon as the client leaves, not at the next
    write. An error after the first event is sent as an ``error`` event (the
    status line has gone out already).
    """

    media_type = "text/event-stream"

    def __init__(
        self, stream: AsyncIterator[Any], *, done_marker: bool, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(
            content=None, media_type=self.media_type, headers={"Cache-Control": "no-cache", **(headers or {})}
        )
        # the length is unknown: drop the `content-length: 0` Response adds for an empty body
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self._stream = stream
        self._done_marker = done_marker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        group.cancel_scope.cancel()
                        return

            group.start_soon(watch_disconnect)
            try:
                await self._send_events(send)
            finally:
                with anyio.CancelScope(shield=True):
                    closer = getattr(self._stream, "aclose", None)
                    if closer is not None:
                        await closer()
            group.cancel_scope.cancel()

    async def _send_events(self, send: Send) -> None:
        try:
            async for chunk in self._stream:
                await send({"type": "http.response.body", "body": sse_event(chunk), "more_body": True})
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:  # reported to the client as an SSE error event
            _, envelope = error_envelope(exc)
            await send({"type": "http.response.body", "body": sse_event(envelope), "more_body": True})
        if self._done_marker:
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
