"""Memory limits of the server's child processes (query workers, the build-files child, the write worker).

Each child caps its own data segment (``RLIMIT_DATA``: heap and private anonymous mappings, not the store's
files mapped into memory) as it starts. An allocation past the cap fails: Oxigraph aborts the process
(SIGABRT), the parent sees it die, answers 503 and starts a replacement. So no single query, write or
per-build computation can take the machine's memory, and the server itself lives on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal

MIN_CHILD_MB = 256
SHARE_OF_MEMORY = 0.5  # of the machine's memory, shared among the children by default
OTHER_CHILDREN = 2  # the build-files child and the write worker, beside the query workers


def machine_memory_mb() -> int:
    """The machine's physical memory in MB (from ``sysconf``)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def child_memory_mb(setting: int, workers: int) -> int:
    """The cap of one child: ``setting`` when set (not 0), else half the machine's memory shared among the
    ``workers`` query workers and the two other children, at least :data:`MIN_CHILD_MB`.

    >>> child_memory_mb(512, 4)
    512
    >>> child_memory_mb(0, 4) >= MIN_CHILD_MB
    True
    """
    if setting:
        return setting
    return max(MIN_CHILD_MB, int(machine_memory_mb() * SHARE_OF_MEMORY / (workers + OTHER_CHILDREN)))


def limit_memory(megabytes: int) -> None:
    """Cap this process's data segment at ``megabytes`` (0: no cap)."""
    if megabytes > 0:
        cap = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


def ran_out_of_memory(returncode: int | None) -> bool:
    """Whether a child's exit status is the abort of a failed allocation (SIGABRT)."""
    return returncode == -signal.SIGABRT


M_ARENA_MAX = -8  # glibc's mallopt parameter number
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc keep at most ``arenas`` arenas in this process (it makes up to 8 per core, one per
    thread that allocates at once, and each keeps the memory it once held). The server's threads (event loop,
    page and network threads, the store's readers) otherwise held about 100 MB more at ECCP scale. Call it
    before threads start. False where the C library is not glibc (nothing changes there)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
