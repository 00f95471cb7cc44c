"""Handing freed heap back to the operating system.

glibc keeps memory that was freed in its arenas for reuse, and RSS counts it until then.
The dashboard frees most of what it will ever free early: the initial LISTs' bodies and
decode buffers (a thread arena of their own, the reflector's) and the first analysis'
temporaries. At 50k pods ~11 MB of those free pages were still resident after the first
analysis, returned by one ``malloc_trim(0)`` (bench/README.md, "ui_live_bench.py").
"""

from __future__ import annotations

import ctypes


def release_free_heap() -> bool:
    """Return the free pages of every malloc arena to the OS; False where the C library
    has no ``malloc_trim`` (musl, macOS), which changes nothing else. A few ms: call it
    once after a burst of frees, not on a hot path."""
    try:
        # the symbols already loaded (libc's among them): no library search, no ldconfig
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True
