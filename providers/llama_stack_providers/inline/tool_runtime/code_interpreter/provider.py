"""``inline::code-interpreter``: the ``code_interpreter`` tool over the confined subprocess sandbox."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from llama_stack_api import Api, InvalidRequestError, ProviderContext
from llama_stack_api.tool_runtime import (
    ToolDef,
    ToolInvocationResult,
    ToolParameter,
)
from llama_stack_providers.utils.tool_runtime import SingleToolRuntime

from .config import CodeInterpreterConfig
from .sandbox import CodeSandbox, ExecutionResult, reachable_by_others

logger = logging.getLogger(__name__)

PROVIDER_TYPE = "inline::code-interpreter"
DEFAULT_SESSION = "default"

CODE_INTERPRETER = ToolDef(
    name="code_interpreter",
    description=(
        "Run Python code in a sandbox without network access and return its output. The value of the last "
        "expression is returned like a notebook cell's; files written to the working folder persist within "
        "the session."
    ),
    parameters=[ToolParameter(name="code", parameter_type="string", description="The Python code to run.")],
)


class CodeInterpreterToolRuntime(SingleToolRuntime):
    """Implements ``ToolRuntime`` for the ``code_interpreter`` tool; the RAG routes are not supported."""

    provider_type = PROVIDER_TYPE
    tool = CODE_INTERPRETER

    def __init__(
        self, config: CodeInterpreterConfig, sandbox: CodeSandbox, temporary_root: bool = False
    ) -> None:
        self.config = config
        self.sandbox = sandbox
        self.temporary_root = temporary_root

    async def shutdown(self) -> None:
        if self.temporary_root:  # made for this run of the server: nothing in it is meant to last
            await asyncio.to_thread(shutil.rmtree, self.sandbox.root, True)

    async def invoke_tool(self, tool_name: str, kwargs: dict[str, Any]) -> ToolInvocationResult:
        self.check_tool(tool_name)
        code = kwargs.get("code")
        if not isinstance(code, str):
            raise InvalidRequestError("code_interpreter needs a `code` string", param="kwargs.code")
        session = kwargs.get("session_id") or DEFAULT_SESSION
        if not isinstance(session, str):
            raise InvalidRequestError("session_id must be a string", param="kwargs.session_id")
        result = await self.sandbox.run(session, code)
        return ToolInvocationResult(
            content=_describe(result),
            error_message=_error_message(result),
            metadata=_metadata(result),
        )


def _error_message(result: ExecutionResult) -> str | None:
    if result.timed_out or result.killed_reason == "cpu time":
        return f"the code ran past the {result.killed_reason or 'wall time'} limit (timeout) and was stopped"
    if result.killed_reason is not None:
        return f"the code was stopped: {result.killed_reason}"
    if result.exit_code not in (0, None):
        last = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
        return f"the code raised an error: {last[0]}"
    return None


def _describe(result: ExecutionResult) -> str:
    parts: list[str] = []
    if result.stdout:
        parts.append(f"[stdout]\n{result.stdout.rstrip()}")
    if result.stderr:
        parts.append(f"[stderr]\n{result.stderr.rstrip()}")
    if result.return_value is not None:
        parts.append(f"[return value]\n{result.return_value}")
    if result.files:
        listing = "\n".join(f"{f.name} ({f.size} bytes)" for f in result.files)
        parts.append(f"[files]\n{listing}")
    if result.timed_out:
        parts.append(
            f"[timeout] stopped after {result.duration_s:.1f}s ({result.killed_reason or 'wall time'})"
        )
    elif result.killed_reason is not None:
        parts.append(f"[killed] {result.killed_reason}")
    elif result.exit_code not in (0, None):
        parts.append(f"[exit code] {result.exit_code}")
    return "\n\n".join(parts) if parts else "(no output)"


def _metadata(result: ExecutionResult) -> dict[str, Any]:
    return {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "return_value": result.return_value,
        "exit_code": result.exit_code,
        "timed_out": result.timed_out,
        "killed_reason": result.killed_reason,
        "files": [{"name": f.name, "size": f.size, "path": str(f.path)} for f in result.files],
        "duration_s": result.duration_s,
        "isolation_layers": result.isolation_layers,
    }


def _scratch_root(config: CodeInterpreterConfig, context: ProviderContext) -> tuple[Path, bool]:
    """The folder of the sessions' scratch folders, and whether it is a temporary one for this run."""
    if config.scratch_dir is not None:
        return Path(config.scratch_dir).expanduser(), False
    context.state_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and not reachable_by_others(context.state_dir.parent):
        # Run as root, the code runs under unprivileged uids that must reach their folders, but the state
        # folder sits under a private home (~/.llama is 0700). Rather than open the home, each start gets
        # a fresh folder of random name in the system temp dir (no one can plant it beforehand); scratch
        # files do not outlive the server.
        root = Path(tempfile.mkdtemp(prefix=f"llama-stack-{context.provider_id}-"))
        root.chmod(0o711)
        logger.info("code interpreter scratch folders under %s (the state folder is private)", root)
        return root, True
    root = context.state_dir / "sessions"
    # The sandbox's children may run under other uids: their folders need only be traversable (0o711).
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    context.state_dir.chmod(0o711)
    return root, False


async def create(
    config: CodeInterpreterConfig, deps: dict[Api, Any], context: ProviderContext
) -> CodeInterpreterToolRuntime:
    root, temporary = _scratch_root(config, context)
    sandbox = await asyncio.to_thread(CodeSandbox, root, config.limits(), config.landlock)
    return CodeInterpreterToolRuntime(config, sandbox, temporary)
