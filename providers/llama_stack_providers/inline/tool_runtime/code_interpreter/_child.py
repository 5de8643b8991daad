"""Sandbox child: confine this fresh interpreter, then run one untrusted code cell read from stdin."""

# This file is run as a script (`python -I -S -B _child.py CONFIG_JSON`), never imported by the server.
# Everything up to `_install_audit_hook` is trusted setup; the user's code runs only after the process
# has lost its network, its privileges and its ability to raise its resource limits.
from __future__ import annotations

import ast
import json
import os
import resource
import sys
import traceback
from collections.abc import Callable
from typing import Any, cast

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
# Same numbers as landlock.py, which this script cannot import (`-I -S`: the package is not on sys.path).
SYS_LANDLOCK_RESTRICT_SELF = 446
CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
MAX_OPEN_FILES = 64
MAX_REPR_CHARS = 10_000
CELL_FILENAME = "<cell>"
EXIT_SETUP_FAILED = 70
EXIT_MEMORY = 71

# Foreign-function modules we cannot neuter through audit events. ctypes itself stays importable
# (numpy imports it) because its loads, calls and raw-address accesses raise "ctypes.*" events, refused below.
BLOCKED_IMPORTS = frozenset({"cffi", "_cffi_backend"})
# Every way of starting another program or process from Python code.
BLOCKED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "pty.spawn",
        "os.kill",
        "os.killpg",
        "os.chdir",
        "os.chroot",
        "os.link",
        "os.symlink",
        # gc and frame enumeration would let user code reach the hook's closure and tamper with it.
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys._current_frames",
        "sys._current_exceptions",
    }
)
BLOCKED_PREFIXES = ("socket.", "ctypes.", "_ctypes.", "mmap.", "webbrowser.", "urllib.", "http.", "ftplib.")
# Events whose arguments start with filesystem paths that get written to: (how many paths, positions of
# their dir_fd arguments, as CPython raises them). Only the dir_fd positions are checked for an fd: the
# other ints are modes, lengths and ids.
WRITE_PATH_EVENTS: dict[str, tuple[int, tuple[int, ...]]] = {
    "os.mkdir": (1, (2,)),
    "os.rmdir": (1, (1,)),
    "os.remove": (1, (1,)),
    "os.rename": (2, (2, 3)),
    "os.chmod": (1, (2,)),
    "os.chown": (1, (3,)),
    "os.utime": (1, (3,)),
    "os.truncate": (1, ()),
    "os.chflags": (1, ()),
    "os.lchflags": (1, ()),
    "os.lchmod": (1, ()),
    "os.lchown": (1, ()),
    "os.setxattr": (1, ()),
    "os.removexattr": (1, ()),
}
READ_PATH_EVENTS = {"os.listdir": 1, "os.scandir": 1, "os.getxattr": 1, "os.listxattr": 1, "glob.glob": 1}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _normalize(path: str, base: str) -> str:
    """Lexically absolutise `path` against `base`; pure string work so user code cannot patch it."""
    if not path.startswith("/"):
        path = base + "/" + path
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _make_audit_hook(
    scratch: str, read_roots: tuple[str, ...], read_files: tuple[str, ...]
) -> Callable[[str, tuple[Any, ...]], None]:
    """Build the policy hook; builtins it needs are bound now so that patching `builtins` changes nothing."""
    _isinstance, _str, _bytes, _int, _perm = isinstance, str, bytes, int, PermissionError
    _stat, _s_isdir = os.stat, __import__("stat").S_ISDIR
    _norm, _blocked_imports, _blocked, _prefixes = (
        _normalize,
        BLOCKED_IMPORTS,
        BLOCKED_EVENTS,
        BLOCKED_PREFIXES,
    )
    _write_events, _read_events, _write_flags = dict(WRITE_PATH_EVENTS), dict(READ_PATH_EVENTS), WRITE_FLAGS
    scratch_prefix = scratch + "/"

    def as_abs(path: object) -> str | None:
        # Exact str/bytes only: subclasses could lie through overridden methods; fds are already open.
        if _isinstance(path, _str):
            text = _str.__str__(path)
        elif _isinstance(path, _bytes):
            text = _bytes.decode(cast(bytes, path), "utf-8", "surrogateescape")
        else:
            return None
        return _norm(text, scratch)

    def in_scratch(abs_path: str) -> bool:
        return abs_path == scratch or abs_path.startswith(scratch_prefix)

    def readable(abs_path: str) -> bool:
        if in_scratch(abs_path) or abs_path in read_files:
            return True
        return any(abs_path == root or abs_path.startswith(root + "/") for root in read_roots)

    def check(event: str, path: object, write: bool) -> None:
        if _isinstance(path, _int) and not _isinstance(path, bool):
            return  # an fd the code already holds, opened under this same policy
        abs_path = as_abs(path)
        if abs_path is None:
            raise _perm(f"sandbox: {event} refused for a path of type {type(path).__name__}")
        if write and not in_scratch(abs_path):
            raise _perm(f"sandbox: {event} refused: {abs_path!r} is outside the scratch directory")
        if not write and not readable(abs_path):
            raise _perm(f"sandbox: {event} refused: {abs_path!r} is outside the scratch directory")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            write = bool(flags & _write_flags) if _isinstance(flags, _int) else False
            if _isinstance(mode, _str) and any(c in mode for c in "wax+"):
                write = True
            check(event, path, write)
            abs_path = as_abs(path)
            if abs_path is not None and not in_scratch(abs_path):
                # A directory fd outside the scratch dir would make `dir_fd=` paths escape the policy.
                try:
                    is_dir = _s_isdir(_stat(abs_path).st_mode)
                except OSError:
                    is_dir = False
                if is_dir:
                    raise _perm(f"sandbox: opening directory {abs_path!r} refused")
            return
        if event == "import":
            name = args[0]
            if _isinstance(name, _str) and name.partition(".")[0] in _blocked_imports:
                raise _perm(f"sandbox: import of {name!r} refused")
            return
        if event in _blocked or event.startswith(_prefixes):
            raise _perm(f"sandbox: {event} refused")
        write_event = _write_events.get(event)
        if write_event is not None:
            count, dir_fd_positions = write_event
            for path in args[:count]:
                check(event, path, True)
            for position in dir_fd_positions:
                dir_fd = args[position] if position < len(args) else None
                if _isinstance(dir_fd, _int) and dir_fd != -1:
                    raise _perm(f"sandbox: {event} with dir_fd refused")
            return
        read_count = _read_events.get(event)
        if read_count is not None:
            for path in args[:read_count]:
                if event == "glob.glob":
                    continue  # the listing itself raises os.scandir, checked there
                check(event, path, False)

    return hook


