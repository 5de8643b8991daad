"""``remote::model-context-protocol`` served by a stack, against a real MCP server, via llama-stack-client 0.2.12."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient

from llama_stack_api import InvalidRequestError, NotSupportedError, ToolGroup
from llama_stack_api.context import (
    reset_current_resource,
    reset_request_context,
    set_current_resource,
    set_request_context,
)
from llama_stack_api.inference import URL
from llama_stack_providers.remote.tool_runtime.model_context_protocol.config import MCPToolRuntimeConfig
from llama_stack_providers.remote.tool_runtime.model_context_protocol.provider import (
    MCPToolRuntime,
    parameters,
)
from tests.fakes.mcp_server import FAIL_MESSAGE, PIXEL_PNG, TOOL_NAMES, MCPTestServer, serve_mcp
from tests.support.server import ServedStack, ServeStack

TOKEN = "s3cret"
PROVIDER_TYPE = "remote::model-context-protocol"

DISTRIBUTION = """\
version: 2
name: mcp-tool-groups
apis: [tool_runtime, tool_groups]
providers:
  tool_runtime:
    - provider_id: mcp
      provider_type: remote::model-context-protocol
      config: {{timeout_s: 10}}
tool_groups:
  - toolgroup_id: mcp::demo
    provider_id: mcp
    mcp_endpoint: {{uri: "{http_url}"}}
"""

# the token in the config: no provider data needed
SSE_DISTRIBUTION = """\
version: 2
name: mcp-sse
apis: [tool_runtime, tool_groups]
providers:
  tool_runtime:
    - provider_id: mcp-sse
      provider_type: remote::model-context-protocol
      config:
        headers: {{Authorization: "Bearer {token}"}}
