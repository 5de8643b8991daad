"""``LlamaStackClient`` and ``AsyncLlamaStackClient``: the typed HTTP clients.

They differ only where they touch the transport; everything else is in ``_core``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from llama_stack_api import Api, MethodSpec

from ._core import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    APIConnectionError,
    PreparedCall,
    attach_apis,
    chunk_parser,
    default_headers,
    prepare_call,
    raise_for_status,
    request_content,
    result_from,
)
from ._generated import AsyncApis, SyncApis
from ._streams import AsyncStream, Stream, sse_data


class AsyncLlamaStackClient(AsyncApis):
    """Async client: ``await client.inference.chat_completion(...)``.

    Streaming calls return an ``AsyncStream`` once the server has accepted the
    request (so HTTP errors raise at the ``await``), to be iterated and closed.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        provider_data: dict[str, Any] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http_client or httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, headers=default_headers(api_key, provider_data)
        )
        attach_apis(self, self._invoke)

    async def _invoke(self, api: Api, spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call = prepare_call(spec, args, kwargs)
        request = self._http.build_request(call.method, call.path, params=call.query, **request_content(call))
        try:
            response = await self._http.send(request, stream=call.stream)
        except httpx.TransportError as exc:
            raise APIConnectionError(f"cannot reach {self.base_url}: {exc}") from exc
        if not call.stream:
            raise_for_status(response)
            return result_from(spec, response)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise_for_status(response)
        return AsyncStream(_async_events(response), chunk_parser(spec), response.aclose)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncLlamaStackClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class LlamaStackClient(SyncApis):
    """Sync client: ``client.inference.chat_completion(...)``; streams are ``Stream`` iterators."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        provider_data: dict[str, Any] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http_client or httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=default_headers(api_key, provider_data)
        )
        attach_apis(self, self._invoke)

    def _invoke(self, api: Api, spec: MethodSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call: PreparedCall = prepare_call(spec, args, kwargs)
        request = self._http.build_request(call.method, call.path, params=call.query, **request_content(call))
        try:
            response = self._http.send(request, stream=call.stream)
        except httpx.TransportError as exc:
            raise APIConnectionError(f"cannot reach {self.base_url}: {exc}") from exc
        if not call.stream:
            raise_for_status(response)
            return result_from(spec, response)
        if response.status_code >= 400:
            response.read()
            response.close()
            raise_for_status(response)
        return Stream(_sync_events(response), chunk_parser(spec), response.close)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LlamaStackClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


async def _async_events(response: httpx.Response) -> Any:
    async for line in response.aiter_lines():
        data = sse_data(line)
        if data == "[DONE]":
            break
        if data is not None:
            yield data


def _sync_events(response: httpx.Response) -> Any:
    for line in response.iter_lines():
        data = sse_data(line)
        if data == "[DONE]":
            break
        if data is not None:
            yield data