def _unshare_network(libc: Any) -> bool:
    """Move into a new network namespace (only an unconfigured, down loopback in it)."""
    flags = CLONE_NEWNET if os.getuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    return bool(libc.unshare(flags) == 0)


def _set_limits(limits: dict[str, int]) -> None:
    cpu = limits["cpu_time_s"]
    # Soft limit delivers SIGXCPU (fatal, Python does not handle it); the hard limit SIGKILLs a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"], limits["file_size_bytes"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"], limits["max_processes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _drop_privileges(libc: Any, uid: int, gid: int, keep_read_cap: bool) -> None:
    """Become `uid`; optionally keep only CAP_DAC_READ_SEARCH so a root-only interpreter stays importable."""
    import ctypes

    if keep_read_cap and libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_KEEPCAPS)")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if keep_read_cap:

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [
                ("effective", ctypes.c_uint32),
                ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32),
            ]

        header = Header(_LINUX_CAPABILITY_VERSION_3, 0)
        data = (Data * 2)()
        data[0].effective = data[0].permitted = 1 << CAP_DAC_READ_SEARCH
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("privilege drop did not take effect")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise OSError("could regain root after dropping privileges")


def _no_new_privs(libc: Any) -> bool:
    """No exec may grant privileges from now on (setuid binaries, file capabilities); Landlock needs it."""
    return bool(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)


def _enter_landlock(libc: Any, ruleset_fd: int) -> None:
    """Enforce the server's Landlock ruleset on this process and everything it may start."""
    import ctypes

    libc.syscall.restype = ctypes.c_long
    if (
        libc.syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_long(ruleset_fd), ctypes.c_long(0))
        != 0
    ):
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")


