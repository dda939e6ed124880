"""Requests the SIOMMU checks and the results it gives back.

A request names what the device wants to touch: the FT bit says whether ``address`` is an
I/O-device address (FT=1, a virtual block address, table 34a) or a memory address (FT=0,
DMA into a buffer, table 34b); the PASID names the process, ``device`` the SSD. A denied
request is a :class:`Translation` with a fault code, never an exception; only a request
that is malformed (a field of the wrong type or range) raises :class:`InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError
from labkit.siommu.faults import check_handling

PAGE_SIZE = 4096          # bytes per page (memory) and per block (device)
PAGE_SHIFT = 12
MAX_PASID = (1 << 20) - 1  # PCIe PASIDs are 20 bits
MAX_DEVICE = (1 << 16) - 1  # PCIe requester ids are 16 bits
PROCESSOR = MAX_DEVICE     # the requester id of the processors' own accesses (claim 13)

NO_ENTRY = "no_entry"
DEVICE_MISMATCH = "device_mismatch"
PERMISSION_DENIED = "permission_denied"
FAULTS = (NO_ENTRY, DEVICE_MISMATCH, PERMISSION_DENIED)


def _field(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"request field {name!r} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"request field {name!r}={value} is outside [{low}, {high}]")
    return value


@dataclass(frozen=True)
class Request:
    """One access the device asks the SIOMMU to check (FT, PASID, device, address, R/W),
    with the fault code the library chose for it (None: the entry's or the default)."""

    ft: int
    pasid: int
    device: int
    address: int
    write: bool = False
    on_fault: str | None = None

    def __post_init__(self):
        _field("ft", self.ft, 0, 1)
        _field("pasid", self.pasid, 0, MAX_PASID)
        _field("device", self.device, 0, MAX_DEVICE)
        _field("address", self.address, 0, (1 << 64) - 1)
        if not isinstance(self.write, bool):
            raise InputError(f"request field 'write' must be True or False, got {self.write!r}")
        check_handling(self.on_fault, "request field 'on_fault'")

    @property
    def page(self) -> int:
        """Virtual block (FT=1) or virtual page (FT=0) number."""
        return self.address >> PAGE_SHIFT

    @property
    def offset(self) -> int:
        return self.address & (PAGE_SIZE - 1)


@dataclass(frozen=True)
class Translation:
    """The SIOMMU's answer: a physical address, or a fault code saying why not.

    ``source`` is ``"tlb"`` or ``"walk"``; ``levels`` the page-table levels the walk
    touched (0 on a TLB hit), which the latency model charges; ``handling`` the fault code
    of the matching entry, if there was one (see :mod:`~labkit.siommu.faults`).
    """

    ok: bool
    physical: int | None = None
    fault: str | None = None
    source: str = "walk"
    levels: int = 0
    handling: str | None = None

    @property
    def physical_page(self) -> int | None:
        return None if self.physical is None else self.physical >> PAGE_SHIFT
