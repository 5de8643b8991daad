"""Runs untrusted Python cells for `builtin::code_interpreter` in confined, resource-limited subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from llama_stack_api import ProviderError, ProviderUnavailableError

from . import landlock

logger = logging.getLogger(__name__)

_CHILD_SCRIPT = Path(__file__).with_name("_child.py")
_EXIT_SETUP_FAILED = 70
_EXIT_MEMORY = 71
_MAX_RESULT_BYTES = 64 * 1024
_MAX_WALK_ENTRIES = 10_000
# Per-run uids when the server runs as root: a fresh uid per concurrent run makes RLIMIT_NPROC count
# only that run's processes and lets the cleanup kill everything the run left behind.
_UID_BASE = 61_000
_UID_POOL_SIZE = 1_000
_READ_FILES = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero")
_EXTRA_READ_ROOTS = ("/usr/share/zoneinfo",)
# What the dynamic loader reads when an import loads an extension linked against a system library.
_LIBRARY_ROOTS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_LIBRARY_FILES = ("/etc/ld.so.cache", "/etc/localtime")

LandlockMode = Literal["auto", "required", "off"]


@dataclass(frozen=True)
class SandboxLimits:
    wall_time_s: float = 10.0
    cpu_time_s: int = 10
    memory_bytes: int = 512 * 1024 * 1024  # address-space limit of the child
    file_size_bytes: int = 16 * 1024 * 1024  # largest file the code may write
    max_processes: int = 32  # RLIMIT_NPROC-style cap (fork bombs)
    max_output_bytes: int = 64 * 1024  # stdout/stderr each, truncated beyond (said so in the result)
    max_files: int = 50  # produced files reported


@dataclass(frozen=True)
class UnsafeTestingOptions:
    """Layers a test may leave out to prove that the remaining ones hold alone. Never use outside tests."""

    without_audit_hook: bool = False
    without_network_namespace: bool = False


@dataclass(frozen=True)
class ProducedFile:
    name: str  # relative name inside the scratch dir
    size: int
    path: Path  # absolute path on the host


@dataclass(frozen=True)
class ExecutionResult:
    stdout: str
    stderr: str
    return_value: str | None  # repr() of the value of the last expression statement, like a notebook cell
    exit_code: int | None
    timed_out: bool
    killed_reason: str | None  # "wall time", "cpu time", "memory", "output too large" ... when stopped
    files: list[ProducedFile] = field(default_factory=list)
    duration_s: float = 0.0
    isolation_layers: dict[str, bool] = field(default_factory=dict)  # what this run got, by layer


def _safe_session_name(session_id: str) -> str:
    # Readable prefix plus a hash, so distinct ids never collide after sanitising ("a/b" vs "a_b").
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", session_id)[:48] or "session"
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{prefix}-{digest}"


def reachable_by_others(path: Path) -> bool:
    """Whether an unprivileged uid can traverse to `path` (every ancestor has o+x)."""
    current = path.resolve()
    for directory in (current, *current.parents):
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (mtime_ns, size) of regular files, bounded so a million files cannot stall us."""
    entries: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                entries[os.path.relpath(full, directory)] = (st.st_mtime_ns, st.st_size)
            if len(entries) >= _MAX_WALK_ENTRIES:
                return entries
    return entries


