"""Claims 1-16 of US 12,189,966 B2, limitation by limitation, checked on the model.

Each claim is a list of limitations; each limitation names the model element that
realises it and a check that runs that element on a fresh
:class:`~labkit.siommu.architecture.Computer` and returns whether it behaves as the
limitation says, including the negative side (what lacks the element must not move
data). A dependent claim carries its parent's limitations too. :func:`check_claim` gives
the tidy table the notebook shows: ``claim, from_claim, limitation, element, holds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from labkit.lab.errors import InputError
from labkit.siommu.architecture import Computer, block_bytes
from labkit.siommu.device import Command
from labkit.siommu.pagetable import Entry
from labkit.siommu.request import NO_ENTRY, PAGE_SIZE, PERMISSION_DENIED, Request
from labkit.siommu.unit import SIOMMU

BUF, OTHER_BUF = 0x40000, 0x80000
SSD, SSD2, NIC = 0, 1, 7


@dataclass(frozen=True)
class Limitation:
    text: str
    element: str
    check: Callable[[], bool]


class _Scenario:
    """Two SSDs and a NIC; a read-write ``db`` and a read-only ``log``; PASID 1 has ``db``
    open with a buffer; every request the SIOMMU sees is recorded."""

    def __init__(self, **options):
        c = self.c = Computer({SSD: 1024, SSD2: 1024}, {NIC: 8}, **options)
        c.create_file("db", [(SSD, 300, 8)], writable=True)
        c.create_file("log", [(SSD2, 10, 2), (SSD, 600, 2)], writable=False)
        self.fd = c.kernel.open(1, "db", "rw")
        self.frames = c.buffer(1, SSD, BUF)
        self.seen: list[Request] = []
        translate = c.unit.translate

        def spy(request):
            self.seen.append(request)
            return translate(request)
        c.unit.translate = spy

    def address(self, index: int = 0, pasid: int = 1, fd: int | None = None) -> int:
        """The virtual address of block ``index`` of an open file (past its end too)."""
        base = self.c.kernel.handle(pasid, self.fd if fd is None else fd).base
        return (base + index) << 12

    def read(self, index: int = 0, buffer: int = BUF, pasid: int = 1):
        self.seen.clear()
        return self.c.submit(SSD, Command(pasid, self.address(index), buffer))


# -- claim 1 / 11 / 15: steps (a)-(f) ------------------------------------------------------
def _step_a() -> bool:
    s = _Scenario()
    out = s.read(3)
    first = s.seen[0]
    return (out.steps[0] == "a" and (first.ft, first.device, first.address) == (1, SSD, s.address(3))
            and s.c.charges().query("bus == 'io' and who == 'processor'").shape[0] == 1)


def _step_b() -> bool:
    s = _Scenario()
    walked = s.read(3)
    walks = s.c.charges().query("what == '(b) walk of table 34a'").transactions.sum()
    missing = s.read(3 + 100)
    return (s.c.memory.holds(s.c.unit.io_table) and walks == 4 and walked.source == 303
            and missing.fault == NO_ENTRY)


def _step_c() -> bool:
    s = _Scenario()
    good = s.c.devices[SSD].begin(Command(1, s.address(3), BUF), s.c.unit, s.c.buses)
    s.c.memory.write(s.frames[0], b"")
    bad = s.read(100)
    return (good.device_translation.physical == 303 * PAGE_SIZE and bad.steps == ("a", "b", "c")
            and s.c.memory.read(s.frames[0]) == bytes(PAGE_SIZE))


def _step_d() -> bool:
    s = _Scenario()
    s.read(2)
    second = s.seen[1]
    return (second.ft, second.device, second.address) == (0, SSD, BUF)


def _step_e() -> bool:
    s = _Scenario()
    s.read(2)
    walks = s.c.charges().query("what == '(e) walk of table 34b'").transactions.sum()
    stray = s.read(2, buffer=OTHER_BUF)
    return (s.c.memory.holds(s.c.unit.mem_table) and walks == 4
            and (stray.ok, stray.stage) == (False, "memory_address"))


def _step_f() -> bool:
    s = _Scenario()
    out = s.read(2)
    return (out.steps[5:] == ("f", "transfer") and out.frame == s.frames[0]
            and s.c.memory.read(s.frames[0]) == block_bytes("db", 2))


def _network_card() -> bool:
    s = _Scenario()
    c = s.c
    port = c.grant_port(1, NIC, port=3)
    frames = c.buffer(1, NIC, OTHER_BUF)
    c.devices[NIC].deliver(3, b"packet")
    got = c.submit(NIC, Command(1, port, OTHER_BUF))
    c.buffer(2, NIC, BUF)
    stolen = c.submit(NIC, Command(2, port, BUF))
    return (got.ok and got.steps[:6] == ("a", "b", "c", "d", "e", "f")
            and c.memory.read(frames[0]).rstrip(b"\0") == b"packet" and stolen.fault == NO_ENTRY)


def _preamble() -> bool:
    s = _Scenario()
    c = s.c
    stored = c.store(1, BUF, b"at a memory address")
    loaded = c.load(1, BUF).rstrip(b"\0") == b"at a memory address"
    units = {d.kind: d.media.units for d in c.devices.values()}
    return stored and loaded and units == {"ssd": 1024, "nic": 8} and s.read(0).source == 300


def _architecture() -> bool:
    s = _Scenario(policy="kernel")
    c = s.c
    fd = c.kernel.open(2, "db", "r", populate=False)          # the OS's own file-system path
    c.buffer(2, SSD, BUF)
    by_os, data = c.read(2, fd, 4 * PAGE_SIZE, BUF)
    held = all(c.memory.holds(t) for t in (c.unit.io_table, c.unit.mem_table, c.unit.cpu_table))
    return by_os.served_by == "kernel" and data == block_bytes("db", 4) and held


def _method_order() -> bool:
    s = _Scenario()
    dev = s.c.devices[SSD]
    denied = dev.begin(Command(1, s.address(100), BUF), s.c.unit, s.c.buses)
    no_buffer = dev.begin(Command(1, s.address(0), OTHER_BUF), s.c.unit, s.c.buses)
    ok = s.read(0)
    return (denied.steps == ["a", "b", "c"] and no_buffer.steps == list("abcdef")
            and not no_buffer.ok and ok.steps == tuple("abcdef") + ("transfer",)
            and dev.in_flight == [])


# -- dependent limitations -------------------------------------------------------------------
def _ssd_blocks() -> bool:
    s = _Scenario()
    fine = []
    for index in range(8):
        out = s.read(index)
        fine.append(out.source == 300 + index
                    and s.c.memory.read(s.frames[0]) == block_bytes("db", index))
    t = s.c.unit.translate(Request(1, 1, SSD, s.address(5) + 17))
    return all(fine) and t.physical == 305 * PAGE_SIZE + 17 and s.c.devices[SSD].kind == "ssd"


def _virtual_block() -> bool:
    s = _Scenario()
    fd2 = s.c.kernel.open(2, "db", "r")
    s.c.buffer(2, SSD, BUF)
    one, two = s.read(2), s.c.submit(SSD, Command(2, s.address(2, 2, fd2), BUF))
    return (one.source == two.source == 302 != s.address(2) >> 12
            and s.address(2) != s.address(2, 2, fd2)
            and s.c.load(2, BUF) == s.c.devices[SSD].media.read(302))


def _virtual_block_two_ssds() -> bool:
    s = _Scenario()
    c = s.c
    fd = c.kernel.open(1, "log", "r")
    c.buffer(1, SSD2, OTHER_BUF)
    good = []
    for index, (device, block) in enumerate([(SSD2, 10), (SSD2, 11), (SSD, 600), (SSD, 601)]):
        dev, address = c.kernel.address(1, fd, index * PAGE_SIZE)
        out = c.submit(dev, Command(1, address, OTHER_BUF if dev == SSD2 else BUF))
        good.append((dev, out.source) == (device, block) and out.source != address >> 12)
    return all(good)


def _application_id() -> bool:
    s = _Scenario()
    fd2 = s.c.kernel.open(2, "db", "r")
    s.c.buffer(2, SSD, BUF)
    c = s.c
    return (c.submit(SSD, Command(1, s.address(0), BUF, write=True)).ok
            and c.submit(SSD, Command(2, s.address(0, 2, fd2), BUF)).ok
            and c.submit(SSD, Command(2, s.address(0, 2, fd2), BUF, write=True)).fault
            == PERMISSION_DENIED
            and c.submit(SSD, Command(2, s.address(0), BUF)).fault == NO_ENTRY)


def _existence() -> bool:
    unit = SIOMMU(permission="existence")
    unit.io_table.map(1, 9, Entry(111, 0, read=False, write=False))
    granted = all(unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE, w)).ok for w in (False, True))
    unit.io_table.unmap(1, 9)
    unit.invalidate()
    s = _Scenario(permission="existence")
    s.c.kernel.open(1, "log", "r")                            # read-only: no entry can say so
    return (granted and unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).fault == NO_ENTRY
            and len(s.c.unit.io_table) == 8 and s.read(1).ok)


def _field() -> bool:
    unit = SIOMMU(permission="field")
    unit.io_table.map(1, 9, Entry(111, 0, read=True, write=False))
    s = _Scenario()
    fd = s.c.kernel.open(1, "log", "rw")
    s.c.buffer(1, SSD2, OTHER_BUF)
    return (unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).ok
            and unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE, True)).fault == PERMISSION_DENIED
            and s.c.write(1, fd, 0, b"x", OTHER_BUF).fault == PERMISSION_DENIED
            and s.c.devices[SSD2].media.read(10) == block_bytes("log", 0))


def _cache() -> bool:
    s = _Scenario()
    walks = lambda: s.c.charges().query("what == '(b) walk of table 34a'").transactions.sum()
    s.read(0)
    cold = walks()
    s.c.unit.io_table.map(1, s.address(0) >> 12, Entry(307, SSD, write=True))
    from_cache = s.read(0)
    warm = walks()
    s.c.unit.invalidate(ft=1, pasid=1)
    from_table = s.read(0)
    return (cold == 4 and warm == 4 and from_cache.source == 300 and from_table.source == 307
            and walks() == 8)


def _virtual_memory() -> bool:
    s = _Scenario()
    frames = s.c.buffer(1, SSD, OTHER_BUF, pages=2)
    out = s.read(1, buffer=OTHER_BUF + PAGE_SIZE)
    return (out.frame == frames[1] != (OTHER_BUF >> 12) + 1
            and s.c.memory.read(frames[1]) == block_bytes("db", 1)
            and s.read(1, buffer=OTHER_BUF + 2 * PAGE_SIZE).fault == NO_ENTRY)


def _ft_bit() -> bool:
    unit = SIOMMU()
    unit.io_table.map(1, 9, Entry(111, 0))
    unit.mem_table.map(1, 9, Entry(222, 0, write=True))
    s = _Scenario()
    s.read(0)
    return (unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).physical_page == 111
            and unit.translate(Request(0, 1, 0, 9 * PAGE_SIZE)).physical_page == 222
            and [r.ft for r in s.seen] == [1, 0]
            and s.c.unit.translate(Request(0, 1, SSD, s.address(0))).fault == NO_ENTRY)


def _volatility() -> bool:
    s = _Scenario()
    c = s.c
    c.store(1, BUF, b"durable")
    c.submit(SSD, Command(1, s.address(1), BUF, write=True))
    c.power_cycle(SSD)
    kept = s.read(1).ok and c.load(1, BUF).rstrip(b"\0") == b"durable"
    address = s.address(1)
    c.power_cycle("memory")
    lost = (c.memory.read(s.frames[0]) == bytes(PAGE_SIZE) and len(c.unit.io_table) == 0
            and c.submit(SSD, Command(1, address, BUF)).fault == NO_ENTRY)
    fd = c.kernel.open(1, "db", "r")
    c.buffer(1, SSD, BUF)
    after = c.read(1, fd, PAGE_SIZE, BUF)[1]
    return kept and lost and after.rstrip(b"\0") == b"durable"


def _buses() -> bool:
    s = _Scenario()
    s.c.load(1, BUF)                                          # the processor and memory
    only_memory = set(s.c.charges().bus) == {"memory"}
    s.read(0)
    ledger = s.c.charges()
    ssd_rows = ledger[ledger.who == "ssd"]
    io_bus = s.c.buses["io"]
    command = io_bus.cost_us(64)
    return (only_memory and set(ledger[ledger.what == "command"].bus) == {"io"}
            and ledger[(ledger.bus == "io") & (ledger.who == "processor")].us.sum() == command
            and set(ssd_rows.bus) == {"io", "memory"} and s.c.bus_totals()["io"] > command)


def _processor_mmu() -> bool:
    s = _Scenario()
    c = s.c
    frames = c.buffer(1, SSD, OTHER_BUF, pages=2)
    stored = c.store(1, OTHER_BUF + PAGE_SIZE, b"cpu")
    t = c.unit.translate_processor(1, OTHER_BUF + PAGE_SIZE + 12)
    c.kernel.map_buffer(1, SSD, 0xC0000, 1)                   # a device-only mapping
    return (stored and c.memory.read(frames[1]).rstrip(b"\0") == b"cpu"
            and t.physical == frames[1] * PAGE_SIZE + 12
            and "walk of table 23" in set(c.charges().what)
            and c.load(2, OTHER_BUF) is None and c.load(1, 0xC0000) is None)


# -- the claims ------------------------------------------------------------------------------
_STEPS = [
    Limitation("(a) receive from the I/O device an I/O device address the processor sent it",
               "Computer.submit (processor -> device over the I/O bus), AddressedDevice.begin "
               "step a (device -> SIOMMU, FT=1 request)", _step_a),
    Limitation("(b) match it in a data structure held in main memory to permission data",
               "PageTable 34a, held by main memory (SolidStateMemory.hold), walked through "
               "SIOMMU._decide", _step_b),
    Limitation("(c) output the permission data to the I/O device",
               "Translation (physical block or fault) returned to the device; a fault stops "
               "the command", _step_c),
    Limitation("(d) receive from the I/O device a memory address for the transfer",
               "AddressedDevice.begin step d (FT=0 request for the buffer)", _step_d),
    Limitation("(e) match it in a second data structure in main memory",
               "PageTable 34b, held by main memory", _step_e),
    Limitation("(f) output the second permission data to the I/O device",
               "Translation (physical frame) returned; AddressedDevice.finish DMAs only "
               "with both", _step_f),
]
_NIC = Limitation("the I/O device may be one with other addressed sources: a network card "
                  "with addressed ports, through the same unit",
                  "device.NetworkCard, Computer.grant_port", _network_card)
_VIRTUAL_BLOCK = Limitation(
    "the device address is virtual; the data structure gives a different, linked physical "
    "block of the SSD", "Kernel.open maps fresh virtual blocks to the file's extents "
    "(Entry.physical); SSD.media holds the bytes", _virtual_block)

CLAIMS: dict[int, tuple[int | None, list[Limitation]]] = {
    1: (None, [Limitation("a processor with main memory (memory addresses) and an I/O device "
                          "(I/O device addresses)", "Computer.load / store over the memory "
                          "bus; devices of addressed units (SSD blocks, NIC ports)", _preamble),
               *_STEPS, _NIC]),
    2: (1, [Limitation("the I/O device is an SSD holding blocks; addresses are block addresses",
                       "device.SSD (media of 4 KB blocks), Request.page", _ssd_blocks)]),
    3: (2, [_VIRTUAL_BLOCK]),
    4: (2, [Limitation("the match also uses an application identifier (PASID) linked to the "
                       "permission", "Request.pasid, one radix tree per PASID, TLB tag",
                       _application_id)]),
    5: (1, [Limitation("the permission data is the existence of a matching entry",
                       "SIOMMU(permission='existence'), permission.grants", _existence)]),
    6: (1, [Limitation("the permission data is a field in an existing entry",
                       "SIOMMU(permission='field'), Entry.read / Entry.write", _field)]),
    7: (1, [Limitation("a cache of portions of the data structure answers on a match, the "
                       "table in main memory otherwise", "tlb.TLB 50a/50b, SIOMMU._decide",
                       _cache)]),
    8: (1, [Limitation("the memory address is virtual; the second data structure gives a "
                       "different, linked physical address of main memory",
                       "Kernel.map_buffer (table 34b frames), the DMA target", _virtual_memory)]),
    9: (1, [Limitation("a file-transfer (FT) bit in the request selects the data structure "
                       "reviewed", "Request.ft, SIOMMU.table", _ft_bit)]),
    10: (1, [Limitation("main memory is RAM, the SSD nonvolatile solid-state memory",
                        "memory.SolidStateMemory(volatile=...), Computer.power_cycle",
                        _volatility)]),
    11: (None, [Limitation("processors, main memory holding the OS and the application, an "
                           "SSD the OS reaches through a file system", "Computer, Kernel, "
                           "FileSystem, the kernel fault path", _architecture), *_STEPS]),
    12: (11, [Limitation("memory over a memory bus, the SSD over a separate I/O bus",
                         "buses.Bus memory / io, charged per transaction", _buses)]),
    13: (11, [Limitation("the unit converts the processors' virtual addresses from the memory "
                         "bus to physical addresses of main memory",
                         "SIOMMU.translate_processor, page table 23, Computer.load/store",
                         _processor_mmu)]),
    14: (11, [Limitation(_VIRTUAL_BLOCK.text, "Kernel.open over extents on two SSDs",
                         _virtual_block_two_ssds)]),
    15: (None, [Limitation("a method: the steps in order, each only after the one before "
                           "allowed it", "AddressedDevice.begin / finish", _method_order),
                *_STEPS]),
    16: (15, [_VIRTUAL_BLOCK]),
}


def check_number(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n not in CLAIMS:
        raise InputError(f"claim must be an integer in 1..{len(CLAIMS)}, got {n!r}")
    return n


def limitations(n: int) -> list[tuple[int, Limitation]]:
    """``(claim it comes from, limitation)`` for claim ``n``, its parents' first."""
    parent, own = CLAIMS[check_number(n)]
    inherited = limitations(parent) if parent is not None else []
    return inherited + [(n, lim) for lim in own]


