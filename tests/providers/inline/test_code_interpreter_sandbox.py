"""The code interpreter sandbox contains runaway and malicious snippets without hurting the server."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llama_stack_providers.inline.tool_runtime.code_interpreter import landlock
from llama_stack_providers.inline.tool_runtime.code_interpreter.sandbox import (
    CodeSandbox,
    SandboxLimits,
)

IS_ROOT = os.geteuid() == 0
SANDBOX_UIDS = range(61_000, 62_000)
LIMITS = SandboxLimits(
    wall_time_s=2.0,
    cpu_time_s=1,
    memory_bytes=512 * 1024 * 1024,
    file_size_bytes=1024 * 1024,
    max_processes=32,
    max_output_bytes=16 * 1024,
    max_files=5,
)


@pytest.fixture
def sandbox_root() -> Iterator[Path]:
    # Not tmp_path: pytest makes its base dir 0700, and the child runs under another uid when we are root.
    directory = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    directory.chmod(0o711)
    try:
        yield directory / "root"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def sandbox(sandbox_root: Path) -> CodeSandbox:
    return CodeSandbox(sandbox_root, LIMITS)


def _sandbox_uid_processes() -> list[int]:
    """Pids on the host owned by a sandbox uid (none may survive a run)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in SANDBOX_UIDS:
                pids.append(int(entry))
    return pids


async def test_prints_and_returns_last_expression(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "x = 20\nprint('hello')\nx + 22")
    assert result.stdout == "hello\n"
    assert result.return_value == "42"
    assert result.exit_code == 0
    assert not result.timed_out and result.killed_reason is None
    statement_only = await sandbox.run("s", "y = 1")
    assert statement_only.return_value is None


async def test_exception_gives_traceback_and_nonzero_exit(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "def f():\n    raise ValueError('boom')\nf()")
    assert result.exit_code != 0
    assert "Traceback" in result.stderr and "ValueError: boom" in result.stderr
    assert '"<cell>", line 2' in result.stderr
    assert "_child.py" not in result.stderr.split("\n")[1]  # the runner's own frame is hidden


async def test_infinite_sleep_hits_wall_time(sandbox: CodeSandbox) -> None:
    started = time.monotonic()
    result = await sandbox.run("s", "import time\nwhile True:\n    time.sleep(0.1)")
    elapsed = time.monotonic() - started
    assert result.timed_out and result.killed_reason == "wall time"
    assert LIMITS.wall_time_s <= result.duration_s < LIMITS.wall_time_s + 1.5
    assert elapsed < LIMITS.wall_time_s + 3


async def test_cpu_bound_loop_hits_cpu_limit(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "while True:\n    pass")
    assert result.killed_reason == "cpu time"
    assert not result.timed_out
    assert result.duration_s < LIMITS.wall_time_s


async def test_fork_bomb_is_contained(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "import os\nwhile True:\n    os.fork()")
    assert result.exit_code != 0
    assert "os.fork refused" in result.stderr
    assert _sandbox_uid_processes() == []


async def test_thread_bomb_is_capped_by_nproc(sandbox: CodeSandbox) -> None:
    code = (
        "import threading, time\n"
        "threads = [threading.Thread(target=time.sleep, args=(5,), daemon=True) for _ in range(200)]\n"
        "for t in threads:\n"
        "    t.start()\n"
    )
    result = await sandbox.run("s", code)
    if not sandbox.isolation_layers.get("unprivileged_uid"):
        pytest.skip("RLIMIT_NPROC is not enforced for root; needs the per-run uid layer")
    assert "can't start new thread" in result.stderr
    assert result.duration_s < LIMITS.wall_time_s
    assert _sandbox_uid_processes() == []


async def test_huge_allocation_fails_inside_the_child(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "data = bytearray(10**10)")
    assert result.killed_reason == "memory" or result.exit_code != 0
    assert "MemoryError" in result.stderr
    # The sandbox keeps working afterwards.
    assert (await sandbox.run("s", "1 + 1")).return_value == "2"


async def test_huge_file_write_stops_at_file_size_limit(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (8 * 1024 * 1024))")
    assert "File too large" in result.stderr
    size = (sandbox.session_dir("s") / "big.bin").stat().st_size
    assert size <= LIMITS.file_size_bytes


@pytest.mark.parametrize(
    "code",
    [
        "open('/etc/passwd').read()",
        "open('../../etc/passwd').read()",
        "import os\nos.listdir('/')",
        "import os\nos.listdir('..')",
        "import pathlib\npathlib.Path('/etc/hostname').read_text()",
        "open('/tmp/escape.txt', 'w').write('x')",
        "import os\nos.symlink('/etc/passwd', 'link')",
        "import os\nos.chdir('/')",
        "import subprocess\nsubprocess.run(['cat', '/etc/passwd'])",
        "import os\nos.system('cat /etc/passwd')",
        "import ctypes\nctypes.CDLL(None)",
    ],
)
async def test_filesystem_and_process_escapes_are_refused(sandbox: CodeSandbox, code: str) -> None:
    result = await sandbox.run("s", code)
    assert result.exit_code != 0
    assert "PermissionError" in result.stderr and "sandbox:" in result.stderr
    assert "root:" not in result.stdout + result.stderr
    assert not Path("/tmp/escape.txt").exists()


