"""A one-shot Model Context Protocol client (shared by the MCP tool runtime and the Responses API's mcp tools):
list a server's tools or call one, over streamable HTTP or SSE.

Every call opens a connection, initializes an MCP session, does its work and closes it again, all in
the caller's task (no background tasks, sockets or threads outlive the call).

Transport rule: an endpoint whose path ends with ``/sse`` is spoken to over the legacy HTTP+SSE
transport. Any other endpoint is tried over streamable HTTP first; when the server answers the
``initialize`` POST with 404 or 405 (it does not speak streamable HTTP at that path), the call is
retried once over SSE at the same URL.

Errors map onto the contract's errors: connection failures → ``ProviderUnavailableError``; HTTP
401 / 403 → ``AuthenticationError`` / ``PermissionDeniedError``; an unknown tool → ``NotFoundError``
listing the server's tools; running past ``timeout_s`` → ``ProviderTimeoutError``; any other MCP or
HTTP failure → ``ProviderError``. A tool that raises is an answer, not an exception:
``MCPCallResult(is_error=True, error_message=...)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlparse

import anyio
import httpx2
import mcp_types
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from llama_stack_api.errors import (
    AuthenticationError,
    LlamaStackError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)

__all__ = ["MCPCallResult", "MCPContent", "MCPToolDef", "call_mcp_tool", "list_mcp_tools"]

_T = TypeVar("_T")
_Transport = Literal["streamable_http", "sse"]

# statuses on the streamable-HTTP ``initialize`` POST that mean "no streamable HTTP here, try SSE"
_WRONG_TRANSPORT_STATUSES = frozenset({404, 405})
_REQUEST_TIMEOUT_CODE = -32001


@dataclass(frozen=True)
class MCPToolDef:
    """One tool a server offers, as ``tools/list`` describes it."""

    name: str
    description: str | None
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class MCPContent:
    """One content block of a tool result (text, or base64 image data with its MIME type)."""

    type: Literal["text", "image"]
    text: str | None = None
    data: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class MCPCallResult:
    """A tool's answer; ``is_error`` when the tool itself failed (``error_message`` says how)."""

    content: list[MCPContent]
    is_error: bool
    error_message: str | None = None


async def list_mcp_tools(
    endpoint: str, *, headers: dict[str, str] | None = None, timeout_s: float = 30.0
) -> list[MCPToolDef]:
    """The tools the MCP server at ``endpoint`` offers (every page of ``tools/list``)."""
    tools = await _with_session(endpoint, headers, timeout_s, _list_tools)
    return [_tool_def(tool) for tool in tools]


