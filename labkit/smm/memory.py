"""Refusing work that cannot fit: a size is checked against the machine's memory before
anything is allocated (a 100k x 100k GEMM must fail at once with a message, not after
the kernel swapped the machine to a halt or numpy raised half-way through)."""

from __future__ import annotations

import os

from labkit.lab.errors import InputError


def available_bytes() -> int | None:
    """Memory the machine can give now: ``MemAvailable`` (Linux), else its physical memory,
    None where the OS says neither. Why not the total: on a shared machine a size that fits
    the total but not what is free swaps everyone to a halt."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def refuse_beyond_memory(nbytes: int, what: str) -> None:
    """InputError when ``what`` would need ``nbytes``, more than the machine has free."""
    free = available_bytes()
    if free is not None and nbytes > free:
        raise InputError(f"{what} needs {nbytes / 2**30:.1f} GiB, more than this machine's "
                         f"{free / 2**30:.1f} GiB of available memory")
