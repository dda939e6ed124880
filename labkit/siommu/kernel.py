"""The OS side of the SIOMMU: files made of extents, open / close / append, fault policies.

Like memory-mapping a file, ``open`` gives the process (PASID) a fresh region of virtual
block addresses (never reused, so an address names one open at most) and writes one table-34a leaf per file block, with the file's permissions
intersected with the open mode. ``close`` removes the leaves and invalidates every cached
copy in the SIOMMU's TLBs, so no stale translation survives; ``append`` allocates a new
extent and maps it for every process that has the file open; ``truncate`` unmaps and
invalidates the tail before its blocks are freed; ``exit`` tears down everything a PASID
had, so a PASID given to a new process starts empty. Buffers for DMA are mapped in table
34b, and for the processor in table 23. When the SIOMMU faults, the fault code of the
entry or request, else the machine's policy, decides (:mod:`~labkit.siommu.faults`):
``deny`` (the fault stands), ``kernel`` (the kernel path serves the request if the
process may make it) or ``remap`` (the kernel installs the missing leaf if the process
may have it, and the device retries). Under the ``existence`` permission model (claim 5)
an entry cannot say "read only", so the kernel maps a file only for a read-write open of
a writable file and leaves other opens to the fault path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit.lab.errors import InputError
from labkit.siommu.faults import HANDLINGS, check_handling
from labkit.siommu.pagetable import Entry
from labkit.siommu.permission import EXISTENCE
from labkit.siommu.request import PAGE_SHIFT, PROCESSOR
from labkit.siommu.unit import SIOMMU

POLICIES = HANDLINGS


@dataclass(frozen=True)
class Extent:
    """``length`` physical blocks of ``device`` starting at block ``start``."""

    device: int
    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass
class File:
    path: str
    extents: list[Extent]
    writable: bool = True

    @property
    def blocks(self) -> int:
        return sum(e.length for e in self.extents)

    def block(self, index: int) -> tuple[int, int]:
        """``(device, physical block)`` of the file's ``index``-th block."""
        for e in self.extents:
            if index < e.length:
                return e.device, e.start + index
            index -= e.length
        raise IndexError(index)


class FileSystem:
    """Devices (id -> capacity in blocks) and files made of non-overlapping extents."""

    def __init__(self, devices: dict[int, int]):
        if not devices:
            raise InputError("a file system needs at least one device")
        for dev, cap in devices.items():
            if not isinstance(dev, int) or dev < 0 or not isinstance(cap, int) or cap < 1:
                raise InputError(f"device {dev!r}: capacity must be a positive block count")
        self.devices = dict(devices)
        self.files: dict[str, File] = {}
        self._owner: dict[tuple[int, int], str] = {}   # (device, block) -> path

    def _check_extent(self, e: Extent, path: str) -> None:
        if e.device not in self.devices:
            raise InputError(f"file {path!r}: extent on unknown device {e.device}")
        if e.length < 1 or e.start < 0 or e.end > self.devices[e.device]:
            raise InputError(f"file {path!r}: extent {e} is outside device {e.device} "
                             f"(0..{self.devices[e.device]})")
        for block in range(e.start, e.end):
            if (e.device, block) in self._owner:
                raise InputError(f"file {path!r}: extent {e} overlaps file "
                                 f"{self._owner[(e.device, block)]!r} at block {block}")

    def _claim(self, e: Extent, path: str) -> None:
        for block in range(e.start, e.end):
            self._owner[(e.device, block)] = path

    def create(self, path: str, extents, writable: bool = True) -> File:
        """A file from ``extents`` (Extent or ``(device, start, length)`` tuples)."""
        if not isinstance(path, str) or not path:
            raise InputError(f"a file path must be a non-empty string, got {path!r}")
        if path in self.files:
            raise InputError(f"file {path!r} already exists")
        extents = [e if isinstance(e, Extent) else Extent(*e) for e in extents]
        if not extents:
            raise InputError(f"file {path!r} needs at least one extent")
        for i, e in enumerate(extents):
            self._check_extent(e, path)
            for other in extents[:i]:
                if other.device == e.device and other.start < e.end and e.start < other.end:
                    raise InputError(f"file {path!r}: extents {other} and {e} overlap")
        for e in extents:
            self._claim(e, path)
        f = File(path, extents, writable)
        self.files[path] = f
        return f

    def allocate(self, device: int, length: int) -> Extent:
        """The first free run of ``length`` blocks on ``device``."""
        if device not in self.devices:
            raise InputError(f"unknown device {device}")
        run = 0
        for block in range(self.devices[device]):
            run = 0 if (device, block) in self._owner else run + 1
            if run == length:
                return Extent(device, block - length + 1, length)
        raise InputError(f"device {device} has no free run of {length} blocks")

    def shrink(self, path: str, blocks: int) -> list[tuple[int, int]]:
        """Drop the file's last ``blocks`` blocks and free them; return ``(device, block)``
        of each freed block (the caller must have unmapped them first)."""
        f = self.file(path)
        if not isinstance(blocks, int) or not 1 <= blocks < f.blocks:
            raise InputError(f"truncate {path!r}: drop 1..{f.blocks - 1} blocks, got {blocks!r}")
        freed = [f.block(i) for i in range(f.blocks - blocks, f.blocks)]
        keep, left = [], f.blocks - blocks
        for e in f.extents:
            if left > 0:
                keep.append(Extent(e.device, e.start, min(e.length, left)))
                left -= e.length
        f.extents = keep
        for key in freed:
            del self._owner[key]
        return freed

    def extend(self, path: str, extent: Extent) -> None:
        f = self.file(path)
        self._check_extent(extent, path)
        self._claim(extent, path)
        f.extents.append(extent)

    def file(self, path: str) -> File:
        try:
            return self.files[path]
        except KeyError:
            raise InputError(f"no such file {path!r}") from None

    def owner(self, device: int, block: int) -> str | None:
        return self._owner.get((device, block))


