"""Landlock confines the code interpreter's child in the kernel, even when the audit hook is out of the way."""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import socket
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from llama_stack_api import ProviderUnavailableError
from llama_stack_providers.inline.tool_runtime.code_interpreter import _child, landlock
from llama_stack_providers.inline.tool_runtime.code_interpreter.config import CodeInterpreterConfig
from llama_stack_providers.inline.tool_runtime.code_interpreter.provider import CodeInterpreterToolRuntime
from llama_stack_providers.inline.tool_runtime.code_interpreter.sandbox import (
    CodeSandbox,
    SandboxLimits,
    UnsafeTestingOptions,
)

SUPPORT = landlock.probe()
needs_landlock = pytest.mark.skipif(SUPPORT.abi == 0, reason=f"no Landlock here: {SUPPORT.reason}")
LIMITS = SandboxLimits(wall_time_s=5.0, cpu_time_s=2, max_output_bytes=16 * 1024, max_files=5)
NO_HOOK = UnsafeTestingOptions(without_audit_hook=True)
ESCAPE_FILE = Path("/tmp/landlock-escape.txt")
ESCAPE_DIR = Path("/tmp/landlock-escape-dir")


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    # Not tmp_path: pytest makes its base dir 0700, and the child runs under another uid when we are root.
    directory = Path(tempfile.mkdtemp(prefix="landlock-test-"))
    directory.chmod(0o711)
    try:
        yield directory / "root"
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        ESCAPE_FILE.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            ESCAPE_DIR.rmdir()


@pytest.fixture
def without_hook(sandbox_root: Path) -> CodeSandbox:
    """Landlock on, audit hook off: whatever is refused here, the kernel refused."""
    return CodeSandbox(sandbox_root, LIMITS, "auto", unsafe_testing=NO_HOOK)


@pytest.fixture
def fake_kernel_without_landlock(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fake kernel answer: the only way to see "unavailable" on a kernel that has Landlock.
    monkeypatch.setattr(landlock, "probe", lambda: landlock.Support(0, "fake kernel without Landlock"))


def _refused_by_kernel(stdout: str, stderr: str, exit_code: int | None) -> None:
    assert exit_code != 0
    assert "PermissionError" in stderr, stderr
    assert "sandbox:" not in stderr  # not the audit hook's refusal: it is off
    assert "root:" not in stdout + stderr


@needs_landlock
@pytest.mark.parametrize(
    "code",
    [
        "open('/etc/passwd').read()",
        "open('../../../../../../../etc/passwd').read()",
        "import pathlib\npathlib.Path('/etc/hostname').read_text()",
        "import os\nos.listdir('/')",
        f"open({str(ESCAPE_FILE)!r}, 'w').write('x')",
        f"import os\nos.mkdir({str(ESCAPE_DIR)!r})",
        "import os\nos.symlink('/etc/passwd', 'link')\nopen('link').read()",
        "import os\nos.execv('/bin/sh', ['sh', '-c', 'cat /etc/passwd'])",
    ],
    ids=["read", "read-relative", "read-other", "list-root", "write", "mkdir", "symlink-out", "exec"],
)
async def test_escapes_are_refused_by_landlock_without_the_audit_hook(
    sandbox_root: Path, without_hook: CodeSandbox, code: str
) -> None:
    result = await without_hook.run("s", code)
    _refused_by_kernel(result.stdout, result.stderr, result.exit_code)
    assert result.isolation_layers["landlock"] and not result.isolation_layers["audit_hook"]
    assert not ESCAPE_FILE.exists() and not ESCAPE_DIR.exists()
    # The control: with Landlock off too, the same code gets out, so it is Landlock that stopped it.
    unconfined = CodeSandbox(sandbox_root, LIMITS, "off", unsafe_testing=NO_HOOK)
    escaped = await unconfined.run("control", code)
    assert escaped.exit_code == 0, escaped.stderr


@needs_landlock
async def test_c_level_open_is_refused_by_landlock(without_hook: CodeSandbox) -> None:
    # What the audit hook cannot see: a foreign function call straight into libc.
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.open(b'/etc/passwd', 0), ctypes.get_errno()"
    )
    result = await without_hook.run("s", code)
    assert result.return_value == f"(-1, {errno.EACCES})", result.stderr


@needs_landlock
async def test_other_sessions_are_out_of_reach_without_the_audit_hook(without_hook: CodeSandbox) -> None:
    await without_hook.run("alice", "open('notes.txt', 'w').write('secret')")
    alice_file = without_hook.session_dir("alice") / "notes.txt"
    stolen = await without_hook.run("bob", f"open({str(alice_file)!r}).read()")
    assert stolen.exit_code != 0 and "secret" not in stolen.stdout + stolen.stderr


