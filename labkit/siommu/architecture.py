"""The computer architecture of claim 11, with bytes, buses and power.

One or more processors; main memory (volatile RAM) holding the operating system, the
application programs and the SIOMMU's page tables; SSDs the OS reaches through a file
system; optionally a network card; the SIOMMU between the devices and memory; a memory
bus and a separate I/O bus (claim 12) that charge every crossing. Unlike
:class:`~labkit.siommu.system.Machine` (a permission-only model whose blocks carry file
tags, fast enough for the adversarial workload), every unit here holds bytes: an SSD
block, a memory frame, a NIC port buffer, so a test can compare the bytes a process
receives with the bytes its file holds.

The processor (the user library) sends a :class:`~labkit.siommu.device.Command` to a
device over the I/O bus; the device runs claim 1's steps (a)-(f) against the SIOMMU and
DMAs; the processor then reads its buffer over the memory bus, its virtual address
translated by the SIOMMU acting as a conventional MMU (claim 13). A fault is handled as
its fault code says (:mod:`~labkit.siommu.faults`).
"""

from __future__ import annotations

from dataclasses import replace

from labkit.lab.errors import InputError
from labkit.siommu import buses as bus_mod
from labkit.siommu import faults
from labkit.siommu.device import Command, NetworkCard, Outcome, SSD
from labkit.siommu.kernel import FileSystem, Kernel
from labkit.siommu.memory import SolidStateMemory
from labkit.siommu.pagetable import Entry
from labkit.siommu.request import PAGE_SHIFT, PAGE_SIZE

MEMORY_FRAMES = 1 << 16


