"""A stack for agent tests: the scripted model, a word shield, files, sqlite-vec + RAG, conversations, and a real
MCP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.http_server import serve_asgi
from tests.fakes.mcp_server import MCPTestServer, serve_mcp
from tests.fakes.search_servers import BRAVE_KEY, FakeBrave
from tests.support.server import ServedStack, ServeStack

AGENTS_DISTRIBUTION = """\
version: 2
name: agents
apis: [inference, models, safety, shields, files, vector_io, vector_dbs, tool_runtime, tool_groups, conversations, agents]
providers:
  inference:
    - provider_id: scripted
      provider_type: inline::scripted
      config: {{}}
    - provider_id: fake
      provider_type: inline::fake
      config: {{llm_models: [], embedding_dimension: 8}}
  safety:
    - provider_id: words
      provider_type: inline::fake-shield
      config: {{block_words: [forbidden, smuggle]}}
  files:
    - provider_id: localfs
      provider_type: inline::localfs
      config: {{}}
  conversations:
    - provider_id: conversations
      provider_type: inline::builtin
      config: {{}}
  vector_io:
    - provider_id: sqlite-vec
      provider_type: inline::sqlite-vec
      config: {{}}
  tool_runtime:
    - provider_id: rag-runtime
      provider_type: inline::rag-runtime
      config: {{}}
    - provider_id: mcp
      provider_type: remote::model-context-protocol
      config: {{timeout_s: 10}}
    - provider_id: code-interpreter
      provider_type: inline::code-interpreter
      config: {{wall_time_s: 20}}
    - provider_id: brave
      provider_type: remote::brave-search
      config: {{api_key: {brave_key}, base_url: "{brave_url}", max_results: 2}}
  agents:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config: {{tool_timeout_s: 5}}
shields:
  - shield_id: words
    provider_id: words
tool_groups:
  - toolgroup_id: builtin::rag
    provider_id: rag-runtime
  - toolgroup_id: mcp::calc
    provider_id: mcp
    mcp_endpoint: {{uri: "{mcp_url}"}}
  - toolgroup_id: builtin::websearch
    provider_id: brave
  - toolgroup_id: builtin::code_interpreter
    provider_id: code-interpreter
"""


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[MCPTestServer]:
    with serve_mcp() as server:
        yield server


@pytest.fixture(scope="module")
def brave() -> Iterator[tuple[FakeBrave, str]]:
    fake = FakeBrave()
    with serve_asgi(fake.app) as url:
        yield fake, url


def agents_yaml(mcp_server: MCPTestServer, brave: tuple[FakeBrave, str]) -> str:
    return AGENTS_DISTRIBUTION.format(mcp_url=mcp_server.http_url, brave_key=BRAVE_KEY, brave_url=brave[1])


@pytest.fixture(scope="module")
def agents_server(
    mcp_server: MCPTestServer, brave: tuple[FakeBrave, str], serve_stack_for_module: ServeStack
) -> ServedStack:
    # the fake servers are set up first so that they outlive the stack
    return serve_stack_for_module(agents_yaml(mcp_server, brave))
