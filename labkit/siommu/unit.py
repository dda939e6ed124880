"""The SIOMMU itself: the decision logic of the patent's FIG. 4.

For each request: the FT bit picks the path (FT=1: I/O TLB 50a, then a walk of table 34a;
FT=0: memory TLB 50b, then table 34b). A TLB hit needs FT, PASID, device id and page to
match. On a miss the walk finds the PASID's leaf for the page: none is a ``no_entry``
fault; a leaf of another device is ``device_mismatch``; otherwise the leaf fills the TLB.
Then permission: a valid physical address and the R/W bit, else ``permission_denied``.
With ``tlb="combined"`` one TLB holds both kinds (the FT bit is part of the tag), which
must decide exactly as the split pair does. ``permission`` picks what the permission data
is (:mod:`~labkit.siommu.permission`: the R/W field, or the entry's mere existence).

The unit also does the conventional MMU/IOMMU job of claim 13: a processor's virtual
address, received over the memory bus, is translated through the process's page table 23
(``cpu_table``) with the requester id :data:`~labkit.siommu.request.PROCESSOR`.
"""

from __future__ import annotations

from collections import Counter

from labkit.lab.errors import InputError
from labkit.siommu import permission as perm
from labkit.siommu.pagetable import PageTable
from labkit.siommu.request import (DEVICE_MISMATCH, NO_ENTRY, PAGE_SHIFT, PERMISSION_DENIED,
                                   PROCESSOR, Request, Translation)
from labkit.siommu.tlb import TLB


class SIOMMU:
    """Tables 34a/34b (owned by the OS, read here) and the TLB(s) 50a/50b."""

    def __init__(self, *, levels: int = 4, tlb: str = "split", entries: int = 64,
                 ways: int | None = None, replacement: str = "lru", seed: int = 0,
                 io_table: PageTable | None = None, mem_table: PageTable | None = None,
                 permission: str = perm.FIELD):
        if tlb not in ("split", "combined"):
            raise InputError(f"unknown TLB organisation {tlb!r}: 'split' or 'combined'")
        self.permission = perm.check_model(permission)
        self.io_table = io_table or PageTable(levels, name="34a")
        self.mem_table = mem_table or PageTable(levels, name="34b")
        self.cpu_table = PageTable(levels, name="23")
        self.organisation = tlb
        if tlb == "split":
            self.tlbs = {1: TLB(entries, ways, replacement, seed, name="50a"),
                         0: TLB(entries, ways, replacement, seed, name="50b")}
        else:
            shared = TLB(entries, ways, replacement, seed, name="50")
            self.tlbs = {1: shared, 0: shared}
        self.faults = Counter()
        self.devices: list = []      # told of every invalidation (see :meth:`attach`)
        self.walks = 0
        self.walk_levels = 0

    def table(self, ft: int) -> PageTable:
        return self.io_table if ft == 1 else self.mem_table

    def translate(self, request: Request) -> Translation:
        """Check one request (FIG. 4). Never raises for a denied request."""
        if not isinstance(request, Request):
            raise InputError(f"translate needs a Request, got {type(request).__name__}")
        if request.device == PROCESSOR:
            raise InputError(f"device id {PROCESSOR} is the processors' requester id; "
                             "use translate_processor")
        return self._decide(request, self.table(request.ft))

    def translate_processor(self, pasid: int, vaddr: int, write: bool = False) -> Translation:
        """Claim 13: a processor's virtual address from the memory bus to a physical
        address of main memory, through page table 23 and the memory-side TLB."""
        return self._decide(Request(0, pasid, PROCESSOR, vaddr, write), self.cpu_table)

    def _decide(self, request: Request, table: PageTable) -> Translation:
        ft, pasid, device, page = request.ft, request.pasid, request.device, request.page
        tlb = self.tlbs[ft]
        entry = tlb.lookup(ft, pasid, device, page)
        source, levels = "tlb", 0
        if entry is None:
            source = "walk"
            entry, levels = table.walk(pasid, page)
            self.walks += 1
            self.walk_levels += levels
            if entry is None:
                return self._fault(NO_ENTRY, source, levels, None)
            if entry.device != device:
                return self._fault(DEVICE_MISMATCH, source, levels, None)
            tlb.fill(ft, pasid, device, page, entry)
        if not perm.grants(self.permission, entry, request.write):
            return self._fault(PERMISSION_DENIED, source, levels, entry.on_fault)
        physical = (entry.physical << PAGE_SHIFT) | request.offset
        return Translation(True, physical=physical, source=source, levels=levels)

    def _fault(self, code: str, source: str, levels: int, handling: str | None) -> Translation:
        self.faults[code] += 1
        return Translation(False, fault=code, source=source, levels=levels, handling=handling)

    def attach(self, device) -> None:
        """Send ``device`` every invalidation, as an IOMMU sends ATS invalidations: a
        device must not use a translation after the OS removed it, even for a request
        already checked and still waiting for its transfer."""
        self.devices.append(device)

    def invalidate(self, *, ft: int | None = None, pasid: int | None = None, pages=None) -> int:
        """Drop cached copies in every TLB and in the attached devices' in-flight
        requests (the OS calls this when it unmaps)."""
        pages = None if pages is None else set(pages)
        for device in self.devices:
            device.invalidated(ft, pasid, pages)
        seen, dropped = set(), 0
        for tlb in self.tlbs.values():
            if id(tlb) not in seen:
                seen.add(id(tlb))
                dropped += tlb.invalidate(ft=ft, pasid=pasid, pages=pages)
        return dropped

    def stats(self) -> dict:
        """Hits, misses, walks and faults so far (one flat dict)."""
        out = {"walks": self.walks, "walk_levels": self.walk_levels,
               **{f"fault_{k}": v for k, v in self.faults.items()}}
        for ft, tlb in self.tlbs.items():
            out[f"tlb{ft}_hits"], out[f"tlb{ft}_misses"] = tlb.hits, tlb.misses
        return out
