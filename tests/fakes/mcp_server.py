"""A real MCP server (``mcp.server.mcpserver.MCPServer``) over streamable HTTP and SSE, for tests.

    with serve_mcp(token="s3cret") as server:
        server.http_url  # http://127.0.0.1:<port>/mcp  (streamable HTTP)
        server.sse_url   # http://127.0.0.1:<port>/sse  (legacy HTTP+SSE)
        server.legacy_sse_url  # http://127.0.0.1:<port>/legacy  (SSE only, found by fallback)

Tools: ``add(a, b)``, ``echo(text)``, ``fail()`` (raises ``ToolError``), ``whoami()`` (the
Authorization header it received), ``nap(seconds)`` and ``pixel()`` (a 1x1 PNG as image content).
With ``token`` set, a request without an Authorization header is answered 401, and one with another
token 403, before MCP sees it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.http_server import serve_asgi

# a valid 1x1 transparent PNG
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
FAIL_MESSAGE = "the tool failed on purpose"
TOOL_NAMES = ("add", "echo", "fail", "whoami", "nap", "pixel")


def build_mcp_server() -> MCPServer:
    """The MCP server with the test tools."""
    server = MCPServer(name="fake-mcp", log_level="WARNING")

    @server.tool(description="Add two integers.")
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool(description="Echo the text back.")
    def echo(text: str) -> str:
        return text

    @server.tool(description="Always fails.")
    def fail() -> str:
        raise ToolError(FAIL_MESSAGE)

    @server.tool(description="The Authorization header this request carried.")
    def whoami(ctx: Context) -> str:
        headers = ctx.headers or {}
        return headers.get("authorization", "")

    @server.tool(description="Sleep, then answer.")
    async def nap(seconds: float) -> str:
        await anyio.sleep(seconds)
        return "rested"

    @server.tool(description="A 1x1 PNG.")
    def pixel() -> Image:
        return Image(data=PIXEL_PNG, format="png")

    return server


class _RequireBearer:
    """ASGI middleware: 401 without an Authorization header, 403 with one that is not ``Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            presented = dict(scope["headers"]).get(b"authorization")
            if presented is None:
                await JSONResponse({"error": "unauthorized"}, status_code=401)(scope, receive, send)
                return
            if presented != self.expected:
                await JSONResponse({"error": "forbidden"}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(token: str | None = None) -> ASGIApp:
    """One Starlette app serving streamable HTTP at ``/mcp`` and SSE at ``/sse`` and ``/legacy``."""
    server = build_mcp_server()
    http_app = server.streamable_http_app()
    sse_app = server.sse_app()
    # SSE at a path that does not end with /sse: clients must discover it by falling back
    legacy_app = server.sse_app(sse_path="/legacy", message_path="/legacy-messages/")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    app: ASGIApp = Starlette(
        routes=[*http_app.routes, *sse_app.routes, *legacy_app.routes], lifespan=lifespan
    )
    if token is not None:
        app = _RequireBearer(app, token)
    return app


@dataclass(frozen=True)
class MCPTestServer:
    """Where a running test server listens."""

    base_url: str

    @property
    def http_url(self) -> str:
        return f"{self.base_url}/mcp"

    @property
    def sse_url(self) -> str:
        return f"{self.base_url}/sse"

    @property
    def legacy_sse_url(self) -> str:
        """SSE only, at a path a client cannot tell from a streamable-HTTP one (POST gets 405)."""
        return f"{self.base_url}/legacy"


@contextlib.contextmanager
def serve_mcp(token: str | None = None) -> Iterator[MCPTestServer]:
    """Serve the MCP test server on an ephemeral 127.0.0.1 port in a thread until the block ends."""
    with serve_asgi(build_app(token), lifespan="on") as base_url:
        yield MCPTestServer(base_url)
