"""Keep freed memory in the process instead of handing it back to the kernel at once.

At 1:1 scale every per-household float column is ~37 MB, above glibc's largest mmap
threshold (32 MB), so each numpy temporary of that size is mapped fresh from the kernel,
zero-filled page by page, and unmapped when freed: a 1:1 replicate spent about a third of
its time in those page faults (measured: 47 s as shipped, 31 s with the settings below,
same peak memory; docs/performance.md). Serving large blocks from the heap and not
trimming it lets the next temporary reuse the pages of the last one.

Process-wide, set once, and only on glibc (elsewhere a no-op). The cost: the process keeps
its peak heap until it exits, which is what a worker running replicates of one size wants.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_MAX = -4
_done = False


def keep_freed_memory() -> bool:
    """Serve large allocations from the heap and never trim it; True if applied."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p  # exists in glibc only
        if not libc.gnu_get_libc_version():
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _done = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
    return _done
