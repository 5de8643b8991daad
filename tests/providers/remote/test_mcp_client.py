"""The MCP client against a real MCP server (streamable HTTP and SSE) on a local port."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator

import pytest

from llama_stack_api.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from llama_stack_providers.utils.mcp_client import (
    MCPCallResult,
    MCPContent,
    call_mcp_tool,
    list_mcp_tools,
)
from tests.fakes.http_server import closed_port_url
from tests.fakes.mcp_server import FAIL_MESSAGE, PIXEL_PNG, TOOL_NAMES, MCPTestServer, serve_mcp

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[MCPTestServer]:
    with serve_mcp(token=TOKEN) as server:
        yield server


@pytest.fixture(params=["streamable_http", "sse", "sse_by_fallback"])
def endpoint(request: pytest.FixtureRequest, mcp_server: MCPTestServer) -> str:
    return {
        "streamable_http": mcp_server.http_url,
        "sse": mcp_server.sse_url,
        "sse_by_fallback": mcp_server.legacy_sse_url,
    }[request.param]


async def test_lists_tools_with_descriptions_and_schemas(endpoint: str) -> None:
    tools = {tool.name: tool for tool in await list_mcp_tools(endpoint, headers=AUTH)}

    assert set(tools) == set(TOOL_NAMES)
    assert tools["add"].description == "Add two integers."
    schema = tools["add"].input_schema
    assert schema["type"] == "object"
    assert schema["properties"]["a"]["type"] == "integer"
    assert schema["properties"]["b"]["type"] == "integer"
    assert sorted(schema["required"]) == ["a", "b"]
    assert tools["echo"].input_schema["properties"]["text"]["type"] == "string"
    assert tools["fail"].input_schema.get("properties", {}) == {}


async def test_calls_add_and_echo(endpoint: str) -> None:
    added = await call_mcp_tool(endpoint, "add", {"a": 2, "b": 40}, headers=AUTH)
    echoed = await call_mcp_tool(endpoint, "echo", {"text": "héllo, MCP"}, headers=AUTH)

    assert added == MCPCallResult(content=[MCPContent(type="text", text="42")], is_error=False)
    assert echoed == MCPCallResult(content=[MCPContent(type="text", text="héllo, MCP")], is_error=False)


async def test_image_content_keeps_data_and_mime_type(endpoint: str) -> None:
    result = await call_mcp_tool(endpoint, "pixel", {}, headers=AUTH)

    assert not result.is_error
    [image] = result.content
    assert image.type == "image"
    assert image.mime_type == "image/png"
    assert image.data is not None
    assert base64.b64decode(image.data) == PIXEL_PNG


async def test_a_failing_tool_is_an_error_result_not_an_exception(endpoint: str) -> None:
    result = await call_mcp_tool(endpoint, "fail", {}, headers=AUTH)

    assert result.is_error
    assert result.error_message is not None
    assert FAIL_MESSAGE in result.error_message


async def test_bad_arguments_are_an_error_result(mcp_server: MCPTestServer) -> None:
    result = await call_mcp_tool(mcp_server.http_url, "add", {"a": "not a number"}, headers=AUTH)

    assert result.is_error
    assert result.error_message is not None


async def test_unknown_tool_is_not_found_and_lists_the_servers_tools(endpoint: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        await call_mcp_tool(endpoint, "no_such_tool", {}, headers=AUTH)

    assert "no_such_tool" in caught.value.message
    for name in TOOL_NAMES:
        assert name in caught.value.message


async def test_auth_header_is_forwarded(endpoint: str) -> None:
    result = await call_mcp_tool(endpoint, "whoami", {}, headers=AUTH)

    assert result.content == [MCPContent(type="text", text=f"Bearer {TOKEN}")]


async def test_missing_token_is_an_authentication_error_naming_the_endpoint(endpoint: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await list_mcp_tools(endpoint)

    assert endpoint in caught.value.message
    assert caught.value.retriable is False


async def test_wrong_token_is_permission_denied(endpoint: str) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        await call_mcp_tool(endpoint, "add", {"a": 1, "b": 1}, headers={"Authorization": "Bearer wrong"})

    assert endpoint in caught.value.message


@pytest.mark.parametrize("path", ["/mcp", "/sse"])
async def test_server_down_is_provider_unavailable(path: str) -> None:
    endpoint = closed_port_url() + path

    with pytest.raises(ProviderUnavailableError) as caught:
        await list_mcp_tools(endpoint, timeout_s=5.0)

    assert endpoint in caught.value.message


@pytest.mark.parametrize("transport", ["streamable_http", "sse"])
async def test_slow_tool_is_a_provider_timeout(mcp_server: MCPTestServer, transport: str) -> None:
    endpoint = mcp_server.http_url if transport == "streamable_http" else mcp_server.sse_url

    with pytest.raises(ProviderTimeoutError) as caught:
        await call_mcp_tool(endpoint, "nap", {"seconds": 2.0}, headers=AUTH, timeout_s=0.5)

    assert endpoint in caught.value.message


async def test_calls_leave_no_tasks_or_threads_behind(mcp_server: MCPTestServer) -> None:
    threads_before = threading.active_count()
    tasks_before = asyncio.all_tasks()

    for endpoint in (mcp_server.http_url, mcp_server.sse_url, mcp_server.legacy_sse_url):
        await call_mcp_tool(endpoint, "echo", {"text": "x"}, headers=AUTH)
        with pytest.raises(NotFoundError):
            await call_mcp_tool(endpoint, "no_such_tool", {}, headers=AUTH)

    assert asyncio.all_tasks() == tasks_before
    assert threading.active_count() == threads_before


async def test_concurrent_calls_share_nothing(mcp_server: MCPTestServer) -> None:
    results = await asyncio.gather(
        *(
            call_mcp_tool(url, "add", {"a": i, "b": 1}, headers=AUTH)
            for i in range(6)
            for url in (mcp_server.http_url, mcp_server.sse_url)
        )
    )

    assert [result.content[0].text for result in results] == [str(i + 1) for i in range(6) for _ in range(2)]
