"""The emulated direct path over a real ext4 image: translate in the model, read real bytes.

:class:`DirectImage` loads an image's files (their real extents, :mod:`labkit.siommu.image`)
into the model's file system; ``open`` has the kernel build the SIOMMU page tables for the
process, as BypassD's open does. A read goes the way the SSD would take it: the user
library turns ``(fd, offset)`` into virtual block addresses, every block is translated by
the SIOMMU unit (TLB, then walk; a missing entry or permission is a fault), and the
translated physical blocks are read from the image file with ``pread`` (O_DIRECT when the
host file system allows it), physically contiguous blocks in one call; the holes of a
sparse file read as zeros, as the kernel's would. A fault raises :class:`Fault`; nothing
is read for a request that faults.
"""

from __future__ import annotations

import mmap
import os
import time
from dataclasses import dataclass, field

from labkit.lab.errors import InputError
from labkit.siommu import image as ext4
from labkit.siommu.kernel import Extent
from labkit.siommu.request import PAGE_SHIFT, PAGE_SIZE, Request
from labkit.siommu.system import Machine

DEVICE = 0


class Fault(Exception):
    """A read the SIOMMU (or the user library's size check) refused; ``code`` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


def open_direct(path) -> tuple[int, bool]:
    """``(fd, o_direct)``: O_DIRECT if the file system takes it, else a buffered fd."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECT), True
    except (OSError, AttributeError):
        return os.open(path, os.O_RDONLY), False


def aligned_pread(fd: int, length: int, offset: int) -> bytes:
    """``pread`` into a page-aligned buffer (what O_DIRECT requires); whole blocks only."""
    buf = mmap.mmap(-1, length)
    try:
        got = os.preadv(fd, [buf], offset)
        return bytes(buf[:got])
    finally:
        buf.close()


@dataclass
class Stages:
    """Nanoseconds spent per stage of the emulated reads since the last reset."""

    userlib: int = 0        # offset -> virtual addresses, size checks
    translate: int = 0      # the SIOMMU model (TLB / walk), per block
    device: int = 0         # pread of the translated blocks from the image
    assemble: int = 0       # slicing the blocks into the caller's bytes
    reads: int = 0

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class _Open:
    path: str
    size: int
    open: bool = True