@dataclass
class OpenFile:
    fd: int
    pasid: int
    path: str
    base: int          # first virtual block number of the region
    write: bool
    mapped: set = field(default_factory=set)
    on_fault: str | None = None


class Kernel:
    """Builds and tears down the SIOMMU's tables for processes (PASIDs)."""

    def __init__(self, fs: FileSystem, unit: SIOMMU, region_blocks: int = 1 << 16):
        self.fs, self.unit, self.region = fs, unit, region_blocks
        self.open_files: dict[tuple[int, int], OpenFile] = {}
        self._next_fd: dict[int, int] = {}
        self._next_region = 1       # regions are never reused, so no address is ambiguous
        self._next_frame = 1

    # -- files ---------------------------------------------------------------------------
    def reserve_region(self, what: str) -> int:
        """First virtual block of a fresh region (never reused) in table 34a."""
        base = self._next_region * self.region
        if not self.unit.io_table.in_range(base + self.region - 1):
            raise InputError(f"no virtual block range left to map {what}")
        self._next_region += 1
        return base

    def open(self, pasid: int, path: str, mode: str = "r", populate: bool = True,
             on_fault: str | None = None) -> int:
        """Open ``path`` for ``pasid``; map every block unless ``populate=False``;
        ``on_fault`` is the fault code its entries carry (None: the request's)."""
        if mode not in ("r", "rw"):
            raise InputError(f"open mode must be 'r' or 'rw', got {mode!r}")
        check_handling(on_fault, "open fault code")
        f = self.fs.file(path)
        base = self.reserve_region(repr(path))
        fd = self._next_fd.get(pasid, 0)
        self._next_fd[pasid] = fd + 1
        of = OpenFile(fd, pasid, path, base, write=(mode == "rw" and f.writable),
                      on_fault=on_fault)
        self.open_files[(pasid, fd)] = of
        if populate:
            for index in range(f.blocks):
                self._map(of, index)
        return fd

    def _map(self, of: OpenFile, index: int) -> bool:
        """Install the leaf of the file's ``index``-th block; False when the permission
        model cannot express the open's rights (existence model, not read-write)."""
        if self.unit.permission == EXISTENCE and not of.write:
            return False
        device, block = self.fs.file(of.path).block(index)
        self.unit.io_table.map(of.pasid, of.base + index,
                               Entry(block, device, read=True, write=of.write,
                                     on_fault=of.on_fault))
        of.mapped.add(of.base + index)
        return True

    def handle(self, pasid: int, fd: int) -> OpenFile:
        try:
            return self.open_files[(pasid, fd)]
        except KeyError:
            raise InputError(f"PASID {pasid} has no open file descriptor {fd}") from None

    def close(self, pasid: int, fd: int) -> int:
        """Unmap the file and invalidate every cached copy; return leaves removed."""
        of = self.handle(pasid, fd)
        for page in of.mapped:
            self.unit.io_table.unmap(pasid, page)
        self.unit.invalidate(ft=1, pasid=pasid, pages=of.mapped)
        del self.open_files[(pasid, fd)]
        return len(of.mapped)

    def truncate(self, pasid: int, fd: int, blocks: int) -> list[tuple[int, int]]:
        """Shrink the file by ``blocks``: unmap the tail for every process that has it
        open and invalidate their cached copies *before* the blocks are freed (a freed
        block may go to another file at once). Returns the freed ``(device, block)``."""
        of = self.handle(pasid, fd)
        if not of.write:
            raise InputError(f"fd {fd} of PASID {pasid} is read-only: cannot truncate")
        f = self.fs.file(of.path)
        if isinstance(blocks, bool) or not isinstance(blocks, int) or not 1 <= blocks < f.blocks:
            raise InputError(f"truncate {of.path!r}: drop 1..{f.blocks - 1} blocks, got {blocks!r}")
        keep = f.blocks - blocks
        for other in self.open_files.values():
            if other.path == of.path:
                tail = {p for p in other.mapped if p - other.base >= keep}
                for page in tail:
                    self.unit.io_table.unmap(other.pasid, page)
                other.mapped -= tail
                self.unit.invalidate(ft=1, pasid=other.pasid, pages=tail)
        return self.fs.shrink(of.path, blocks)

    def exit(self, pasid: int) -> None:
        """The process ends: close its files, unmap its buffers and memory, drop every
        cached translation of its PASID (which may then be given to another process)."""
        for (owner, fd) in [k for k in self.open_files if k[0] == pasid]:
            self.close(owner, fd)
        for table in (self.unit.mem_table, self.unit.cpu_table):
            for _, page, _ in [e for e in table.entries() if e[0] == pasid]:
                table.unmap(pasid, page)
        self.unit.invalidate(pasid=pasid)
        self._next_fd.pop(pasid, None)

    def append(self, pasid: int, fd: int, blocks: int, device: int | None = None) -> Extent:
        """Grow the file by ``blocks`` and map them for every process that has it open."""
        of = self.handle(pasid, fd)
        if not of.write:
            raise InputError(f"fd {fd} of PASID {pasid} is read-only: cannot append")
        if not isinstance(blocks, int) or blocks < 1:
            raise InputError(f"append needs a positive block count, got {blocks!r}")
        f = self.fs.file(of.path)
        if f.blocks + blocks > self.region:
            raise InputError(f"file {of.path!r} would outgrow its {self.region}-block region")
        device = f.extents[-1].device if device is None else device
        extent = self.fs.allocate(device, blocks)
        old = f.blocks
        self.fs.extend(of.path, extent)
        for other in self.open_files.values():
            if other.path == of.path and other.mapped:
                for index in range(old, f.blocks):
                    self._map(other, index)
        return extent

    def address(self, pasid: int, fd: int, offset: int) -> tuple[int, int]:
        """``(device, virtual byte address)`` the user library puts in a request."""
        of = self.handle(pasid, fd)
        f = self.fs.file(of.path)
        index = offset >> PAGE_SHIFT
        if not 0 <= index < f.blocks:
            raise InputError(f"offset {offset} is outside {of.path!r} ({f.blocks} blocks)")
        return f.block(index)[0], ((of.base + index) << PAGE_SHIFT) | (offset & 0xFFF)

    def resolve(self, pasid: int, page: int):
        """``(open file, block index)`` behind a virtual block of ``pasid``, or None."""
        for of in self.open_files.values():
            if of.pasid == pasid and of.base <= page < of.base + self.region:
                index = page - of.base
                return (of, index) if index < self.fs.file(of.path).blocks else None
        return None

    def readable(self, pasid: int) -> set[str]:
        return {of.path for of in self.open_files.values() if of.pasid == pasid}

    def writable(self, pasid: int) -> set[str]:
        return {of.path for of in self.open_files.values() if of.pasid == pasid and of.write}

    # -- buffers (table 34b) --------------------------------------------------------------
    def map_buffer(self, pasid: int, device: int, vaddr: int, pages: int = 1,
                   write: bool = True, processor: bool = False) -> list[int]:
        """Let ``device`` DMA into ``pages`` of ``pasid``'s memory at ``vaddr`` (table
        34b) and, with ``processor``, let the process itself reach the same frames
        (table 23). Returns the physical frames."""
        frames = []
        for i in range(pages):
            page = (vaddr >> PAGE_SHIFT) + i
            self.unit.mem_table.map(pasid, page,
                                    Entry(self._next_frame, device, read=True, write=write))
            if processor:
                self.unit.cpu_table.map(pasid, page,
                                        Entry(self._next_frame, PROCESSOR, read=True, write=True))
            frames.append(self._next_frame)
            self._next_frame += 1
        return frames

    def unmap_buffer(self, pasid: int, vaddr: int, pages: int = 1) -> None:
        first = vaddr >> PAGE_SHIFT
        for i in range(pages):
            self.unit.mem_table.unmap(pasid, first + i)
            self.unit.cpu_table.unmap(pasid, first + i)
        self.unit.invalidate(ft=0, pasid=pasid, pages=range(first, first + pages))

    # -- faults ---------------------------------------------------------------------------
    def permits(self, request) -> tuple[OpenFile, int] | None:
        """Would the kernel allow this FT=1 request through its own checks?"""
        found = self.resolve(request.pasid, request.page) if request.ft == 1 else None
        if found is None:
            return None
        of, index = found
        device, _ = self.fs.file(of.path).block(index)
        if device != request.device or (request.write and not of.write):
            return None
        return of, index

    def remap(self, request) -> bool:
        """Install the missing leaf behind a fault if the process may have it."""
        found = self.permits(request)
        return found is not None and self._map(*found)
