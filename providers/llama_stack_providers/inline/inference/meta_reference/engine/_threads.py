"""Keeping idle OpenMP worker pools from slowing the thread that decodes.

libgomp (the OpenMP runtime of torch's Linux wheels) gives each thread that
runs a parallel region its own pool of worker threads, kept for reuse. Once
the process holds more OpenMP threads than cores — say the model was loaded
on one thread and decodes on another — libgomp stops letting idle workers
spin, so each of a decode step's hundred-odd parallel matrix products waits
for its workers to wake: a third slower on two cores. Threads that are done
with torch for a while (the loader, a one-off ``generate`` caller) release
their pool with ``release_thread_pool``; a later parallel region makes a new one.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from pathlib import Path

_OMP_PAUSE_SOFT = 1


@functools.cache
def _pause_function() -> Callable[[int], int] | None:
    import torch

    for library in sorted((Path(torch.__file__).parent / "lib").glob("libgomp*.so*")):
        try:
            pause = ctypes.CDLL(str(library)).omp_pause_resource_all
        except (
            OSError,
            AttributeError,
        ):  # not loadable, or a libgomp older than OpenMP 5.0: nothing to release
            continue
        pause.argtypes = [ctypes.c_int]
        pause.restype = ctypes.c_int
        return pause
    return None


def release_thread_pool() -> None:
    """Free the calling thread's OpenMP worker pool (libgomp builds of torch); a no-op elsewhere.

    Call it outside any parallel region: on a thread that has finished its torch work for now.
    """
    pause = _pause_function()
    if pause is not None:
        pause(_OMP_PAUSE_SOFT)
