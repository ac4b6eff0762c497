"""Bound how much memory argon2's 19 MiB work areas can pin.

glibc gives each thread that allocates its own arena (up to 8 per core), and
every arena keeps its freed 19 MiB blocks for reuse, so eight waitress threads
hashing at once would pin ~150 MiB. One arena, with argon2 limited to one
computation per two cores (auth/passwords.py), keeps that to one reused block:
`make bench` with 8 clients on 2 cores ends at ~105 MB, against 125-145 MB with
two arenas and the same CPU per sign-in (a fixed mmap threshold would return the
blocks too, but costs ~40% more CPU per verification in page faults).
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8


def tune_allocator(arena_max: int = 1) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: nothing to tune
        return False
    return bool(mallopt(M_ARENA_MAX, arena_max))
