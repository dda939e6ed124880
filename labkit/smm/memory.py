"""Refusing work that cannot fit: a size is checked against the machine's memory before
anything is allocated (a 100k x 100k GEMM must fail at once with a message, not after
the kernel swapped the machine to a halt or numpy raised half-way through)."""

from __future__ import annotations

import os

from labkit.lab.errors import InputError


def physical_bytes() -> int | None:
    """The machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def refuse_beyond_memory(nbytes: int, what: str) -> None:
    """InputError when ``what`` would need ``nbytes``, more than the machine has."""
    total = physical_bytes()
    if total is not None and nbytes > total:
        raise InputError(f"{what} needs {nbytes / 2**30:.1f} GiB, more than this machine's "
                         f"{total / 2**30:.1f} GiB of memory")
