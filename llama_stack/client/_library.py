"""Library clients: the same stack and the same interface as the HTTP clients, in-process.

``AsyncLlamaStackAsLibraryClient`` runs the stack on the caller's event loop.
``LlamaStackAsLibraryClient`` runs it on a private loop in a background
thread, so it also works from code that already runs an event loop (a
notebook, an async web app) without ``asyncio.run`` conflicts.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from llama_stack_api import Api, MethodSpec, NotFoundError

from ..binding import validate_arguments
from ..config import find_distribution, load_stack_config
from ..plugins import discover
from ..stack import Stack, start_stack
from ._core import attach_apis
from ._generated import AsyncApis, SyncApis
from ._streams import AsyncStream, Stream

T = TypeVar("T")


class AsyncLlamaStackAsLibraryClient(AsyncApis):
    """Run a distribution in-process: ``async with AsyncLlamaStackAsLibraryClient("starter") as client``."""

    def __init__(
        self,
        config: str | Path,
        *,
        env: Mapping[str, str] | None = None,
        extra_plugins: list[Any] | None = None,
    ) -> None:
        self._config_ref = config
        self._env = {**os.environ, **(env or {})}
        self._extra_plugins = extra_plugins
        self.stack: Stack | None = None
        attach_apis(self, self._invoke)

    async def initialize(self) -> None:
        if self.stack is not None:
            return
        registry = discover(self._extra_plugins)
        path = find_distribution(str(self._config_ref), registry)
        config = load_stack_config(path, registry, self._env)
        self.stack = await start_stack(config)

    async def _invoke(self, api: Api, spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.stack is None:
            await self.initialize()
        assert self.stack is not None
        impl = self.stack.impls.get(api)
        if impl is None:
            served = ", ".join(a.value for a in self.stack.impls)
            raise NotFoundError(f"this stack does not serve the {api.value} API; it serves: {served}")
        raw = spec.signature.bind(None, *args, **kwargs).arguments
        raw.pop("self", None)
        arguments = validate_arguments(spec, raw)
        result = await getattr(impl, spec.name)(**arguments)
        if spec.is_streaming(arguments):
            stream: AsyncIterator[Any] = result
            return AsyncStream(stream, lambda chunk: chunk, getattr(stream, "aclose", lambda: None))
        return result

    async def close(self) -> None:
        if self.stack is not None:
            await self.stack.shutdown()
            self.stack = None

    async def __aenter__(self) -> AsyncLlamaStackAsLibraryClient:
        await self.initialize()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class LlamaStackAsLibraryClient(SyncApis):
    """The blocking library client; the stack lives on its own loop in a daemon thread."""

    def __init__(
        self,
        config: str | Path,
        *,
        env: Mapping[str, str] | None = None,
        extra_plugins: list[Any] | None = None,
    ) -> None:
        self._inner = AsyncLlamaStackAsLibraryClient(config, env=env, extra_plugins=extra_plugins)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="llama-stack-library", daemon=True
        )
        self._thread.start()
        attach_apis(self, self._invoke)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def initialize(self) -> None:
        self._run(self._inner.initialize())

    @property
    def stack(self) -> Stack | None:
        return self._inner.stack

    def _invoke(self, api: Api, spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = self._run(self._inner._invoke(api, spec, args, kwargs))
        if isinstance(result, AsyncStream):
            return Stream(self._blocking(result), lambda chunk: chunk, lambda: self._run(result.aclose()))
        return result

    def _blocking(self, stream: AsyncStream[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self._run(stream.__anext__())
            except StopAsyncIteration:
                return

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._inner.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> LlamaStackAsLibraryClient:
        self.initialize()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