def _chown_tree(directory: Path, uid: int, gid: int) -> None:
    os.chown(directory, uid, gid)
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        for name in dirnames + filenames:
            with contextlib.suppress(OSError):
                os.lchown(os.path.join(dirpath, name), uid, gid)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _BoundedReader:
    """Reads a pipe to EOF, keeping at most `limit` bytes; reports overflow instead of buffering it."""

    def __init__(self, stream: asyncio.StreamReader, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.data = bytearray()
        self.overflowed = False

    async def pump(self, on_overflow: asyncio.Event) -> None:
        while True:
            chunk = await self.stream.read(65536)
            if not chunk:
                return
            if self.overflowed:
                continue  # drain and drop until the killed child's pipe closes (asyncio's wait() needs EOF)
            room = self.limit - len(self.data)
            if len(chunk) > room:
                self.data += chunk[:room]
                self.overflowed = True
                on_overflow.set()
                continue
            self.data += chunk

    def text(self) -> str:
        text = self.data.decode("utf-8", "replace")
        if self.overflowed:
            text += f"\n[output truncated: exceeded {self.limit} bytes]"
        return text


class CodeSandbox:
    """One scratch dir per session under `root`; each run is a fresh, confined `python -I -S` child.

    Isolation layers (whichever the host allows; `isolation_layers` holds what the last run got):
    network namespace, per-run unprivileged uid (when the server is root), rlimits, own process
    group killed on wall timeout, minimal environment, Landlock (the kernel confines files to the
    scratch dir and refuses TCP; see `landlock.py`), and an audit hook refusing file access outside
    the scratch dir, sockets, process creation and ctypes.

    `landlock_mode`: "auto" uses Landlock where the kernel has it (else logs a warning, once),
    "required" raises `ProviderUnavailableError` here when it does not, "off" never uses it.
    """

    def __init__(
        self,
        root: Path,
        limits: SandboxLimits = SandboxLimits(),
        landlock_mode: LandlockMode = "auto",
        *,
        unsafe_testing: UnsafeTestingOptions | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.limits = limits
        self.landlock_mode = landlock_mode
        self._unsafe_testing = unsafe_testing or UnsafeTestingOptions()
        self.root.mkdir(parents=True, exist_ok=True)
        self._is_root = os.geteuid() == 0
        self._session_locks: dict[str, asyncio.Lock] = {}
        self._uids_in_use: set[int] = set()
        self.isolation_layers: dict[str, bool] = {}
        self._drop_uid = self._is_root
        self._kill_binary = shutil.which("kill", path="/usr/bin:/bin")
        if self._is_root:
            if not reachable_by_others(self.root):
                raise ValueError(
                    f"sandbox root {self.root} must be traversable by other users (o+x on every ancestor): "
                    "the code runs under an unprivileged uid"
                )
            # Session dirs are 0700 and owned by the run's uid; the root only needs to be traversable.
            os.chmod(self.root, 0o711)
        # If the interpreter lives where an unprivileged uid cannot read (e.g. /root/.pyenv), the child
        # keeps CAP_DAC_READ_SEARCH only; file reads then rest on the audit hook alone.
        self._keep_read_cap = self._is_root and not reachable_by_others(Path(sysconfig.get_paths()["stdlib"]))
        self._sys_path = self._child_sys_path()
        self._read_roots = tuple(
            sorted(
                {str(Path(p).resolve()) for p in (*self._sys_path, *_EXTRA_READ_ROOTS) if Path(p).exists()}
            )
        )
        libdir = sysconfig.get_config_var("LIBDIR")
        library_roots = (*_LIBRARY_ROOTS, *([libdir] if isinstance(libdir, str) else []))
        self._library_roots = tuple(
            sorted({str(Path(p).resolve()) for p in library_roots if Path(p).exists()})
        )
        self._landlock_abi = self._check_landlock()
        self._landlock_failure_logged = False

    def _check_landlock(self) -> int:
        """The Landlock ABI runs will use, 0 for none; fails or logs (once, here) when the kernel lacks it."""
        if self.landlock_mode == "off":
            return 0
        support = landlock.probe()
        if support.abi > 0:
            return support.abi
        if self.landlock_mode == "required":
            raise ProviderUnavailableError(
                f"code interpreter: `landlock: required` but Landlock is unavailable: {support.reason}; "
                "run on a Linux 5.13+ kernel with Landlock enabled, or set `landlock: auto` to run "
                "without it"
            )
        logger.warning(
            "code interpreter: Landlock is unavailable (%s); file confinement rests on the uid and the "
            "audit hook",
            support.reason,
        )
        return 0

    def _landlock_ruleset(self, scratch: Path) -> int | None:
        """A ruleset fd for this run's child, or None when runs go without Landlock."""
        if self._landlock_abi == 0:
            return None
        try:
            return landlock.sandbox_ruleset(
                self._landlock_abi,
                scratch=str(scratch),
                import_roots=self._read_roots,
                library_roots=self._library_roots,
                library_files=_LIBRARY_FILES,
                devices=_READ_FILES,
            )
        except OSError as exc:
            if self.landlock_mode == "required":
                raise ProviderError(f"code interpreter: building the Landlock ruleset failed: {exc}") from exc
            if not self._landlock_failure_logged:
                self._landlock_failure_logged = True
                logger.warning(
                    "code interpreter: running without Landlock; building its ruleset failed: %s", exc
                )
            return None

    @staticmethod
    def _child_sys_path() -> list[str]:
        paths = sysconfig.get_paths()
        entries = [p for p in sys.path if p and Path(p).exists() and not Path(p).is_relative_to(Path.cwd())]
        wanted = [paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"]]
        # Keep the parent's stdlib and site-packages (numpy & co. if installed), never the server's cwd.
        ordered = [p for p in entries if p in wanted or "site-packages" in p or "lib-dynload" in p]
        for p in wanted:
            if p not in ordered and Path(p).exists():
                ordered.append(p)
        return ordered

    def session_dir(self, session_id: str) -> Path:
        return self.root / _safe_session_name(session_id)

    def discard_session(self, session_id: str) -> None:
        directory = self.session_dir(session_id)
        shutil.rmtree(directory, ignore_errors=True)
        self._session_locks.pop(session_id, None)

    async def run(self, session_id: str, code: str) -> ExecutionResult:
        lock = self._session_locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            return await self._run_locked(session_id, code)

    def _acquire_uid(self) -> int:
        for uid in range(_UID_BASE, _UID_BASE + _UID_POOL_SIZE):
            if uid not in self._uids_in_use:
                self._uids_in_use.add(uid)
                return uid
        raise RuntimeError("sandbox: no free uid for another concurrent run")

    async def _run_locked(self, session_id: str, code: str) -> ExecutionResult:
        scratch = self.session_dir(session_id)
        scratch.mkdir(mode=0o700, exist_ok=True)
        uid = self._acquire_uid() if self._drop_uid else None
        try:
            if uid is not None:
                # The run's uid owns the scratch dir (0700): other sessions' uids cannot enter it.
                await asyncio.to_thread(_chown_tree, scratch, uid, uid)
            before = await asyncio.to_thread(_snapshot, scratch)
            result = await self._spawn(scratch, code, uid)
            after = await asyncio.to_thread(_snapshot, scratch)
        finally:
            if uid is not None:
                await self._kill_uid(uid)
                self._uids_in_use.discard(uid)
        changed = sorted(name for name, meta in after.items() if before.get(name) != meta)
        files = [
            ProducedFile(name=name, size=after[name][1], path=scratch / name)
            for name in changed[: self.limits.max_files]
        ]
        return ExecutionResult(
            stdout=result.stdout,
            stderr=result.stderr,
            return_value=result.return_value,
            exit_code=result.exit_code,
            timed_out=result.timed_out,
            killed_reason=result.killed_reason,
            files=files,
            duration_s=result.duration_s,
            isolation_layers=result.isolation_layers,
        )

    async def _kill_uid(self, uid: int) -> None:
        """Kill every process of the run's uid (anything that escaped the process group)."""
        if self._kill_binary is None:
            return
        # kill(-1) from a process of that uid signals all of the uid's processes but itself; the
        # interpreter may not be executable by the uid, so use the kill(1) binary.
        # subprocess in a thread, not the event loop's subprocess support: uvloop (what `llama-stack run`
        # serves with) refuses user/group/extra_groups
        await asyncio.to_thread(
            subprocess.run,
            [self._kill_binary, "-s", "KILL", "--", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={},
            cwd="/",
            check=False,
        )

    def _environment(self, scratch: Path) -> dict[str, str]:
        # Nothing inherited: no API keys, no HOME, no PYTHONPATH. Single-threaded math libraries keep
        # thread pools within RLIMIT_NPROC.
        return {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PWD": str(scratch),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }

    async def _spawn(self, scratch: Path, code: str, uid: int | None) -> ExecutionResult:
        limits = self.limits
        ruleset_fd = self._landlock_ruleset(scratch)
        try:
            result_r, result_w = os.pipe()
        except OSError:
            if ruleset_fd is not None:
                os.close(ruleset_fd)
            raise
        inherited = (result_w,) if ruleset_fd is None else (result_w, ruleset_fd)
        config = {
            "result_fd": result_w,
            "landlock_fd": ruleset_fd,
            "landlock_required": self.landlock_mode == "required",
            "landlock_network": landlock.handled_net(self._landlock_abi) != 0,
            "audit_hook": not self._unsafe_testing.without_audit_hook,
            "scratch": str(scratch.resolve()),
            "read_roots": list(self._read_roots),
            "read_files": list(_READ_FILES),
            "sys_path": self._sys_path,
            "uid": uid,
            "gid": uid,
            "keep_read_cap": self._keep_read_cap,
            "unshare_network": not self._unsafe_testing.without_network_namespace,
            "limits": {
                "cpu_time_s": limits.cpu_time_s,
                "memory_bytes": limits.memory_bytes,
                "file_size_bytes": limits.file_size_bytes,
                "max_processes": limits.max_processes,
            },
        }
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                "-B",
                str(_CHILD_SCRIPT),
                json.dumps(config),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=str(scratch),
                env=self._environment(scratch),
                pass_fds=inherited,
                start_new_session=True,  # own session and process group, killed as a whole
            )
        finally:
            os.close(result_w)
            if ruleset_fd is not None:
                os.close(ruleset_fd)
        result_reader = asyncio.StreamReader(limit=_MAX_RESULT_BYTES)
        result_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(result_reader), os.fdopen(result_r, "rb", 0)
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        overflow = asyncio.Event()
        out = _BoundedReader(proc.stdout, limits.max_output_bytes)
        err = _BoundedReader(proc.stderr, limits.max_output_bytes)
        res = _BoundedReader(result_reader, _MAX_RESULT_BYTES)

        async def feed_code() -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(code.encode("utf-8", "surrogatepass"))  # type: ignore[union-attr]
                await proc.stdin.drain()  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]

        async def finish() -> None:
            await asyncio.gather(feed_code(), out.pump(overflow), err.pump(overflow), res.pump(overflow))
            await proc.wait()

        timed_out = False
        killed_reason: str | None = None
        work = asyncio.ensure_future(finish())
        overflow_wait = asyncio.ensure_future(overflow.wait())
        try:
            done, _ = await asyncio.wait(
                {work, overflow_wait}, timeout=limits.wall_time_s, return_when=asyncio.FIRST_COMPLETED
            )
            if work not in done:
                if overflow.is_set():
                    killed_reason = "output too large"
                else:
                    timed_out = True
                    killed_reason = "wall time"
                _kill_group(proc.pid)
        finally:
            overflow_wait.cancel()
            _kill_group(proc.pid)  # anything left in the group once the main child is gone
            # After SIGKILL the pipes reach EOF and the pumps finish; the cap only matters if something
            # outside the group still holds a pipe open.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(proc.wait(), timeout=5)
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
            result_transport.close()
        duration = time.monotonic() - started
        returncode = proc.returncode
        payload: dict[str, object] = {}
        with contextlib.suppress(ValueError):
            decoded = json.loads(bytes(res.data) or b"{}")
            if isinstance(decoded, dict):
                payload = decoded
        layers = payload.get("layers")
        run_layers: dict[str, bool] = {}
        if isinstance(layers, dict):
            run_layers = {str(k): bool(v) for k, v in layers.items()}
            self.isolation_layers = run_layers
            if (
                ruleset_fd is not None
                and not run_layers.get("landlock")
                and not self._landlock_failure_logged
            ):
                self._landlock_failure_logged = True
                logger.warning("code interpreter: the child could not enforce Landlock; runs go without it")
        if killed_reason is None and returncode is not None:
            killed_reason = self._classify_exit(returncode, out.overflowed or err.overflowed)
        return_value = payload.get("return_value")
        return ExecutionResult(
            stdout=out.text(),
            stderr=err.text(),
            return_value=return_value if isinstance(return_value, str) else None,
            exit_code=returncode,
            timed_out=timed_out,
            killed_reason=killed_reason,
            duration_s=duration,
            isolation_layers=run_layers,
        )

    @staticmethod
    def _classify_exit(returncode: int, overflowed: bool) -> str | None:
        if overflowed:
            return "output too large"
        if returncode == -signal.SIGXCPU or returncode == -signal.SIGKILL:
            # SIGKILL we did not send ourselves is RLIMIT_CPU's hard limit (or the kernel OOM killer).
            return "cpu time" if returncode == -signal.SIGXCPU else "killed (SIGKILL)"
        if returncode == -signal.SIGXFSZ:
            return "file size"
        if returncode == -signal.SIGSEGV:
            return "crashed (SIGSEGV)"
        if returncode == _EXIT_MEMORY:
            return "memory"
        if returncode == _EXIT_SETUP_FAILED:
            return "sandbox setup failed"
        return None
