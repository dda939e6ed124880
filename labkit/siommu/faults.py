"""How a fault is handled, chosen by a fault code carried per request or per entry.

The patent (FIG. 4, process block 60) lists three ways to handle a fault: simply fault
and prevent the transfer (``deny``), default to the operating system's conventional path
(``kernel``), or have the OS add the missing data to the page table and refer the
transfer to the SIOMMU again (``remap``); "the preferred handling of the fault may be
signaled by a unique fault code". So the code travels with the thing that faulted: a
matching entry's code (the OS's choice for that mapping, e.g. "serve this read-only file
through the kernel") wins; without one, the request's code (the library's choice for
that I/O); without either, the machine's default.
"""

from __future__ import annotations

from labkit.lab.errors import InputError

DENY, KERNEL, REMAP = "deny", "kernel", "remap"
HANDLINGS = (DENY, KERNEL, REMAP)


def check_handling(code, what: str = "fault code") -> str | None:
    """``code`` if it is None or one of :data:`HANDLINGS`, else InputError."""
    if code is not None and code not in HANDLINGS:
        raise InputError(f"unknown {what} {code!r}: one of {', '.join(HANDLINGS)} (or None)")
    return code


def choose(entry_code: str | None, request_code: str | None, default: str) -> str:
    """The handling of one fault: the entry's code, else the request's, else ``default``."""
    if entry_code is not None:
        return entry_code
    if request_code is not None:
        return request_code
    return default
