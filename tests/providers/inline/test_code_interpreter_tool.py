"""The code_interpreter tool served by inline::code-interpreter, called through llama-stack-client 0.2.12."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import llama_stack_client
import pytest
from llama_stack_client import LlamaStackClient

from llama_stack_api import NotSupportedError, ProviderContext
from llama_stack_providers.inline.tool_runtime.code_interpreter.config import CodeInterpreterConfig
from llama_stack_providers.inline.tool_runtime.code_interpreter.provider import create
from tests.support.server import ServedStack, ServeStack

IS_ROOT = os.geteuid() == 0

DISTRIBUTION = """\
version: 2
name: code-interpreter
apis: [tool_runtime, tool_groups]
providers:
  tool_runtime:
    - provider_id: code-interpreter
      provider_type: inline::code-interpreter
      config:
        wall_time_s: 2.0
        cpu_time_s: 5
        scratch_dir: {scratch_dir}
tool_groups:
  - toolgroup_id: builtin::code_interpreter
    provider_id: code-interpreter
"""


@pytest.fixture(scope="module")
def scratch_root() -> Iterator[Path]:
    # Not tmp_path: pytest makes its base dir 0700, and the child runs under another uid when we are root.
    directory = Path(tempfile.mkdtemp(prefix="code-interpreter-test-"))
    directory.chmod(0o711)
    try:
        yield directory / "sessions"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def server(serve_stack_for_module: ServeStack, scratch_root: Path) -> ServedStack:
    return serve_stack_for_module(DISTRIBUTION.format(scratch_dir=json.dumps(str(scratch_root))))


@pytest.fixture
def client(server: ServedStack) -> Iterator[LlamaStackClient]:
    with LlamaStackClient(base_url=server.base_url, max_retries=0, timeout=30) as client:
        yield client


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text(item) for item in content)
    return str(getattr(content, "text", ""))


def test_the_tool_is_listed(client: LlamaStackClient) -> None:
    [tool] = client.tools.list(toolgroup_id="builtin::code_interpreter")
    assert tool.identifier == "code_interpreter" and tool.provider_id == "code-interpreter"
    assert [(p.name, p.parameter_type) for p in tool.parameters] == [("code", "string")]
    defs = client.tool_runtime.list_tools(tool_group_id="builtin::code_interpreter")
    assert [d.name for d in defs] == ["code_interpreter"]


def test_code_runs_and_prints(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(tool_name="code_interpreter", kwargs={"code": "print(6*7)"})
    assert result.error_message is None
    assert "42" in _text(result.content)
    assert result.metadata is not None
    assert result.metadata["stdout"] == "42\n" and result.metadata["exit_code"] == 0


def test_return_value_and_files_persist_within_a_session(client: LlamaStackClient) -> None:
    write = client.tool_runtime.invoke_tool(
        tool_name="code_interpreter",
        kwargs={"code": "open('out.txt', 'w').write('hi')\n20 + 1", "session_id": "files"},
    )
    assert write.error_message is None
    text = _text(write.content)
    assert "21" in text and "out.txt" in text
    assert write.metadata is not None and write.metadata["return_value"] == "21"
    read = client.tool_runtime.invoke_tool(
        tool_name="code_interpreter",
        kwargs={"code": "print(open('out.txt').read())", "session_id": "files"},
    )
    assert read.error_message is None and "hi" in _text(read.content)


def test_an_exception_is_a_result_not_an_http_error(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(
        tool_name="code_interpreter", kwargs={"code": "raise ValueError('boom')"}
    )
    assert result.error_message is not None and "ValueError: boom" in result.error_message
    assert "Traceback" in _text(result.content)


def test_an_infinite_loop_times_out(client: LlamaStackClient) -> None:
    result = client.tool_runtime.invoke_tool(
        tool_name="code_interpreter", kwargs={"code": "while True:\n    pass"}
    )
    assert result.error_message is not None and "timeout" in result.error_message
    assert result.metadata is not None and result.metadata["killed_reason"] in ("wall time", "cpu time")


def test_rag_routes_are_not_supported(server: ServedStack) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/tool-runtime/rag-tool/query",
        json={"content": "x", "vector_db_ids": ["kb"]},
    )
    # the RAG routes go to the builtin::rag group's provider; there is none here
    assert response.status_code in (404, 501), response.text


def test_unknown_tool_is_404(client: LlamaStackClient) -> None:
    with pytest.raises(llama_stack_client.NotFoundError):
        client.tool_runtime.invoke_tool(tool_name="nope", kwargs={})


async def test_provider_refuses_rag_and_defaults_scratch_to_state_dir(tmp_path: Path) -> None:
    if IS_ROOT:
        # as root the sandbox needs o+x on every ancestor, which pytest's 0700 tmp dirs lack
        state_dir = Path(tempfile.mkdtemp(prefix="code-interpreter-state-"))
        state_dir.chmod(0o711)
    else:
        state_dir = tmp_path / "state"
        state_dir.mkdir()
    try:
        context = ProviderContext(provider_id="ci", state_dir=state_dir, kvstore=None)  # type: ignore[arg-type]
        impl = await create(CodeInterpreterConfig(), {}, context)
        assert impl.sandbox.root == (state_dir / "sessions").resolve()
        with pytest.raises(NotSupportedError, match="inline::code-interpreter"):
            await impl.rag_tool_query(content="x", vector_db_ids=["kb"])
        with pytest.raises(NotSupportedError, match="inline::code-interpreter"):
            await impl.rag_tool_insert(documents=[], vector_db_id="kb")
        await impl.shutdown()
    finally:
        if IS_ROOT:
            shutil.rmtree(state_dir, ignore_errors=True)