class DirectImage:
    """An ext4 image served through the SIOMMU model (see the module docstring)."""

    def __init__(self, image_path, *, tlb_entries: int = 64):
        info = ext4.check(image_path)
        self.layouts = {f.path: f for f in ext4.files(image_path)}
        self.image_path = str(image_path)
        self.machine = Machine({DEVICE: info["blocks"]}, entries=tlb_entries)
        for f in self.layouts.values():
            if f.extents:
                self.machine.fs.create(f.path, [Extent(DEVICE, p, n) for _, p, n in f.extents],
                                       writable=False)
        self.fd, self.o_direct = open_direct(self.image_path)
        self.handles: dict[tuple[int, int], _Open] = {}
        self.stages = Stages()

    def close_image(self) -> None:
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close_image()

    # -- the process's view -----------------------------------------------------------------
    def open(self, pasid: int, path: str) -> int:
        """Open ``path`` for ``pasid``: the kernel maps its blocks in the SIOMMU's tables."""
        layout = self.layouts.get(path)
        if layout is None:
            raise InputError(f"no such file {path!r} in {self.image_path!r}")
        if not layout.extents:
            raise InputError(f"file {path!r} is empty: nothing to map")
        fd = self.machine.kernel.open(pasid, path, "r")
        self.handles[(pasid, fd)] = _Open(path, layout.size)
        return fd

    def close(self, pasid: int, fd: int) -> None:
        """Close: the kernel unmaps the blocks and invalidates cached translations."""
        handle = self._handle(pasid, fd)
        self.machine.kernel.close(pasid, fd)
        handle.open = False

    def _handle(self, pasid: int, fd: int) -> _Open:
        handle = self.handles.get((pasid, fd))
        if handle is None or not handle.open:
            raise Fault("not_open", f"PASID {pasid} has no open file descriptor {fd}")
        return handle

    def virtual_address(self, pasid: int, fd: int, offset: int) -> int:
        """The virtual byte address the user library puts in a request for ``offset``."""
        self._handle(pasid, fd)
        return self.machine.kernel.address(pasid, fd, offset)[1]

    def read(self, pasid: int, fd: int, offset: int, length: int) -> bytes:
        """``length`` bytes of the file at ``offset``, through the SIOMMU (Fault if refused).

        The user library maps each logical block to the virtual block the kernel mapped
        for it on open; a hole of a sparse file has none and reads as zeros."""
        t0 = time.perf_counter_ns()
        _check_span(offset, length)
        handle = self._handle(pasid, fd)
        if offset + length > handle.size:
            raise Fault("past_end", f"bytes {offset}..{offset + length} of {handle.path!r} "
                                    f"({handle.size} bytes)")
        layout = self.layouts[handle.path]
        base = self.machine.kernel.address(pasid, fd, 0)[1] >> PAGE_SHIFT
        first, last = offset >> PAGE_SHIFT, (offset + length - 1) >> PAGE_SHIFT
        pages = []
        for logical in range(first, last + 1):
            index = layout.index_of(logical)
            pages.append(None if index is None else base + index)
        self.stages.userlib += time.perf_counter_ns() - t0
        return self._serve(pasid, pages, offset & (PAGE_SIZE - 1), length)

    def read_virtual(self, pasid: int, address: int, length: int) -> bytes:
        """What the SSD does with a request naming virtual byte ``address``: translate each
        block under ``pasid``, then read the physical blocks (a forged address faults)."""
        _check_span(address, length)
        first, last = address >> PAGE_SHIFT, (address + length - 1) >> PAGE_SHIFT
        return self._serve(pasid, list(range(first, last + 1)), address & (PAGE_SIZE - 1), length)

    def _serve(self, pasid: int, pages, skip: int, length: int) -> bytes:
        """Translate every virtual block (None: a hole), then read the physical blocks in
        contiguous runs; nothing is read if any translation faults."""
        t0 = time.perf_counter_ns()
        physical = []
        for page in pages:
            if page is None:
                physical.append(None)
                continue
            t = self.machine.unit.translate(Request(1, pasid, DEVICE, page << PAGE_SHIFT))
            if not t.ok:
                self.stages.translate += time.perf_counter_ns() - t0
                raise Fault(t.fault, f"PASID {pasid}, virtual block {page}")
            physical.append(t.physical_page)
        t1 = time.perf_counter_ns()
        chunks = [bytes(count * PAGE_SIZE) if start is None else self._pread_run(start, count)
                  for start, count in _runs(physical)]
        t2 = time.perf_counter_ns()
        out = b"".join(chunks)[skip:skip + length]
        t3 = time.perf_counter_ns()
        self.stages.translate += t1 - t0
        self.stages.device += t2 - t1
        self.stages.assemble += t3 - t2
        self.stages.reads += 1
        return out

    def _pread_run(self, start: int, count: int) -> bytes:
        size, offset = count * PAGE_SIZE, start * PAGE_SIZE
        if self.o_direct:
            return aligned_pread(self.fd, size, offset)
        return os.pread(self.fd, size, offset)


def _check_span(offset, length) -> None:
    for name, value, low in (("offset", offset, 0), ("length", length, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"read {name} must be an integer >= {low}, got {value!r}")


def _runs(blocks):
    """``(first, count)`` of each run of consecutive block numbers, in order; a run of
    holes (None) is ``(None, count)``."""
    runs = []
    for b in blocks:
        if runs and ((b is None and runs[-1][0] is None) or
                     (b is not None and runs[-1][0] is not None and runs[-1][0] + runs[-1][1] == b)):
            runs[-1][1] += 1
        else:
            runs.append([b, 1])
    return [tuple(r) for r in runs]
