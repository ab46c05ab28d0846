"""The server process's memory allocator, set once so that memory freed after a visit goes back to the system."""
from __future__ import annotations

import ctypes
import ctypes.util

import streamlit as st

# glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
MMAP_THRESHOLD = 128 * 1024   # glibc's own starting value, kept fixed instead of growing
ARENA_MAX = 2


@st.cache_resource
def return_freed_memory() -> bool:
    """Once per server: every script run has a thread of its own, and glibc gives threads arenas of their
    own, up to eight per core, each keeping what it once held; and once a large block is freed it raises
    the size below which blocks come from those arenas instead of being mapped and unmapped. Both make a
    server's memory grow with its visitors and never shrink. With two arenas and the threshold fixed,
    large arrays are unmapped when freed. False where the C library is not glibc (nothing changes)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, ARENA_MAX)) and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError, TypeError):
        return False
