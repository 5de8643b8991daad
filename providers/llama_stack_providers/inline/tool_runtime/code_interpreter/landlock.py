"""Landlock rulesets: the file-system and TCP policy the kernel enforces on a code-interpreter child.

Landlock (Linux 5.13 and later) lets a process take access rights away from itself and from every
process it starts. The kernel checks them on each open(2), mkdir(2), rename(2), execve(2), bind(2) and
connect(2). The audit hook only sees what Python code does, so C extensions, ctypes or memory corruption
can get round it. Landlock's checks still apply in those cases. The server builds one ruleset per run
with `sandbox_ruleset` (it can open every path, even one under a private home) and passes its fd to the
child. Before the cell runs, the child calls `prctl(PR_SET_NO_NEW_PRIVS)` and then
`landlock_restrict_self` on that fd (`_child.py` repeats `restrict_self`, because it cannot import this
package).

The policy: every right the kernel's ABI knows is handled, so it is denied unless granted below.

- The session's scratch dir gets everything a working folder needs: read, write, truncate, list, create
  and remove files, directories, symlinks and FIFOs, and move them between its subfolders (REFER).
- The import roots (stdlib, lib-dynload and site-packages, which make up the child's `sys.path`) and
  `/usr/share/zoneinfo` can be read and listed. `import` needs nothing more.
- The shared-library dirs (`/lib`, `/lib64`, `/usr/lib`, `/usr/lib64`, `/usr/local/lib`, the
  interpreter's LIBDIR) can be read but not listed. So can `/etc/ld.so.cache` and `/etc/localtime`. The
  dynamic loader needs these when an import loads an extension linked against a system library (zlib,
  sqlite3, libssl).
- `/dev/null` can be read and written, and `/dev/zero`, `/dev/random` and `/dev/urandom` can be read.

Nothing else is granted:

- EXECUTE is granted nowhere. The interpreter is already running, and a binary written to scratch must
  not run.
- No ioctl on devices, and no device nodes or socket files can be made.
- TCP bind and connect are refused on every port (ABI 4 and later). This backs up the network namespace.
- Abstract unix sockets and signals cannot reach outside the sandbox (ABI 6 and later).
- The rest of the file system cannot be read, listed or written: `/etc/passwd`, `/`, other sessions'
  folders, the server's files.

Landlock does not cover:

- stat(2) and path lookup. Any path's existence and metadata can still be seen.
- UDP and other non-TCP sockets.
- Connecting to pathname unix sockets.
- Files opened before enforcement.

The network namespace, the unprivileged uid and the audit hook cover those.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

# The syscalls have the same numbers on x86_64 and aarch64 (the unified table for new syscalls). Other
# machines count as "no Landlock" rather than risk calling the wrong syscall.
SUPPORTED_MACHINES = frozenset({"x86_64", "aarch64"})
SYS_CREATE_RULESET = 444
SYS_ADD_RULE = 445
SYS_RESTRICT_SELF = 446
PR_SET_NO_NEW_PRIVS = 38
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

# The rights that make sense on a file, as opposed to a directory. A rule on a file may hold only these.
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

SCRATCH_RIGHTS = (
    FS_READ_FILE
    | FS_WRITE_FILE
    | FS_TRUNCATE
    | FS_READ_DIR
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_SYM
    | FS_MAKE_FIFO
    | FS_REFER
)
IMPORT_RIGHTS = FS_READ_FILE | FS_READ_DIR
LIBRARY_RIGHTS = FS_READ_FILE
DEVNULL_RIGHTS = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE


class Support(NamedTuple):
    abi: int  # 0: Landlock cannot be used here
    reason: str | None  # why not, when abi is 0


def handled_fs(abi: int) -> int:
    """Every file-system right `abi` knows: what a ruleset for that ABI denies unless a rule grants it."""
    if abi < 1:
        return 0
    rights = (1 << 13) - 1  # EXECUTE .. MAKE_SYM, ABI 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def handled_net(abi: int) -> int:
    return NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0


def scopes(abi: int) -> int:
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is __attribute__((packed))
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args: int | ctypes.c_void_p) -> int:
    # syscall(2) is variadic and reads every argument as a long: pass them as such, never as a C int.
    function = _libc().syscall
    function.restype = ctypes.c_long
    longs = [a if isinstance(a, ctypes.c_void_p) else ctypes.c_long(a) for a in args]
    result = int(function(ctypes.c_long(number), *longs))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def probe() -> Support:
    """The Landlock ABI this kernel offers, or 0 and the reason it cannot be used."""
    machine = platform.machine()
    if platform.system() != "Linux":
        return Support(0, f"not Linux ({platform.system()})")
    if machine not in SUPPORTED_MACHINES:
        return Support(0, f"syscall numbers unknown for {machine}")
    try:
        abi = _syscall(SYS_CREATE_RULESET, ctypes.c_void_p(None), 0, CREATE_RULESET_VERSION)
    except OSError as exc:
        if exc.errno == errno.ENOSYS:
            return Support(0, "the kernel has no Landlock (needs Linux 5.13+ with CONFIG_SECURITY_LANDLOCK)")
        if exc.errno == errno.EOPNOTSUPP:
            return Support(0, "Landlock is disabled at boot (add landlock to the kernel's lsm= list)")
        return Support(0, f"landlock_create_ruleset failed: {exc}")
    return Support(abi, None)


def create_ruleset(abi: int) -> int:
    """A new ruleset fd (close-on-exec) denying every right `abi` knows; grant rights with the rules below."""
    attr = _RulesetAttr(handled_fs(abi), handled_net(abi), scopes(abi))
    return _syscall(SYS_CREATE_RULESET, ctypes.c_void_p(ctypes.addressof(attr)), ctypes.sizeof(attr), 0)


def allow_beneath(ruleset_fd: int, path: str, access: int, abi: int, *, follow: bool = True) -> bool:
    """Grant `access` on `path` and, for a directory, everything beneath it; False when `path` is missing.

    Rights the ABI does not know are dropped, and so are directory rights when `path` is a file, because
    the kernel refuses a rule that holds either.
    """
    flags = os.O_PATH | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return False
    try:
        access &= handled_fs(abi)
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_RIGHTS
        if not access:
            return False
        rule = _PathBeneathAttr(access, fd)
        _syscall(SYS_ADD_RULE, ruleset_fd, RULE_PATH_BENEATH, ctypes.c_void_p(ctypes.addressof(rule)), 0)
        return True
    finally:
        os.close(fd)


def restrict_self(ruleset_fd: int) -> None:
    """Enforce the ruleset on the calling thread and all it starts from now on; there is no way back."""
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(code)}")
    _syscall(SYS_RESTRICT_SELF, ruleset_fd, 0)


def sandbox_ruleset(
    abi: int,
    *,
    scratch: str,
    import_roots: Iterable[str],
    library_roots: Iterable[str],
    library_files: Iterable[str],
    devices: Iterable[str],
) -> int:
    """The ruleset of one run, as the module docstring describes it; the caller closes the fd."""
    fd = create_ruleset(abi)
    try:
        # Not following a symlink: the scratch dir must be the server's folder, not where a link points.
        if not allow_beneath(fd, scratch, SCRATCH_RIGHTS, abi, follow=False):
            raise FileNotFoundError(errno.ENOENT, "scratch dir is missing", scratch)
        for path in import_roots:
            allow_beneath(fd, path, IMPORT_RIGHTS, abi)
        for path in (*library_roots, *library_files):
            allow_beneath(fd, path, LIBRARY_RIGHTS, abi)
        for path in devices:
            allow_beneath(fd, path, DEVNULL_RIGHTS if path == "/dev/null" else FS_READ_FILE, abi)
    except BaseException:
        os.close(fd)
        raise
    return fd