def block_bytes(path: str, index: int) -> bytes:
    """The default content of a file's ``index``-th block: its name and index, repeated."""
    stamp = f"{path}#{index};".encode()
    return (stamp * (PAGE_SIZE // len(stamp) + 1))[:PAGE_SIZE]


class Computer:
    """Claim 11: processors, RAM, SSDs with a file system, a NIC, the SIOMMU, two buses."""

    def __init__(self, ssds: dict[int, int] | None = None, nics: dict[int, int] | None = None,
                 *, policy: str = faults.DENY, memory_frames: int = MEMORY_FRAMES,
                 **unit_options):
        from labkit.siommu.unit import SIOMMU

        faults.check_handling(policy, "fault policy")
        ssds, nics = ssds or {0: 1 << 12}, nics or {}
        if set(ssds) & set(nics):
            raise InputError(f"device ids {sorted(set(ssds) & set(nics))} are both SSD and NIC")
        self.policy = policy
        self.buses = bus_mod.standard()
        self.memory = SolidStateMemory("main memory", memory_frames, volatile=True)
        self.unit = SIOMMU(**unit_options)
        for table in (self.unit.io_table, self.unit.mem_table, self.unit.cpu_table):
            self.memory.hold(table)
        self.devices = {d: SSD(d, n) for d, n in ssds.items()}
        self.devices.update({d: NetworkCard(d, n) for d, n in nics.items()})
        for dev in self.devices.values():
            self.unit.attach(dev)
        self.fs = FileSystem(dict(ssds))      # the file system lives on the SSDs
        self.kernel = Kernel(self.fs, self.unit)

    # -- the OS ------------------------------------------------------------------------------
    def create_file(self, path: str, extents, writable: bool = True, content=None):
        """A file whose blocks hold ``content`` (a list of bytes per block) or, by default,
        :func:`block_bytes`; written to the SSD media directly (at format time)."""
        f = self.fs.create(path, extents, writable)
        for index in range(f.blocks):
            device, block = f.block(index)
            data = block_bytes(path, index) if content is None else content[index]
            self.devices[device].media.write(block, data)
        return f

    def append(self, pasid: int, fd: int, blocks: int, device: int | None = None):
        """Grow the file (:meth:`Kernel.append`); its new blocks read as zeros, never as
        what a file that freed them held (as a file system's unwritten extents do)."""
        extent = self.kernel.append(pasid, fd, blocks, device)
        for block in range(extent.start, extent.end):
            self.devices[extent.device].media.write(block, b"")
        return extent

    def buffer(self, pasid: int, device: int, vaddr: int, pages: int = 1) -> list[int]:
        """A DMA buffer of ``pasid`` at ``vaddr`` that ``device`` may read and write and the
        process may load and store; returns the frames."""
        self.device(device)
        return self.kernel.map_buffer(pasid, device, vaddr, pages, write=True, processor=True)

    def grant_port(self, pasid: int, nic: int, port: int, write: bool = True) -> int:
        """Let ``pasid`` use port ``port`` of network card ``nic``; returns the virtual
        I/O-device address (a fresh virtual port) the process puts in its commands."""
        card = self.device(nic)
        if not isinstance(card, NetworkCard):
            raise InputError(f"device {nic} is not a network card")
        card.media.read(port)          # validates the port number
        base = self.kernel.reserve_region(f"port {port} of NIC {nic}")
        self.unit.io_table.map(pasid, base, Entry(port, nic, read=True, write=write))
        return base << PAGE_SHIFT

    def device(self, device_id: int):
        try:
            return self.devices[device_id]
        except (KeyError, TypeError):
            raise InputError(f"no device {device_id!r} (devices: {sorted(self.devices)})") from None

    # -- the processor -------------------------------------------------------------------------
    def load(self, pasid: int, vaddr: int) -> bytes | None:
        """The processor reads its page at ``vaddr`` over the memory bus; the SIOMMU
        translates the virtual address (claim 13). None when there is no mapping."""
        frame = self._processor_frame(pasid, vaddr, write=False)
        if frame is None:
            return None
        self.buses[bus_mod.MEMORY].charge("processor", "load", PAGE_SIZE)
        return self.memory.read(frame)

    def store(self, pasid: int, vaddr: int, data: bytes) -> bool:
        """The processor writes ``data`` to its page at ``vaddr`` over the memory bus."""
        frame = self._processor_frame(pasid, vaddr, write=True)
        if frame is None:
            return False
        self.buses[bus_mod.MEMORY].charge("processor", "store", PAGE_SIZE)
        self.memory.write(frame, data)
        return True

    def _processor_frame(self, pasid: int, vaddr: int, write: bool) -> int | None:
        t = self.unit.translate_processor(pasid, vaddr, write)
        self.buses[bus_mod.MEMORY].charge("siommu", "walk of table 23", 8, t.levels)
        return t.physical_page if t.ok else None

    def submit(self, device_id: int, command: Command) -> Outcome:
        """The processor rings ``device_id`` with ``command`` over the I/O bus; the device
        checks and transfers; a fault is handled as its fault code says."""
        dev = self.device(device_id)
        self.buses[bus_mod.IO].charge("processor", "command", 64)
        flight = dev.begin(command, self.unit, self.buses)
        outcome = dev.finish(flight, self.memory, self.buses)
        if outcome.ok or outcome.stage != "device_address":
            return outcome
        request = command.requests(dev.id)[0]
        handling = faults.choose(flight.device_translation.handling, command.on_fault,
                                 self.policy)
        if handling == faults.REMAP and self.kernel.remap(request):
            again = dev.finish(dev.begin(command, self.unit, self.buses), self.memory, self.buses)
            return replace(again, retried=True, handling=handling)
        if handling == faults.KERNEL:
            served = self._kernel_path(dev, command, request)
            if served is not None:
                return served
        return replace(outcome, handling=handling)

    def _kernel_path(self, dev, command: Command, request) -> Outcome | None:
        """The OS serves the I/O itself, after its own checks of the file and the buffer."""
        found = self.kernel.permits(request)
        frame = self._processor_frame(command.pasid, command.buffer, write=not command.write)
        if found is None or frame is None:
            return None
        of, index = found
        _, block = self.fs.file(of.path).block(index)
        dev.dma(block, frame, command.write, self.memory, self.buses)
        return Outcome(True, ("kernel",), source=block, frame=frame, served_by="kernel",
                       handling=faults.KERNEL)

    # -- what the user library does --------------------------------------------------------------
    def read(self, pasid: int, fd: int, offset: int, buffer: int, on_fault=None):
        """Read the file block at ``offset`` into ``buffer``; ``(outcome, bytes or None)``."""
        device, address = self.kernel.address(pasid, fd, offset)
        outcome = self.submit(device, Command(pasid, address, buffer, False, on_fault))
        return outcome, (self.load(pasid, buffer) if outcome.ok else None)

    def write(self, pasid: int, fd: int, offset: int, data: bytes, buffer: int,
              on_fault=None) -> Outcome:
        """Write ``data`` (one block) through ``buffer`` to the file block at ``offset``."""
        device, address = self.kernel.address(pasid, fd, offset)
        if not self.store(pasid, buffer, data):
            raise InputError(f"PASID {pasid} has no buffer at {buffer:#x}")
        return self.submit(device, Command(pasid, address, buffer, True, on_fault))

    # -- power --------------------------------------------------------------------------------
    def power_cycle(self, what) -> None:
        """``"memory"``: RAM loses everything, the page tables and the OS's state with it
        (the machine restarts: the SIOMMU's TLBs are flushed, the OS boots afresh from the
        file system on the SSDs); a device id: that device loses only what is volatile."""
        if what == "memory":
            self.memory.power_cycle()
            self.unit.invalidate()
            self.kernel = Kernel(self.fs, self.unit)
        else:
            self.device(what).power_cycle()

    def charges(self):
        """Every bus charge so far (a tidy DataFrame: bus, who, what, transactions, bytes, us)."""
        return bus_mod.ledger_frame(self.buses)

    def bus_totals(self) -> dict[str, float]:
        return {name: bus.total_us() for name, bus in self.buses.items()}