async def call_mcp_tool(
    endpoint: str,
    tool_name: str,
    arguments: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> MCPCallResult:
    """Call ``tool_name`` with ``arguments`` on the MCP server at ``endpoint``.

    Raises ``NotFoundError`` (naming the tools the server has) when the server has no such tool.
    """

    async def work(session: ClientSession) -> tuple[list[str], mcp_types.CallToolResult | None]:
        names = [tool.name for tool in await _list_tools(session)]
        if tool_name not in names:
            return names, None
        result = await session.call_tool(tool_name, arguments)
        if not isinstance(result, mcp_types.CallToolResult):
            raise ProviderError(
                f"MCP server at {endpoint} answered tools/call {tool_name!r} with an unsupported "
                f"{type(result).__name__}"
            )
        return names, result

    names, result = await _with_session(endpoint, headers, timeout_s, work)
    if result is None:
        raise NotFoundError(
            f"MCP server at {endpoint} has no tool {tool_name!r}; its tools: {', '.join(names) or '(none)'}",
            param="tool_name",
        )
    return _call_result(result)


async def _list_tools(session: ClientSession) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    while True:
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            return tools


def _tool_def(tool: mcp_types.Tool) -> MCPToolDef:
    return MCPToolDef(name=tool.name, description=tool.description, input_schema=dict(tool.input_schema))


def _call_result(result: mcp_types.CallToolResult) -> MCPCallResult:
    content: list[MCPContent] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            content.append(MCPContent(type="text", text=block.text))
        elif isinstance(block, mcp_types.ImageContent):
            content.append(MCPContent(type="image", data=block.data, mime_type=block.mime_type))
        else:  # audio, resource links, embedded resources: not representable as text/image, say so
            content.append(MCPContent(type="text", text=f"[{block.type} content omitted]"))
    if not result.is_error:
        return MCPCallResult(content=content, is_error=False)
    message = "\n".join(block.text for block in content if block.text) or "the tool reported an error"
    return MCPCallResult(content=content, is_error=True, error_message=message)


class _StatusLog:
    """Records the HTTP status of every response on a connection (the MCP transports swallow them)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []

    async def __call__(self, response: httpx2.Response) -> None:
        self.statuses.append(response.status_code)

    def refusal(self) -> int | None:
        return next((status for status in self.statuses if status in (401, 403)), None)

    def hooks(self) -> dict[str, list[Callable[[httpx2.Response], Awaitable[None]]]]:
        return {"response": [self]}


class _WrongTransport(Exception):
    """The server does not speak streamable HTTP at this endpoint."""


def _first_transport(endpoint: str) -> _Transport:
    return "sse" if urlparse(endpoint).path.rstrip("/").endswith("/sse") else "streamable_http"


async def _with_session(
    endpoint: str,
    headers: dict[str, str] | None,
    timeout_s: float,
    work: Callable[[ClientSession], Awaitable[_T]],
) -> _T:
    """Run ``work`` on a fresh initialized session, choosing the transport and mapping errors."""
    try:
        with anyio.fail_after(timeout_s):
            if _first_transport(endpoint) == "streamable_http":
                try:
                    return await _attempt(endpoint, "streamable_http", headers, timeout_s, work)
                except _WrongTransport:
                    pass
            return await _attempt(endpoint, "sse", headers, timeout_s, work)
    except TimeoutError as exc:
        raise ProviderTimeoutError(f"MCP server at {endpoint} did not answer within {timeout_s:g}s") from exc


async def _attempt(
    endpoint: str,
    transport: _Transport,
    headers: dict[str, str] | None,
    timeout_s: float,
    work: Callable[[ClientSession], Awaitable[_T]],
) -> _T:
    log = _StatusLog()
    initialized = False
    try:
        async with (
            _open_streams(endpoint, transport, headers, timeout_s, log) as (read, write),
            ClientSession(read, write, read_timeout_seconds=timeout_s) as session,
        ):
            await session.initialize()
            initialized = True
            return await work(session)
    except (MCPError, httpx2.HTTPError, ValidationError, ExceptionGroup) as exc:
        if (
            transport == "streamable_http"
            and not initialized
            and log.statuses
            and log.statuses[0] in _WRONG_TRANSPORT_STATUSES
        ):
            raise _WrongTransport(endpoint) from exc
        raise _translate(exc, endpoint, log) from exc


@contextlib.asynccontextmanager
async def _open_streams(
    endpoint: str,
    transport: _Transport,
    headers: dict[str, str] | None,
    timeout_s: float,
    log: _StatusLog,
) -> AsyncIterator[Any]:
    # the overall deadline is anyio's; httpx gets a little more so the deadline fires first and names it
    http_timeout = timeout_s + 5.0
    if transport == "streamable_http":
        async with (
            httpx2.AsyncClient(
                headers=headers, timeout=httpx2.Timeout(http_timeout), event_hooks=log.hooks()
            ) as client,
            streamable_http_client(endpoint, http_client=client) as streams,
        ):
            yield streams
        return

    def client_factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(headers=headers, timeout=timeout, auth=auth, event_hooks=log.hooks())

    async with sse_client(
        endpoint,
        headers=headers,
        timeout=http_timeout,
        sse_read_timeout=http_timeout,
        httpx_client_factory=client_factory,
    ) as streams:
        yield streams


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _translate(exc: BaseException, endpoint: str, log: _StatusLog) -> LlamaStackError:
    """The contract error for a failed MCP exchange (``exc`` may be a group from the transport's tasks)."""
    refusal = log.refusal()
    leaves = _leaves(exc)
    for leaf in leaves:
        if isinstance(leaf, httpx2.HTTPStatusError) and leaf.response.status_code in (401, 403):
            refusal = leaf.response.status_code
    if refusal == 401:
        return AuthenticationError(
            f"MCP server at {endpoint} refused the credentials (HTTP 401)", retriable=False
        )
    if refusal == 403:
        return PermissionDeniedError(f"MCP server at {endpoint} denied access (HTTP 403)", retriable=False)
    for leaf in leaves:
        if isinstance(leaf, LlamaStackError):
            return leaf
    for leaf in leaves:
        if isinstance(leaf, httpx2.TimeoutException) or (
            isinstance(leaf, MCPError) and leaf.code == _REQUEST_TIMEOUT_CODE
        ):
            return ProviderTimeoutError(f"MCP server at {endpoint} timed out: {leaf}")
        if isinstance(leaf, httpx2.TransportError | OSError):
            return ProviderUnavailableError(f"MCP server at {endpoint} is unreachable: {leaf}")
    detail = "; ".join(f"{type(leaf).__name__}: {leaf}" for leaf in leaves)
    statuses = f" (HTTP statuses: {', '.join(map(str, log.statuses))})" if log.statuses else ""
    return ProviderError(f"MCP exchange with {endpoint} failed{statuses}: {detail}")
