"""I/O devices with internal addressed sources of data: the SSD and a network card.

The patent's claim 1 is about "an I/O device having I/O device addresses"; claim 2 makes
it an SSD of blocks, and the description generalises to "I/O devices addressed as such
and having internal addressed sources of data, for example, a network card having
addressed ports". One class does the device side of claim 1 for any such device: the
processor's command names a (virtual) I/O-device address and a (virtual) buffer; the
device (a) presents the address to the SIOMMU, which (b) matches it in table 34a in main
memory and (c) returns the permission data (the physical address); the device then (d)
presents the buffer address, which the SIOMMU (e) matches in table 34b and (f) answers;
only with both does the device move data between its source and main memory (DMA).

A command runs in two halves, :meth:`AddressedDevice.begin` (steps a-f) and
:meth:`AddressedDevice.finish` (the transfer), so tests can put an OS action between
them (a close while the request is in flight). The device keeps the translations of its
in-flight commands and honours the SIOMMU's invalidations (as a PCIe device honours an
ATS invalidation): a command whose translation was invalidated before its transfer is
aborted with the fault ``invalidated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labkit.lab.errors import InputError
from labkit.siommu import buses as bus_mod
from labkit.siommu.faults import check_handling
from labkit.siommu.memory import SolidStateMemory
from labkit.siommu.request import MAX_PASID, PAGE_SHIFT, PROCESSOR, Request, Translation

COMMAND_BYTES = 64          # an NVMe submission-queue entry
ENTRY_BYTES = 8             # one page-table entry read by a walk
INVALIDATED = "invalidated"


@dataclass(frozen=True)
class Command:
    """What the processor writes to a device over the I/O bus: move one unit between the
    device source at ``address`` and the buffer at virtual ``buffer`` of ``pasid``
    (``write``: memory to device). ``on_fault`` is the library's fault code."""

    pasid: int
    address: int
    buffer: int
    write: bool = False
    on_fault: str | None = None

    def __post_init__(self):
        for name in ("pasid", "address", "buffer"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"command field {name!r} must be a non-negative integer, "
                                 f"got {value!r}")
        if self.pasid > MAX_PASID:
            raise InputError(f"command field 'pasid'={self.pasid} is above {MAX_PASID}")
        if not isinstance(self.write, bool):
            raise InputError(f"command field 'write' must be True or False, got {self.write!r}")
        check_handling(self.on_fault, "command field 'on_fault'")

    def requests(self, device: int) -> tuple[Request, Request]:
        """The two requests of claim 1: (a) the device address, (d) the memory address.
        A device write reads memory; a device read writes memory."""
        return (Request(1, self.pasid, device, self.address, self.write, self.on_fault),
                Request(0, self.pasid, device, self.buffer, not self.write, self.on_fault))


@dataclass
class InFlight:
    """A command between its checks (steps a-f) and its transfer."""

    command: Command
    steps: list = field(default_factory=list)
    device_translation: Translation | None = None
    memory_translation: Translation | None = None
    aborted: bool = False

    @property
    def ok(self) -> bool:
        return (self.device_translation is not None and self.device_translation.ok
                and self.memory_translation is not None and self.memory_translation.ok)


@dataclass(frozen=True)
class Outcome:
    """What one command did: the data moved (or the fault and the stage that stopped it)."""

    ok: bool
    steps: tuple = ()
    fault: str | None = None
    stage: str | None = None          # "device_address", "memory_address" or "transfer"
    source: int | None = None         # the physical unit of the device
    frame: int | None = None          # the physical frame of main memory
    served_by: str | None = None      # "siommu" or "kernel"
    retried: bool = False
    handling: str | None = None       # the fault code that decided (None: no fault)


