"""Which event loop a server runs on: one choice for `llama-stack run` and for the tests' servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (several times less CPU per request, bench/gateway.py); else asyncio's loop.

    The test servers use it too, so they meet what users meet: uvloop refuses some of asyncio's arguments
    (its ``subprocess_exec`` takes no ``user``/``group``), which asyncio-only tests once let through.
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
