"""Refusing work that would need more memory than the machine has, before allocating.

Why a check of its own: numpy asked for tens of gigabytes either raises deep inside a
run or, with overcommit, lets the kernel kill the process later; a size typed on the
command line should be refused at once, naming what it would need.
"""

from __future__ import annotations

from labkit.lab.errors import InputError


def available_bytes() -> int:
    """Memory the machine can give now: ``MemAvailable`` from ``/proc/meminfo``
    (physical memory from ``os.sysconf`` where that file is missing)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def require_memory(nbytes: int, what: str) -> int:
    """``nbytes`` if the machine can hold it (with 10% to spare), else InputError."""
    have = available_bytes()
    if nbytes > 0.9 * have:
        raise InputError(f"{what} needs {nbytes / 2**30:.1f} GiB but only "
                         f"{have / 2**30:.1f} GiB of memory is available")
    return int(nbytes)
