"""Tool groups and the tool runtime through llama-stack-client 0.2.12: builtin::rag's knowledge_search."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient

from tests.support.server import ServedStack, ServeStack

DISTRIBUTION = """\
version: 2
name: tool-groups
apis: [inference, models, vector_io, vector_dbs, tool_runtime, tool_groups]
providers:
  inference:
    - provider_id: fake
      provider_type: inline::fake
      config: {embedding_dimension: 8}
  vector_io:
    - provider_id: sqlite-vec
      provider_type: inline::sqlite-vec
      config: {}
  tool_runtime:
    - provider_id: rag-runtime
      provider_type: inline::rag-runtime
      config: {}
vector_dbs:
  - vector_db_id: kb
    provider_id: sqlite-vec
    embedding_model: fake-embed
    embedding_dimension: 8
tool_groups:
  - toolgroup_id: builtin::rag
    provider_id: rag-runtime
    args: {vector_db_ids: [kb], query_config: {mode: keyword, max_chunks: 2}}
"""


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION)


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0) as sdk:
        yield sdk


def test_groups_and_their_tools_are_listed(client: LlamaStackClient) -> None:
    groups = {g.identifier: g for g in client.toolgroups.list()}
    assert groups["builtin::rag"].provider_id == "rag-runtime"
    assert client.toolgroups.get("builtin::rag").args == {
        "vector_db_ids": ["kb"],
        "query_config": {"mode": "keyword", "max_chunks": 2},
    }
    [tool] = client.tools.list(toolgroup_id="builtin::rag")
    assert tool.identifier == "knowledge_search" and tool.toolgroup_id == "builtin::rag"
    assert [p.name for p in tool.parameters] == ["query"]
    assert client.tools.get("knowledge_search").provider_id == "rag-runtime"
    defs = client.tool_runtime.list_tools(tool_group_id="builtin::rag")
    assert [d.name for d in defs] == ["knowledge_search"]


def test_invoking_knowledge_search_searches_the_groups_stores(client: LlamaStackClient) -> None:
    client.vector_io.insert(
        vector_db_id="kb",
        chunks=[
            {
                "content": "Lighthouses guide ships past dangerous rocks.",
                "metadata": {"document_id": "lights"},
            },
            {"content": "Sourdough needs a lively starter.", "metadata": {"document_id": "bread"}},
        ],
    )
    result = client.tool_runtime.invoke_tool(tool_name="knowledge_search", kwargs={"query": "ships rocks"})
    assert result.error_message is None
    texts = [item.text for item in result.content]  # type: ignore[union-attr]
    assert texts[0].startswith("knowledge_search tool found 1 chunks")
    assert "Lighthouses guide ships" in texts[1]
    assert result.metadata is not None and result.metadata["document_ids"] == ["lights"]
    bad = client.tool_runtime.invoke_tool(tool_name="knowledge_search", kwargs={})
    assert bad.error_message is not None and "query" in bad.error_message


def test_register_and_unregister_a_group(server: ServedStack, client: LlamaStackClient) -> None:
    client.toolgroups.register(
        toolgroup_id="notes-search", provider_id="rag-runtime", args={"vector_db_ids": ["kb"]}
    )
    assert "notes-search" in [g.identifier for g in client.toolgroups.list()]
    client.toolgroups.unregister("notes-search")
    with pytest.raises(llama_stack_client.NotFoundError):
        client.toolgroups.get("notes-search")
    response = httpx.post(
        f"{server.base_url}/v1/toolgroups", json={"toolgroup_id": "x", "provider_id": "nope"}
    )
    assert response.status_code == 400 and "rag-runtime" in response.json()["error"]["message"]


def test_unknown_tools_and_groups_are_404(client: LlamaStackClient) -> None:
    with pytest.raises(llama_stack_client.NotFoundError, match="builtin::rag"):
        client.tool_runtime.invoke_tool(tool_name="nope", kwargs={})
    with pytest.raises(llama_stack_client.NotFoundError):
        client.tools.list(toolgroup_id="missing")
