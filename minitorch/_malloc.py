"""Keep freed array memory in the process (glibc only).

By default glibc's malloc gives every block of 128 KiB or more its own mmap and unmaps it on free, and trims
the heap's free top; each new array then page-faults its memory back in, zero-filled by the kernel. A train
step allocates and frees tens of MiB of temporaries, and on a small CNN those page faults cost about three
times the arithmetic. Raising both thresholds lets malloc reuse freed blocks, as torch's caching allocators
do; the process keeps its peak memory instead of returning it between steps. Set the environment variable
MINITORCH_KEEP_FREED_MEMORY=0 before importing minitorch to leave malloc as it is."""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
_MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts: blocks above it still get their own mmap
_TRIM_THRESHOLD = 256 << 20


def keep_freed_memory():
    """Raise glibc's mmap and trim thresholds; a no-op elsewhere or when switched off."""
    if not sys.platform.startswith("linux") or os.environ.get("MINITORCH_KEEP_FREED_MEMORY") == "0":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