"""


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[MCPTestServer]:
    with serve_mcp(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack, mcp_server: MCPTestServer) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION.format(http_url=mcp_server.http_url))


_OPEN: list[LlamaStackClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every client a test made (an unclosed one warns at garbage collection, in another test)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(server: ServedStack, headers: Any = None) -> LlamaStackClient:
    provider_data = {"mcp_headers": headers} if headers is not None else None
    sdk = LlamaStackClient(base_url=server.base_url, max_retries=0, provider_data=provider_data)
    _OPEN.append(sdk)
    return sdk


@pytest.fixture
def client(server: ServedStack, mcp_server: MCPTestServer) -> Iterator[LlamaStackClient]:
    with _client(server, {mcp_server.http_url: {"Authorization": f"Bearer {TOKEN}"}}) as sdk:
        yield sdk


def test_the_servers_tools_are_listed_with_parameters(client: LlamaStackClient) -> None:
    tools = {tool.identifier: tool for tool in client.tools.list(toolgroup_id="mcp::demo")}
    assert set(tools) == set(TOOL_NAMES)
    add = tools["add"]
    assert add.toolgroup_id == "mcp::demo" and add.provider_id == "mcp"
    assert add.description == "Add two integers."
    assert [(p.name, p.parameter_type, p.required) for p in add.parameters] == [
        ("a", "integer", True),
        ("b", "integer", True),
    ]
    assert add.model_dump()["metadata"]["input_schema"]["required"] == ["a", "b"]
    assert [p.parameter_type for p in tools["nap"].parameters] == ["number"]
    assert tools["fail"].parameters == []
    defs = client.tool_runtime.list_tools(tool_group_id="mcp::demo")
    assert {d.name for d in defs} == set(TOOL_NAMES)


def test_tools_are_listed_by_mcp_endpoint_too(client: LlamaStackClient, mcp_server: MCPTestServer) -> None:
    # llama-stack-client sends the endpoint as a nested query parameter: mcp_endpoint[uri]=...
    defs = client.tool_runtime.list_tools(mcp_endpoint={"uri": mcp_server.http_url})
    assert {d.name for d in defs} == set(TOOL_NAMES)
    with pytest.raises(llama_stack_client.BadRequestError, match="no tool group is registered"):
        client.tool_runtime.list_tools(mcp_endpoint={"uri": "http://127.0.0.1:9/unregistered"})


def test_invoking_a_tool_returns_its_text(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="add", kwargs={"a": 2, "b": 3})
    assert result.error_message is None
    assert [item.text for item in result.content] == ["5"]  # type: ignore[union-attr]


def test_the_request_headers_reach_the_server(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="whoami", kwargs={})
    assert [item.text for item in result.content] == [f"Bearer {TOKEN}"]  # type: ignore[union-attr]


def test_a_failing_tool_answers_with_an_error_message(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="fail", kwargs={})
    assert result.error_message is not None and FAIL_MESSAGE in result.error_message


def test_an_image_tool_answers_with_image_content(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="pixel", kwargs={})
    assert result.error_message is None
    content: list[dict[str, Any]] = result.model_dump()["content"]
    [item] = content
    assert item["type"] == "image"
    assert base64.b64decode(item["image"]["data"]) == PIXEL_PNG


def test_without_the_token_the_call_is_401(server: ServedStack, client: LlamaStackClient) -> None:
    client.tools.list(toolgroup_id="mcp::demo")  # the router knows the group's tools
    anonymous = _client(server)
    with pytest.raises(llama_stack_client.AuthenticationError):
        anonymous.tool_runtime.invoke_tool(tool_name="add", kwargs={"a": 1, "b": 1})
    with pytest.raises(llama_stack_client.AuthenticationError):
        anonymous.tool_runtime.list_tools(tool_group_id="mcp::demo")


def test_registering_a_group_without_the_token_is_401(server: ServedStack, mcp_server: MCPTestServer) -> None:
    anonymous = _client(server)
    with pytest.raises(llama_stack_client.AuthenticationError):
        anonymous.toolgroups.register(
            toolgroup_id="mcp::anonymous", provider_id="mcp", mcp_endpoint={"uri": mcp_server.http_url}
        )
    wrong = _client(server, {mcp_server.http_url: {"Authorization": "Bearer wrong"}})
    with pytest.raises(llama_stack_client.PermissionDeniedError):
        wrong.toolgroups.register(
            toolgroup_id="mcp::wrong", provider_id="mcp", mcp_endpoint={"uri": mcp_server.http_url}
        )
    assert "mcp::anonymous" not in [g.identifier for g in anonymous.toolgroups.list()]


def test_a_group_needs_an_endpoint_and_rag_is_not_supported(server: ServedStack) -> None:
    with pytest.raises(llama_stack_client.BadRequestError, match="mcp_endpoint"):
        _client(server).toolgroups.register(toolgroup_id="mcp::nowhere", provider_id="mcp")
    response = httpx.post(
        f"{server.base_url}/v1/tool-runtime/rag-tool/query", json={"content": "q", "vector_db_ids": ["kb"]}
    )
    assert response.status_code == 501 and PROVIDER_TYPE in response.json()["error"]["message"]


def test_malformed_mcp_headers_are_400(server: ServedStack) -> None:
    bad = _client(server, ["x"])
    with pytest.raises(llama_stack_client.BadRequestError, match="mcp_headers"):
        bad.tool_runtime.list_tools(tool_group_id="mcp::demo")


def test_an_sse_group_registered_at_runtime(serve_stack: ServeStack, mcp_server: MCPTestServer) -> None:
    served = serve_stack(SSE_DISTRIBUTION.format(token=TOKEN))
    client = _client(served)
    client.toolgroups.register(
        toolgroup_id="mcp::sse", provider_id="mcp-sse", mcp_endpoint={"uri": mcp_server.sse_url}
    )
    endpoint = client.toolgroups.get("mcp::sse").mcp_endpoint
    assert endpoint is not None and endpoint.uri == mcp_server.sse_url
    assert {tool.identifier for tool in client.tools.list(toolgroup_id="mcp::sse")} == set(TOOL_NAMES)
    result = client.tool_runtime.invoke_tool(tool_name="add", kwargs={"a": 2, "b": 3})
    assert [item.text for item in result.content] == ["5"]  # type: ignore[union-attr]
    # a request's mcp_headers override the config's
    wrong = _client(served, {mcp_server.sse_url: {"authorization": "Bearer wrong"}})
    with pytest.raises(llama_stack_client.PermissionDeniedError):
        wrong.tool_runtime.invoke_tool(tool_name="echo", kwargs={"text": "hi"})


async def test_the_provider_refuses_calls_without_an_endpoint() -> None:
    runtime = MCPToolRuntime(MCPToolRuntimeConfig())
    with pytest.raises(InvalidRequestError, match="mcp_endpoint"):
        await runtime.list_runtime_tools(tool_group_id="g")
    with pytest.raises(InvalidRequestError, match="tool group"):
        await runtime.invoke_tool("add", {})
    token = set_current_resource(ToolGroup(identifier="g", provider_id="mcp"))
    try:
        with pytest.raises(InvalidRequestError, match="mcp_endpoint"):
            await runtime.invoke_tool("add", {})
    finally:
        reset_current_resource(token)
    with pytest.raises(NotSupportedError, match=PROVIDER_TYPE):
        await runtime.rag_tool_insert(documents=[], vector_db_id="kb")


async def test_provider_data_headers_merge_over_the_config(mcp_server: MCPTestServer) -> None:
    runtime = MCPToolRuntime(MCPToolRuntimeConfig.model_validate({"headers": {"Authorization": "Bearer x"}}))
    context = set_request_context(
        None, {"mcp_headers": {mcp_server.http_url: {"authorization": f"Bearer {TOKEN}"}}}
    )
    try:
        listed = await runtime.list_runtime_tools(mcp_endpoint=URL(uri=mcp_server.http_url))
    finally:
        reset_request_context(context)
    assert {tool.name for tool in listed.data} == set(TOOL_NAMES)


def test_json_schema_properties_become_parameters() -> None:
    schema = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to find."},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 10},
            "tags": {"type": ["null", "array"], "items": {"type": "string"}, "title": "Tags"},
            "anything": {},
        },
        "required": ["query"],
    }
    assert [p.model_dump() for p in parameters(schema)] == [
        {
            "name": "query",
            "parameter_type": "string",
            "description": "What to find.",
            "required": True,
            "default": None,
        },
        {"name": "limit", "parameter_type": "integer", "description": "", "required": False, "default": 10},
        {
            "name": "tags",
            "parameter_type": "array",
            "description": "Tags",
            "required": False,
            "default": None,
        },
        {
            "name": "anything",
            "parameter_type": "string",
            "description": "",
            "required": False,
            "default": None,
        },
    ]
    assert parameters({"type": "object"}) == []