def check_claim(n: int):
    """Run every limitation of claim ``n`` on the model: one row each
    (``claim, from_claim, limitation, element, holds``)."""
    import pandas as pd

    rows = [{"claim": n, "from_claim": origin, "limitation": lim.text, "element": lim.element,
             "holds": bool(lim.check())} for origin, lim in limitations(n)]
    return pd.DataFrame(rows, columns=["claim", "from_claim", "limitation", "element", "holds"])


def check_all(claims=None):
    """:func:`check_claim` for each of ``claims`` (default 1-16), one frame."""
    import pandas as pd

    return pd.concat([check_claim(check_number(n)) for n in (claims or CLAIMS)],
                     ignore_index=True)


def summary(table):
    """One row per claim: ``claim, limitations, holding, holds, failing`` (the texts of
    the limitations that do not hold, ``""`` if none)."""
    import pandas as pd

    rows = []
    for claim, group in table.groupby("claim", sort=True):
        rows.append({"claim": int(claim), "limitations": len(group),
                     "holding": int(group.holds.sum()), "holds": bool(group.holds.all()),
                     "failing": "; ".join(group.limitation[~group.holds])})
    return pd.DataFrame(rows, columns=["claim", "limitations", "holding", "holds", "failing"])


def bus_ledger():
    """Claim 12 made visible: every bus charge of one 4 KB read, cold (every table walked)
    then warm (every translation cached), as tidy rows ``read, bus, who, what, ..., us``."""
    import pandas as pd

    s = _Scenario()
    frames = []
    for label in ("cold", "warm"):
        for bus in s.c.buses.values():
            bus.reset()
        s.c.read(1, s.fd, 0, BUF)
        frames.append(s.c.charges().assign(read=label))
    return pd.concat(frames, ignore_index=True)