@needs_landlock
async def test_tcp_is_refused_by_landlock_alone(sandbox_root: Path) -> None:
    if SUPPORT.abi < 4:
        pytest.skip(f"Landlock ABI {SUPPORT.abi} has no TCP rights (needs 4)")
    only_landlock = UnsafeTestingOptions(without_audit_hook=True, without_network_namespace=True)
    sandbox = CodeSandbox(sandbox_root, LIMITS, "auto", unsafe_testing=only_landlock)
    unconfined = CodeSandbox(sandbox_root, LIMITS, "off", unsafe_testing=only_landlock)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)"
        result = await sandbox.run("s", code)
        _refused_by_kernel(result.stdout, result.stderr, result.exit_code)
        assert result.isolation_layers["landlock_network"]
        assert not result.isolation_layers["network_namespace"]
        with pytest.raises(BlockingIOError):
            listener.accept()
        # The control: the same host, without Landlock, does reach the listener.
        reached = await unconfined.run("s", code)
        assert reached.exit_code == 0, reached.stderr
        listener.accept()[0].close()
    bind = await sandbox.run("s", "import socket\nsocket.socket().bind(('127.0.0.1', 0))")
    _refused_by_kernel(bind.stdout, bind.stderr, bind.exit_code)


async def test_without_landlock_and_audit_hook_passwd_is_readable(sandbox_root: Path) -> None:
    # The control for the escapes above: it is Landlock that refuses them, not the uid or file modes.
    sandbox = CodeSandbox(sandbox_root, LIMITS, "off", unsafe_testing=NO_HOOK)
    result = await sandbox.run("s", "open('/etc/passwd').read()")
    assert result.return_value is not None and "root:" in result.return_value
    assert not result.isolation_layers["landlock"] and not result.isolation_layers["audit_hook"]


@needs_landlock
@pytest.mark.parametrize("hook", [True, False], ids=["with-hook", "without-hook"])
async def test_scratch_and_imports_work_under_landlock(sandbox_root: Path, hook: bool) -> None:
    options = UnsafeTestingOptions(without_audit_hook=not hook)
    sandbox = CodeSandbox(sandbox_root, LIMITS, "auto", unsafe_testing=options)
    code = (
        "import os, zlib, sqlite3, decimal, json, time\n"
        "os.makedirs('a/b')\n"
        "with open('a/b/f.txt', 'w') as f:\n"
        "    f.write('hello')\n"
        "os.rename('a/b/f.txt', 'a/f.txt')\n"
        "os.truncate('a/f.txt', 2)\n"
        "os.chmod('a/f.txt', 0o600)\n"
        "kept = open('a/f.txt').read()\n"
        "open(os.devnull).read()\n"
        "sqlite3.connect('db.sqlite').execute('create table t (x)')\n"
        "os.remove('a/f.txt')\n"
        "os.rmdir('a/b')\n"
        "kept, sorted(os.listdir('.')), len(os.urandom(4)), zlib.crc32(b'x'), time.localtime().tm_zone"
    )
    result = await sandbox.run("s", code)
    assert result.exit_code == 0, result.stderr
    expected = ("he", ["a", "db.sqlite"], 4, zlib.crc32(b"x"), time.localtime().tm_zone)
    assert result.return_value == repr(expected)
    assert result.isolation_layers["landlock"] and result.isolation_layers["audit_hook"] is hook


@needs_landlock
async def test_tool_result_reports_the_layers(sandbox_root: Path) -> None:
    sandbox = CodeSandbox(sandbox_root, LIMITS)
    runtime = CodeInterpreterToolRuntime(CodeInterpreterConfig(), sandbox)
    result = await runtime.invoke_tool("code_interpreter", {"code": "1"})
    assert result.metadata is not None
    layers = result.metadata["isolation_layers"]
    assert layers["landlock"] and layers["audit_hook"] and layers["no_new_privs"]
    assert layers["landlock_network"] is (SUPPORT.abi >= 4)
    assert sandbox.isolation_layers == layers


@pytest.mark.usefixtures("fake_kernel_without_landlock")
def test_required_fails_startup_without_landlock(sandbox_root: Path) -> None:
    with pytest.raises(ProviderUnavailableError, match=r"landlock: required.*fake kernel without Landlock"):
        CodeSandbox(sandbox_root, LIMITS, "required")


@pytest.mark.usefixtures("fake_kernel_without_landlock")
async def test_auto_without_landlock_logs_once_and_still_confines(
    sandbox_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        sandbox = CodeSandbox(sandbox_root, LIMITS, "auto")
        first = await sandbox.run("s", "open('/etc/passwd').read()")
        await sandbox.run("s", "1")
    warnings = [r for r in caplog.records if "Landlock is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and "fake kernel without Landlock" in warnings[0].getMessage()
    assert not first.isolation_layers["landlock"] and first.isolation_layers["audit_hook"]
    assert "sandbox: open refused" in first.stderr  # the audit hook still holds


def test_config_takes_the_landlock_mode() -> None:
    assert CodeInterpreterConfig().landlock == "auto"
    assert CodeInterpreterConfig(landlock="required").landlock == "required"
    with pytest.raises(ValidationError, match="landlock"):
        CodeInterpreterConfig(landlock="sometimes")  # type: ignore[arg-type]


def test_child_uses_the_same_syscall_as_the_module() -> None:
    # _child.py cannot import the package; its copy of the syscall number must not drift.
    assert _child.SYS_LANDLOCK_RESTRICT_SELF == landlock.SYS_RESTRICT_SELF
    assert _child.PR_SET_NO_NEW_PRIVS == landlock.PR_SET_NO_NEW_PRIVS