async def test_scratch_files_can_be_managed_but_dir_fd_is_refused(sandbox: CodeSandbox) -> None:
    code = (
        "import os\nos.mkdir('d')\nopen('d/f', 'w').close()\nos.chmod('d/f', 0o600)\n"
        "os.truncate('d/f', 0)\nos.rename('d/f', 'g')\nos.rmdir('d')\nsorted(os.listdir('.'))"
    )
    result = await sandbox.run("s", code)
    assert result.return_value == "['g']", result.stderr
    escape = await sandbox.run("s", "import os\nfd = os.open('.', os.O_RDONLY)\nos.mkdir('x', dir_fd=fd)")
    assert "sandbox: os.mkdir with dir_fd refused" in escape.stderr


async def test_sockets_are_refused_and_listener_sees_nothing(sandbox: CodeSandbox) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)"
        result = await sandbox.run("s", code)
        assert result.exit_code != 0
        assert "socket" in result.stderr and "refused" in result.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()
    bind = await sandbox.run("s", "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 0))")
    assert bind.exit_code != 0 and "sandbox: socket" in bind.stderr


async def test_network_namespace_layer_when_available(sandbox: CodeSandbox) -> None:
    await sandbox.run("s", "0")
    layers = sandbox.isolation_layers
    assert layers["audit_hook"] and layers["rlimits"] and layers["no_new_privs"]
    if IS_ROOT:
        assert layers["network_namespace"] and layers["unprivileged_uid"]
    # Landlock (and its tests, in test_code_interpreter_landlock.py) wherever the kernel has it.
    assert layers["landlock"] is (landlock.probe().abi > 0)


async def test_environment_has_no_secrets(sandbox: CodeSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-should-not-leak")
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    result = await sandbox.run("s", "import os\nsorted(os.environ)")
    assert result.return_value is not None
    assert "OPENAI_API_KEY" not in result.return_value
    assert "HOME" not in result.return_value and "PYTHONPATH" not in result.return_value
    leaked = await sandbox.run("s", "import os\nos.environ.get('OPENAI_API_KEY')")
    assert leaked.return_value is None


async def test_session_dirs_persist_and_are_isolated(sandbox: CodeSandbox) -> None:
    first = await sandbox.run("alice", "open('notes.txt', 'w').write('secret')")
    assert [f.name for f in first.files] == ["notes.txt"]
    assert first.files[0].size == 6
    assert first.files[0].path == sandbox.session_dir("alice") / "notes.txt"
    again = await sandbox.run("alice", "open('notes.txt').read()")
    assert again.return_value == "'secret'"
    assert again.files == []  # read only, nothing produced

    alice_dir = sandbox.session_dir("alice")
    for code in (
        f"open('../{alice_dir.name}/notes.txt').read()",
        f"open({str(alice_dir / 'notes.txt')!r}).read()",
    ):
        stolen = await sandbox.run("bob", code)
        assert stolen.exit_code != 0 and "secret" not in stolen.stdout + stolen.stderr
    assert (await sandbox.run("bob", "import os\nos.listdir('.')")).return_value == "[]"

    sandbox.discard_session("alice")
    assert not alice_dir.exists()


async def test_produced_files_are_capped(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "for i in range(20):\n    open(f'f{i:02}.txt', 'w').write('x' * i)")
    assert result.exit_code == 0
    assert len(result.files) == LIMITS.max_files


async def test_output_flood_is_truncated_and_killed(sandbox: CodeSandbox) -> None:
    result = await sandbox.run("s", "while True:\n    print('x' * 1000)")
    assert result.killed_reason == "output too large"
    assert len(result.stdout) < LIMITS.max_output_bytes + 200
    assert "output truncated" in result.stdout
    assert result.duration_s < LIMITS.wall_time_s


async def test_concurrent_sessions_run_in_parallel(sandbox: CodeSandbox) -> None:
    started = time.monotonic()
    results = await asyncio.gather(
        *(sandbox.run(f"session-{i}", f"import time\ntime.sleep(1)\n{i}") for i in range(4))
    )
    assert [r.return_value for r in results] == ["0", "1", "2", "3"]
    assert time.monotonic() - started < 3.5


async def test_same_session_runs_are_serialised(sandbox: CodeSandbox) -> None:
    code = "import os, time\nn = len(os.listdir('.'))\ntime.sleep(0.3)\nopen(f'run{n}', 'w').close()\nn"
    results = await asyncio.gather(*(sandbox.run("same", code) for _ in range(3)))
    assert sorted(r.return_value for r in results) == ["0", "1", "2"]


def test_runs_and_cleans_up_under_uvloop(sandbox: CodeSandbox) -> None:
    # `llama-stack run` serves on uvloop, whose subprocess support refuses some of asyncio's arguments
    # (user/group: the starter's first interpreter call was once a 500); every run ends with the cleanup
    # that kills what is left of the run's uid
    uvloop = pytest.importorskip("uvloop")
    result = uvloop.run(sandbox.run("uvloop", "6 * 7"))
    assert result.return_value == "42", result
    assert not _sandbox_uid_processes()