class AddressedDevice:
    """A device whose data lives in ``units`` addressed sources (blocks, ports)."""

    kind = "device"
    volatile = False

    def __init__(self, device_id: int, units: int):
        if isinstance(device_id, bool) or not isinstance(device_id, int) or \
                not 0 <= device_id < PROCESSOR:
            raise InputError(f"device id must be an integer in 0..{PROCESSOR - 1}, "
                             f"got {device_id!r}")
        self.id = device_id
        self.media = SolidStateMemory(f"{self.kind} {device_id}", units, volatile=self.volatile)
        self.in_flight: list[InFlight] = []

    def begin(self, command: Command, unit, buses: dict) -> InFlight:
        """Steps (a)-(f): both permissions from the SIOMMU, charged on the buses."""
        io, mem = buses[bus_mod.IO], buses[bus_mod.MEMORY]
        flight = InFlight(command)
        first, second = command.requests(self.id)
        for request, (ask, walk, answer), table in (
                (first, ("a", "b", "c"), "34a"), (second, ("d", "e", "f"), "34b")):
            io.charge(self.kind, f"({ask}) translation request, ({answer}) permission data")
            t = unit.translate(request)
            mem.charge("siommu", f"({walk}) walk of table {table}", ENTRY_BYTES, t.levels)
            flight.steps += [ask, walk, answer]
            if request.ft == 1:
                flight.device_translation = t
            else:
                flight.memory_translation = t
            if not t.ok:
                break
        if flight.ok:
            self.in_flight.append(flight)
        return flight

    def invalidated(self, ft, pasid, pages) -> None:
        """The SIOMMU dropped translations: abort in-flight commands that use them."""
        pages = None if pages is None else set(pages)
        for flight in self.in_flight:
            for t_ft, request in zip((1, 0), flight.command.requests(self.id)):
                if ((ft is None or ft == t_ft) and (pasid is None or pasid == request.pasid)
                        and (pages is None or request.page in pages)):
                    flight.aborted = True

    def finish(self, flight: InFlight, memory: SolidStateMemory, buses: dict) -> Outcome:
        """The transfer between source and main memory, if the checks passed."""
        if flight.device_translation is None or not flight.device_translation.ok:
            t = flight.device_translation
            return Outcome(False, tuple(flight.steps), t.fault, "device_address")
        if not flight.memory_translation.ok:
            return Outcome(False, tuple(flight.steps), flight.memory_translation.fault,
                           "memory_address")
        self.in_flight.remove(flight)
        if flight.aborted:
            return Outcome(False, tuple(flight.steps), INVALIDATED, "transfer")
        source = flight.device_translation.physical >> PAGE_SHIFT
        frame = flight.memory_translation.physical >> PAGE_SHIFT
        self.dma(source, frame, flight.command.write, memory, buses)
        return Outcome(True, tuple(flight.steps) + ("transfer",), source=source, frame=frame,
                       served_by="siommu")

    def dma(self, source: int, frame: int, write: bool, memory, buses: dict) -> None:
        """Move one unit between source ``source`` and memory frame ``frame``."""
        size = self.media.unit_size
        buses[bus_mod.IO].charge(self.kind, "DMA data", size)
        buses[bus_mod.MEMORY].charge(self.kind, "DMA via the memory controller", size)
        if write:
            self.media.write(source, memory.read(frame))
        else:
            memory.write(frame, self.media.read(source))

    def power_cycle(self) -> None:
        self.in_flight.clear()
        self.media.power_cycle()


class SSD(AddressedDevice):
    """A solid-state drive: nonvolatile blocks addressed by block number (claims 2, 10)."""

    kind = "ssd"
    volatile = False


class NetworkCard(AddressedDevice):
    """A network card: addressed ports, each holding the last packet received or queued to
    send (volatile buffers); the same SIOMMU checks which process may use which port."""

    kind = "nic"
    volatile = True

    def deliver(self, port: int, packet: bytes) -> None:
        """A packet arrives from the network at ``port``."""
        self.media.write(port, packet)

    def sent(self, port: int) -> bytes:
        """The packet the card holds for sending on ``port``."""
        return self.media.read(port)
