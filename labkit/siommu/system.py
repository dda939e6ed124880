"""A machine: file system, kernel, SIOMMU and an SSD that only acts on checked requests.

This is claim 1's flow: the device presents the I/O-device address (FT=1) and receives
the permission (and physical block); it then presents the memory address of the buffer
(FT=0) and receives the second permission. The SSD moves data only when both pass (or
when the kernel path, under the ``kernel`` policy, serves the request itself). Every block
holds a tag naming its file, so a test can prove no data reached a process that may not
have it.
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.lab.errors import InputError
from labkit.siommu import faults
from labkit.siommu.kernel import POLICIES, FileSystem, Kernel
from labkit.siommu.request import Request, Translation
from labkit.siommu.unit import SIOMMU


@dataclass(frozen=True)
class IOResult:
    """What one I/O did: served (by ``siommu`` or ``kernel``) or the fault that stopped it."""

    ok: bool
    served_by: str | None = None
    fault: str | None = None
    stage: str | None = None        # "device_address" or "memory_address"
    physical_block: int | None = None
    data: object = None
    retried: bool = False


class Machine:
    """One SSD (or several), the OS and the SIOMMU, wired as in the patent's FIG. 1.
    ``policy`` handles a fault whose entry and request carry no fault code."""

    def __init__(self, devices: dict[int, int] | None = None, *, policy: str = "deny",
                 **unit_options):
        if policy not in POLICIES:
            raise InputError(f"unknown fault policy {policy!r}: one of {POLICIES}")
        self.policy = policy
        self.fs = FileSystem(devices or {0: 1 << 16})
        self.unit = SIOMMU(**unit_options)
        self.kernel = Kernel(self.fs, self.unit)
        self.blocks: dict[tuple[int, int], object] = {}   # written data
        self.log: list[dict] = []       # one row per submitted I/O
        self.violations = 0             # served I/Os on a block the process may not touch

    def content(self, device: int, block: int):
        return self.blocks.get((device, block), ("initial", self.fs.owner(device, block)))

    def handling(self, request: Request, t: Translation) -> str:
        """How this fault is handled: the entry's code, the request's, or the policy."""
        return faults.choose(t.handling, request.on_fault, self.policy)

    def _check(self, request: Request) -> tuple[Translation, bool]:
        t = self.unit.translate(request)
        if (not t.ok and self.handling(request, t) == faults.REMAP
                and self.kernel.remap(request)):
            return self.unit.translate(request), True
        return t, False

    def submit(self, io: Request, buffer: Request | None = None, data=None) -> IOResult:
        """The device-side flow of one I/O: check ``io`` (FT=1), then ``buffer`` (FT=0)."""
        if io.ft != 1:   # a forged FT bit: the address is looked up as memory, not blocks
            t = self.unit.translate(io)
            if not t.ok:
                return self._done(io, IOResult(False, fault=t.fault, stage="device_address"))
            # a memory translation never names a block: the device has nothing to move
            return self._done(io, IOResult(False, fault="not_a_block_address",
                                           stage="device_address"))
        t, retried = self._check(io)
        if not t.ok:
            if (self.handling(io, t) == faults.KERNEL
                    and self.kernel.permits(io) is not None):
                return self._transfer(io, None, data, "kernel", retried)
            return self._done(io, IOResult(False, fault=t.fault, stage="device_address",
                                           retried=retried))
        if buffer is not None:
            if buffer.pasid != io.pasid or buffer.device != io.device or buffer.ft != 0:
                return self._done(io, IOResult(False, fault="buffer_mismatch",
                                               stage="memory_address"))
            m = self.unit.translate(buffer)
            if not m.ok:
                return self._done(io, IOResult(False, fault=m.fault, stage="memory_address"))
        return self._transfer(io, t, data, "siommu", retried)

    def _transfer(self, io: Request, t: Translation | None, data, by: str,
                  retried: bool) -> IOResult:
        if t is None:   # the kernel path looks the block up itself
            of, index = self.kernel.permits(io)
            device, block = self.fs.file(of.path).block(index)
        else:
            device, block = io.device, t.physical_page
        if io.write:
            self.blocks[(device, block)] = data
            result = IOResult(True, by, physical_block=block, retried=retried)
        else:
            result = IOResult(True, by, physical_block=block, data=self.content(device, block),
                              retried=retried)
        return self._done(io, result, owner=self.fs.owner(device, block))

    def _done(self, io: Request, result: IOResult, owner: str | None = None) -> IOResult:
        allowed = self.kernel.writable(io.pasid) if io.write else self.kernel.readable(io.pasid)
        violation = result.ok and owner not in allowed
        self.violations += violation
        self.log.append({"pasid": io.pasid, "op": "write" if io.write else "read",
                         "ok": result.ok, "fault": result.fault, "served_by": result.served_by,
                         "owner": owner, "violation": violation})
        return result

    # -- what the user library does ----------------------------------------------------------
    def read(self, pasid: int, fd: int, offset: int, buffer: int | None = None) -> IOResult:
        device, address = self.kernel.address(pasid, fd, offset)
        buf = None if buffer is None else Request(0, pasid, device, buffer, write=True)
        return self.submit(Request(1, pasid, device, address, write=False), buf)

    def write(self, pasid: int, fd: int, offset: int, data, buffer: int | None = None) -> IOResult:
        device, address = self.kernel.address(pasid, fd, offset)
        buf = None if buffer is None else Request(0, pasid, device, buffer, write=False)
        return self.submit(Request(1, pasid, device, address, write=True), buf, data)
