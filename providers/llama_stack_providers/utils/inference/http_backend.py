"""One long-lived, pooled aiohttp session per provider instance, speaking JSON to an engine's base URL.

aiohttp was chosen by measurement (``bench/outbound_client.py``): posting a
small JSON body to a local server it served 4-20x the requests per second of
httpx and httpx2 at 1, 8 and 32 concurrent requests, at a fifth to a tenth of
the CPU per request, and 2-6x the SSE streams.

Every transport failure and every HTTP error answer becomes one of the
contract's errors here (``http_errors`` holds the table), so providers never
see an aiohttp exception. Headers are never logged: they carry API keys.
"""

from __future__ import annotations

import errno
import logging
import ssl
from collections.abc import Callable, Iterable, Mapping

import aiohttp

from llama_stack_api import LlamaStackError, ProviderUnavailableError

from .http_errors import (
    UpstreamFailure,
    decode_failure,
    default_error,
    invalid_response,
    public_url,
    timed_out,
    unreachable,
)
from .remote_config import RemoteHTTPConfig

logger = logging.getLogger(__name__)

ErrorMapper = Callable[[UpstreamFailure], LlamaStackError]
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
SSE_HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}


class HTTPBackend:
    """A JSON client for one engine: ``start()`` in the provider's ``initialize()``, ``close()`` in ``shutdown()``.

    ``label`` names the provider in every error (``remote::vllm``); ``map_error``
    turns an engine's HTTP error into a contract error (providers refine the
    default, e.g. vLLM's context-length message).
    """

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        config: RemoteHTTPConfig,
        map_error: ErrorMapper = default_error,
    ) -> None:
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.config = config
        self.map_error = map_error
        self._session: aiohttp.ClientSession | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._session is not None:
            return
        connector = aiohttp.TCPConnector(
            limit=self.config.max_connections,
            keepalive_timeout=self.config.keepalive_timeout_s,
            ssl=self._ssl_setting(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=self.config.connect_timeout_s,
                sock_read=self.config.read_timeout_s,
            ),
        )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _ssl_setting(self) -> bool | ssl.SSLContext:
        tls_verify = self.config.tls_verify
        if not isinstance(tls_verify, str):
            # True: aiohttp's default verification; False: none (self-signed test servers)
            return tls_verify
        try:
            return ssl.create_default_context(cafile=tls_verify)
        except (OSError, ssl.SSLError) as exc:
            raise ProviderUnavailableError(
                f"{self.label}: cannot load the CA bundle {tls_verify!r} named by tls_verify "
                f"({getattr(exc, 'strerror', None) or exc}); fix the path or set tls_verify: true",
                code="provider_misconfigured",
            ) from None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise ProviderUnavailableError(
                f"{self.label} at {public_url(self.base_url)} is not started (initialize() was not called, "
                "or the provider is shut down)",
                code="provider_not_started",
            )
        return self._session

    def url(self, path: str) -> str:
        """``path`` under the base URL; an absolute ``http(s)://`` URL is used as is."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    # --- requests --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
    ) -> bytes:
        """Send a request and return the 2xx body; any failure is raised as a contract error."""
        url = self.url(path)
        secrets = tuple(secrets)
        try:
            async with self.session.request(
                method, url, data=body, headers={**JSON_HEADERS, **(headers or {})}
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise self._failure(url, response, raw, secrets)
                logger.debug("%s %s %s -> %d", self.label, method, public_url(url), response.status)
                return raw
        except LlamaStackError:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise transport_error(self.label, url, exc) from None

    async def open_stream(
        self,
        path: str,
        *,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
    ) -> aiohttp.ClientResponse:
        """POST and return the open 2xx response for the caller to read and close.

        An error status is read, closed and raised here, before anything is
        streamed, so the client gets a proper HTTP error instead of an SSE event.
        """
        url = self.url(path)
        secrets = tuple(secrets)
        try:
            response = await self.session.post(url, data=body, headers={**SSE_HEADERS, **(headers or {})})
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise transport_error(self.label, url, exc) from None
        content_type = response.headers.get("Content-Type", "text/event-stream")
        if response.status < 400 and content_type.startswith("text/event-stream"):
            return response
        try:
            raw = await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise transport_error(self.label, url, exc) from None
        finally:
            response.release()
        if response.status < 400:
            # a proxy's HTML page, or an engine that ignored "stream": true
            snippet = raw[:200].decode("utf-8", errors="replace")
            raise invalid_response(
                self.label, url, f"{content_type} instead of an event stream: {snippet!r}", secrets
            )
        raise self._failure(url, response, raw, secrets)

    def _failure(
        self, url: str, response: aiohttp.ClientResponse, raw: bytes, secrets: tuple[str, ...]
    ) -> LlamaStackError:
        failure = decode_failure(self.label, url, response.status, raw, response.headers, secrets)
        logger.info("%s %s -> HTTP %d: %s", self.label, public_url(url), response.status, failure.message)
        return self.map_error(failure)


_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
}


def transport_error(label: str, url: str, exc: BaseException) -> LlamaStackError:
    """A connection-level failure (no HTTP answer, or a broken one) as a contract error."""
    if isinstance(exc, TimeoutError):  # aiohttp's connect and read timeouts are TimeoutErrors
        what = "accept the connection" if isinstance(exc, aiohttp.ConnectionTimeoutError) else "answer"
        return timed_out(label, url, what)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return unreachable(label, url, "the host name does not resolve")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return unreachable(label, url, "its TLS certificate was refused; see the provider's tls_verify")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return unreachable(label, url, _ERRNO_WORDS.get(exc.errno or 0) or exc.strerror or "cannot connect")
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return unreachable(label, url, "the connection was closed before the answer was complete")
    if isinstance(exc, aiohttp.InvalidURL):
        return unreachable(label, url, "the URL is not valid")
    if isinstance(exc, OSError):
        return unreachable(label, url, _ERRNO_WORDS.get(exc.errno or 0) or exc.strerror or type(exc).__name__)
    return unreachable(label, url, type(exc).__name__)
