"""Keep argon2's 19 MiB work areas from staying resident after the load.

glibc raises its mmap threshold dynamically after large blocks are freed, so
later 19 MiB argon2 allocations come from the heap and remain resident; a
fixed threshold sends them back to mmap, which returns them to the system.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def tune_allocator(mmap_threshold: int = 1024 * 1024, arena_max: int = 2) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_ARENA_MAX, arena_max))
