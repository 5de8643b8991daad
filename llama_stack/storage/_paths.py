"""Where state lives by default: ``$LLAMA_STACK_HOME/<distribution>/`` (``~/.llama`` unless set)."""

from __future__ import annotations

import os
from pathlib import Path

LLAMA_STACK_HOME_ENV = "LLAMA_STACK_HOME"


def llama_stack_home() -> Path:
    """``$LLAMA_STACK_HOME`` when set, else ``~/.llama``; read on every call so tests can redirect it."""
    configured = os.environ.get(LLAMA_STACK_HOME_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".llama"


def distribution_dir(distribution_name: str) -> Path:
    """The folder holding one distribution's state (not created here: no I/O until a store opens)."""
    if (
        not distribution_name
        or distribution_name in (".", "..")
        or any(s in distribution_name for s in "/\\")
    ):
        raise ValueError(
            f"distribution name {distribution_name!r} cannot be used as a folder name; "
            "expected a plain name such as 'starter'"
        )
    return llama_stack_home() / distribution_name


def default_db_path(distribution_name: str, filename: str) -> Path:
    """The default database file, e.g. ``~/.llama/starter/kvstore.db``."""
    if not filename or Path(filename).name != filename:
        raise ValueError(f"filename {filename!r} must be a bare file name such as 'kvstore.db'")
    return distribution_dir(distribution_name) / filename