def _print_cell_traceback() -> None:
    """Print the current exception without this runner's own frame, as a plain script run would."""
    exc_type, exc, tb = sys.exc_info()
    traceback.print_exception(exc_type, exc, tb.tb_next if tb is not None else None)


def _run_cell(code: str) -> tuple[str | None, int]:
    """Execute like a notebook cell: the last expression statement's value is returned as its repr."""
    import linecache

    # Register the source so tracebacks can show the user's lines without reading any file.
    linecache.cache[CELL_FILENAME] = (len(code), None, code.splitlines(True), CELL_FILENAME)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        tree = ast.parse(code, CELL_FILENAME, "exec")
        last: ast.Expr | None = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body.pop()  # type: ignore[assignment]
        exec(compile(tree, CELL_FILENAME, "exec"), namespace)
        if last is None:
            return None, 0
        value = eval(compile(ast.Expression(last.value), CELL_FILENAME, "eval"), namespace)
        if value is None:
            return None, 0
        text = repr(value)
        if len(text) > MAX_REPR_CHARS:
            text = text[:MAX_REPR_CHARS] + f"... [repr truncated, {len(text)} chars]"
        return text, 0
    except SystemExit as exc:
        code_value = exc.code
        if code_value is None:
            return None, 0
        if isinstance(code_value, int):
            return None, code_value
        print(code_value, file=sys.stderr)
        return None, 1
    except MemoryError:
        _print_cell_traceback()
        return None, EXIT_MEMORY
    except BaseException:  # the cell's own failure: report it like the interpreter would
        _print_cell_traceback()
        return None, 1


def main() -> None:
    config = json.loads(sys.argv[1])
    result_fd: int = config["result_fd"]
    code = sys.stdin.buffer.read().decode("utf-8", "replace")
    # stdin is closed for the cell: point fd 0 at /dev/null.
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[union-attr]
    sys.stderr.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[union-attr]
    sys.dont_write_bytecode = True
    layers: dict[str, bool] = {}
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        layers["network_namespace"] = _unshare_network(libc) if config["unshare_network"] else False
        _set_limits(config["limits"])
        layers["rlimits"] = True
        if config["uid"] is not None:
            _drop_privileges(libc, config["uid"], config["gid"], config["keep_read_cap"])
        layers["unprivileged_uid"] = os.getuid() != 0
        layers["keeps_read_capability"] = bool(config["uid"] is not None and config["keep_read_cap"])
        layers["no_new_privs"] = _no_new_privs(libc)
        ruleset_fd: int | None = config["landlock_fd"]
        layers["landlock"] = False
        if ruleset_fd is not None:
            # Before the audit hook, which refuses ctypes; a failure in `auto` mode leaves the layer off.
            try:
                _enter_landlock(libc, ruleset_fd)
                layers["landlock"] = True
            except OSError:
                if config["landlock_required"]:
                    raise
            finally:
                os.close(ruleset_fd)
        layers["landlock_network"] = layers["landlock"] and bool(config["landlock_network"])
        del libc, ctypes
        sys.path[:] = config["sys_path"]
        if config["audit_hook"]:
            sys.addaudithook(
                _make_audit_hook(config["scratch"], tuple(config["read_roots"]), tuple(config["read_files"]))
            )
        layers["audit_hook"] = bool(config["audit_hook"])
    except OSError as exc:
        print(f"sandbox setup failed: {exc}", file=sys.stderr)
        os.write(result_fd, json.dumps({"layers": layers, "setup_error": str(exc)}).encode())
        os._exit(EXIT_SETUP_FAILED)
    # Drop the trusted setup's globals from the cell's reach: it gets a fresh __main__ namespace.
    return_value, exit_code = _run_cell(code)
    sys.stdout.flush()
    sys.stderr.flush()
    payload = json.dumps({"layers": layers, "return_value": return_value}).encode()
    os.write(result_fd, payload)
    os._exit(exit_code & 0xFF)


if __name__ == "__main__":
    main()
