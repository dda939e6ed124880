"""Claims 1-16 of US 12,189,966 B2, one test each, on the byte-level architecture model.

An independent claim's test walks its steps (a)-(f) and checks what each step did; a
dependent claim's test checks the limitation it adds on top of its parent. Every test has
a negative case: the request that lacks the element (no entry, wrong PASID, no buffer,
the other FT bit, ...) must not move a byte. Bytes are compared with what the file's
blocks hold (``block_bytes``), never with what the model reports it moved.
"""

import pytest

from labkit.siommu import buses
from labkit.siommu.architecture import Computer, block_bytes
from labkit.siommu.device import Command
from labkit.siommu.pagetable import Entry
from labkit.siommu.request import (DEVICE_MISMATCH, NO_ENTRY, PAGE_SIZE, PERMISSION_DENIED,
                                   PROCESSOR, Request)
from labkit.siommu.unit import SIOMMU

BUF, OTHER_BUF = 0x40000, 0x80000
STEPS = ("a", "b", "c", "d", "e", "f", "transfer")


def computer(**options):
    c = Computer({0: 1024, 1: 1024}, {7: 8}, **options)
    c.create_file("db", [(0, 300, 8)], writable=True)
    c.create_file("log", [(1, 10, 2), (0, 600, 2)], writable=False)
    return c


def costs(bus, *transactions):
    """Hand-computed cost of ``(count, bytes)`` transactions on the default ``bus``."""
    latency, gbps = {"memory": buses.MEMORY_BUS, "io": buses.IO_BUS}[bus][:2]
    return sum(n * (latency + size / (gbps * 1e3)) for n, size in transactions)


# -- claim 1 (independent): the I/O memory management unit, steps (a)-(f) -----------------
def test_claim_01_ssd():
    c = computer()
    fd = c.kernel.open(1, "db", "rw")
    frames = c.buffer(1, 0, BUF)
    device, address = c.kernel.address(1, fd, 3 * PAGE_SIZE)
    outcome = c.submit(device, Command(1, address, BUF))
    # (a)-(c) the device presented the address and got permission data (block 303) from
    # table 34a, held in main memory; (d)-(f) the buffer's and got the frame from 34b
    assert outcome.ok and outcome.steps == STEPS
    assert c.memory.holds(c.unit.io_table) and c.memory.holds(c.unit.mem_table)
    assert outcome.source == 303 and outcome.frame == frames[0]
    assert c.memory.read(frames[0]) == block_bytes("db", 3)
    # (b)/(c) deny: an address with no entry stops after (c), nothing moves
    c.memory.write(frames[0], b"")
    denied = c.submit(device, Command(1, address + 100 * PAGE_SIZE, BUF))
    assert (denied.ok, denied.steps, denied.fault) == (False, ("a", "b", "c"), NO_ENTRY)
    assert c.memory.read(frames[0]) == bytes(PAGE_SIZE)
    # (e)/(f) deny: the first permission passes, the buffer has no entry: nothing moves
    no_buffer = c.submit(device, Command(1, address, OTHER_BUF))
    assert (no_buffer.ok, no_buffer.stage, no_buffer.steps) == (False, "memory_address", STEPS[:6])
    assert c.memory.read(frames[0]) == bytes(PAGE_SIZE)


def test_claim_01_network_card():
    """The same unit for an I/O device whose addressed sources are ports, not blocks."""
    c = computer()
    nic = c.devices[7]
    port_address = c.grant_port(1, 7, port=3)
    frames = c.buffer(1, 7, BUF)
    nic.deliver(3, b"packet for process 1")
    outcome = c.submit(7, Command(1, port_address, BUF))
    assert outcome.ok and outcome.steps == STEPS and outcome.source == 3
    assert c.memory.read(frames[0]).rstrip(b"\0") == b"packet for process 1"
    c.store(1, BUF, b"reply")
    assert c.submit(7, Command(1, port_address, BUF, write=True)).ok
    assert nic.sent(3).rstrip(b"\0") == b"reply"
    # a process without the port, and a port number never granted, fault at (c)
    c.buffer(2, 7, OTHER_BUF)
    assert c.submit(7, Command(2, port_address, OTHER_BUF)).fault == NO_ENTRY
    assert c.submit(7, Command(1, 4 << 12, BUF)).fault == NO_ENTRY
    assert nic.sent(3).rstrip(b"\0") == b"reply"


# -- claims 2-10 (dependent on claim 1) ----------------------------------------------------
def test_claim_02():
    """The device is an SSD of blocks; I/O-device addresses are block addresses."""
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    frames = c.buffer(1, 0, BUF)
    for index in range(8):
        device, address = c.kernel.address(1, fd, index * PAGE_SIZE + 17)
        t = c.unit.translate(Request(1, 1, device, address))
        assert t.physical == (300 + index) * PAGE_SIZE + 17      # block number, offset kept
        assert c.submit(device, Command(1, address, BUF)).source == 300 + index
        assert c.memory.read(frames[0]) == block_bytes("db", index)
    assert c.devices[0].kind == "ssd" and c.devices[0].media.unit_size == PAGE_SIZE
    # the block after the file's last one is not addressable
    _, last = c.kernel.address(1, fd, 7 * PAGE_SIZE)
    assert c.submit(0, Command(1, last + PAGE_SIZE, BUF)).fault == NO_ENTRY


def test_claim_03():
    """The device address is virtual; the table gives a different, linked physical block
    of the SSD, the one that holds the data."""
    c = computer()
    fd1, fd2 = c.kernel.open(1, "db", "r"), c.kernel.open(2, "db", "r")
    c.buffer(1, 0, BUF)
    c.buffer(2, 0, BUF)
    _, v1 = c.kernel.address(1, fd1, 2 * PAGE_SIZE)
    _, v2 = c.kernel.address(2, fd2, 2 * PAGE_SIZE)
    o1, data1 = c.read(1, fd1, 2 * PAGE_SIZE, BUF)
    o2, data2 = c.read(2, fd2, 2 * PAGE_SIZE, BUF)
    assert v1 >> 12 != o1.source and v1 != v2             # virtual, and not the physical
    assert o1.source == o2.source == 302                  # both linked to the same block
    assert data1 == data2 == c.devices[0].media.read(302) == block_bytes("db", 2)
    c.unit.io_table.map(1, v1 >> 12, Entry(305, 0))       # relink (then invalidate)
    c.unit.invalidate(ft=1, pasid=1)
    assert c.read(1, fd1, 2 * PAGE_SIZE, BUF)[1] == block_bytes("db", 5)


def test_claim_04():
    """The unit matches the address *and* the application identifier (PASID)."""
    c = computer()
    fd1 = c.kernel.open(1, "db", "rw")
    fd2 = c.kernel.open(2, "db", "r")
    for p in (1, 2, 3):
        c.buffer(p, 0, BUF)
    _, a1 = c.kernel.address(1, fd1, 0)
    _, a2 = c.kernel.address(2, fd2, 0)
    assert c.submit(0, Command(1, a1, BUF, write=True)).ok           # (a1, PASID 1): rw
    assert c.submit(0, Command(2, a2, BUF)).ok                       # (a2, PASID 2): r
    assert c.submit(0, Command(2, a2, BUF, write=True)).fault == PERMISSION_DENIED
    assert c.submit(0, Command(2, a1, BUF)).fault == NO_ENTRY        # PASID 1's address
    assert c.submit(0, Command(3, a1, BUF)).fault == NO_ENTRY


def test_claim_05():
    """Permission is the mere existence of a matching entry: its R/W bits are ignored,
    and removing the entry is what denies."""
    exists = SIOMMU(permission="existence")
    exists.io_table.map(1, 9, Entry(111, 0, read=False, write=False))
    for write in (False, True):
        assert exists.translate(Request(1, 1, 0, 9 * PAGE_SIZE, write)).physical_page == 111
    exists.io_table.unmap(1, 9)
    exists.invalidate()
    assert exists.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).fault == NO_ENTRY
    # the OS can express "read only" only by leaving no entry: a read-only open maps none
    c = computer(permission="existence")
    c.kernel.open(1, "log", "r")
    fd = c.kernel.open(1, "db", "rw")
    assert len(c.unit.io_table) == 8
    c.buffer(1, 0, BUF)
    assert c.read(1, fd, 0, BUF)[1] == block_bytes("db", 0)


def test_claim_06():
    """Permission is a field of an existing entry: the entry matches and still denies."""
    field = SIOMMU(permission="field")
    field.io_table.map(1, 9, Entry(111, 0, read=True, write=False))
    assert field.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).physical_page == 111
    denied = field.translate(Request(1, 1, 0, 9 * PAGE_SIZE, write=True))
    assert denied.fault == PERMISSION_DENIED                  # matched, then refused
    field.io_table.map(1, 9, Entry(111, 0, read=True, write=True))
    field.invalidate()
    assert field.translate(Request(1, 1, 0, 9 * PAGE_SIZE, write=True)).ok
    c = computer()
    fd = c.kernel.open(1, "log", "rw")                        # a read-only file
    c.buffer(1, 1, BUF)
    assert len(c.unit.io_table) == 4
    assert c.read(1, fd, 0, BUF)[1] == block_bytes("log", 0)
    assert c.write(1, fd, 0, b"x", BUF).fault == PERMISSION_DENIED
    assert c.devices[1].media.read(10) == block_bytes("log", 0)


def test_claim_07():
    """A cache (the TLB) of portions of the table: a hit answers from the cache without
    touching main memory, a miss answers from the table in main memory."""
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    c.buffer(1, 0, BUF)
    device, address = c.kernel.address(1, fd, 0)
    walks = lambda: sum(r["transactions"] for r in c.buses["memory"].ledger
                        if r["what"].startswith("(b)"))
    first = c.unit.translate(Request(1, 1, device, address))
    assert (first.source, first.levels, walks()) == ("walk", 4, 0)
    c.submit(device, Command(1, address, BUF))
    assert walks() == 0                                       # (b) answered by the cache
    # the cache really answers: a table change it has not been told of is not seen ...
    c.unit.io_table.map(1, address >> 12, Entry(307, 0))
    assert c.submit(device, Command(1, address, BUF)).source == 300 and walks() == 0
    # ... until the copy is dropped: then the table in main memory answers
    c.unit.invalidate(ft=1, pasid=1)
    assert c.submit(device, Command(1, address, BUF)).source == 307 and walks() == 4


def test_claim_08():
    """The memory address is virtual; the second table gives a different physical
    address of main memory, where the data lands."""
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    frames = c.buffer(1, 0, BUF, pages=2)
    outcome = c.read(1, fd, 0, BUF + PAGE_SIZE + 5)[0]
    assert outcome.frame == frames[1] != (BUF >> 12) + 1
    assert c.memory.read(frames[1]) == block_bytes("db", 0)
    assert c.memory.read(frames[0]) == bytes(PAGE_SIZE)
    assert c.read(1, fd, 0, BUF + 2 * PAGE_SIZE)[0].fault == NO_ENTRY


def test_claim_09():
    """The FT bit says whether the address is an I/O-device or a memory address, and
    selects the table reviewed."""
    unit = SIOMMU()
    unit.io_table.map(1, 9, Entry(111, 0))
    unit.mem_table.map(1, 9, Entry(222, 0, write=True))
    assert unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).physical_page == 111
    assert unit.translate(Request(0, 1, 0, 9 * PAGE_SIZE)).physical_page == 222
    unit.mem_table.unmap(1, 9)
    unit.invalidate()
    assert unit.translate(Request(0, 1, 0, 9 * PAGE_SIZE)).fault == NO_ENTRY
    assert unit.translate(Request(1, 1, 0, 9 * PAGE_SIZE)).physical_page == 111
    # a block address presented with FT=0 is looked up as memory: no block is reached
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    _, address = c.kernel.address(1, fd, 0)
    assert c.unit.translate(Request(0, 1, 0, address)).fault == NO_ENTRY


def test_claim_10():
    """Main memory is RAM (a power cycle loses it, the page tables with it); the SSD is
    nonvolatile (a power cycle keeps every block)."""
    c = computer()
    fd = c.kernel.open(1, "db", "rw")
    frames = c.buffer(1, 0, BUF)
    assert c.write(1, fd, PAGE_SIZE, b"durable", BUF).ok
    c.power_cycle(0)                                          # the SSD
    assert c.read(1, fd, PAGE_SIZE, BUF)[1].rstrip(b"\0") == b"durable"
    _, address = c.kernel.address(1, fd, PAGE_SIZE)
    c.power_cycle("memory")                                   # the RAM
    assert c.memory.read(frames[0]) == bytes(PAGE_SIZE)
    assert len(c.unit.io_table) == len(c.unit.mem_table) == len(c.unit.cpu_table) == 0
    assert c.submit(0, Command(1, address, BUF)).fault == NO_ENTRY
    fd = c.kernel.open(1, "db", "r")                          # after the reboot
    c.buffer(1, 0, BUF)
    assert c.read(1, fd, PAGE_SIZE, BUF)[1].rstrip(b"\0") == b"durable"
    assert c.read(1, fd, 0, BUF)[1] == block_bytes("db", 0)
    assert c.memory.volatile and not c.devices[0].media.volatile


# -- claim 11 (independent): the computer architecture, and its dependents 12-14 -----------
def test_claim_11():
    """Processors, RAM holding the OS, the application and the tables, an SSD the OS
    reaches through its file system, and the unit doing (a)-(f)."""
    c = computer(policy="kernel")
    fd = c.kernel.open(1, "db", "r", populate=False)          # the OS path: no entries
    c.buffer(1, 0, BUF)
    by_os, data_os = c.read(1, fd, 4 * PAGE_SIZE, BUF)
    assert by_os.served_by == "kernel" and data_os == block_bytes("db", 4)
    fd = c.kernel.open(1, "db", "r")                          # the unit's path
    by_unit, data_unit = c.read(1, fd, 4 * PAGE_SIZE, BUF)
    _, address = c.kernel.address(1, fd, 4 * PAGE_SIZE)
    assert by_unit.served_by == "siommu" and by_unit.steps == STEPS and data_unit == data_os
    assert all(c.memory.holds(t) for t in (c.unit.io_table, c.unit.mem_table, c.unit.cpu_table))
    c.power_cycle("memory")                                   # the OS lived in RAM too
    assert c.kernel.open_files == {}
    assert c.submit(0, Command(1, address, BUF)).fault == NO_ENTRY


def test_claim_12():
    """Memory over the memory bus, the SSD over a separate I/O bus, each charged."""
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    c.buffer(1, 0, BUF)
    c.read(1, fd, 0, BUF)
    ledger = c.charges()
    by = ledger.groupby(["bus", "who"]).us.sum().to_dict()
    # the processor's command to the SSD crosses the I/O bus only; its loads the memory bus
    assert by[("io", "processor")] == pytest.approx(costs("io", (1, 64)))
    assert ("memory", "processor") in by and set(ledger[ledger.who == "ssd"].bus) == {"io", "memory"}
    assert by[("io", "ssd")] == pytest.approx(costs("io", (2, 0), (1, PAGE_SIZE)))
    # memory bus: walks of 34a, 34b and 23 (4 levels each, cold), the DMA, the load
    assert c.bus_totals()["memory"] == pytest.approx(costs("memory", (12, 8), (2, PAGE_SIZE)))
    before = c.bus_totals()
    c.load(1, BUF)                                            # warm: no walk, no I/O bus
    after = c.bus_totals()
    assert after["io"] == before["io"]
    assert after["memory"] - before["memory"] == pytest.approx(costs("memory", (1, PAGE_SIZE)))


def test_claim_13():
    """The unit converts the processors' virtual addresses, received over the memory
    bus, to physical addresses of main memory (the conventional MMU/IOMMU role)."""
    c = computer()
    frames = c.buffer(1, 0, BUF, pages=2)
    assert c.store(1, BUF + PAGE_SIZE, b"by the processor")
    assert c.memory.read(frames[1]).rstrip(b"\0") == b"by the processor"
    walk = [r for r in c.buses["memory"].ledger if r["what"] == "walk of table 23"]
    assert [r["transactions"] for r in walk] == [4] and c.buses["io"].ledger == []
    t = c.unit.translate_processor(1, BUF + PAGE_SIZE + 12)
    assert t.ok and t.physical == frames[1] * PAGE_SIZE + 12 and t.physical_page != (BUF >> 12) + 1
    assert c.load(2, BUF) is None and c.unit.translate_processor(2, BUF).fault == NO_ENTRY
    # the processor's own table, not the DMA table: a device-only mapping is not reachable
    c.kernel.map_buffer(1, 0, OTHER_BUF, 1)
    assert c.load(1, OTHER_BUF) is None
    with pytest.raises(ValueError, match="processor"):
        c.unit.translate(Request(0, 1, PROCESSOR, BUF))


def test_claim_14():
    """Claim 3 on the architecture: virtual addresses linked to physical blocks of the
    (here: several) SSDs."""
    c = computer()
    fd = c.kernel.open(1, "log", "r")                         # blocks on SSD 1, then SSD 0
    c.buffer(1, 1, BUF)
    c.buffer(1, 0, OTHER_BUF)
    expected = [(1, 10), (1, 11), (0, 600), (0, 601)]
    for index, (device, block) in enumerate(expected):
        dev, address = c.kernel.address(1, fd, index * PAGE_SIZE)
        buf = BUF if dev == 1 else OTHER_BUF
        outcome = c.submit(dev, Command(1, address, buf))
        assert (dev, outcome.source) == (device, block) != (dev, address >> 12)
        assert c.load(1, buf) == c.devices[device].media.read(block) == block_bytes("log", index)
    # the same virtual address presented to the other SSD does not match
    dev, address = c.kernel.address(1, fd, 0)
    assert c.submit(0, Command(1, address, OTHER_BUF)).fault == DEVICE_MISMATCH


# -- claim 15 (independent): the method, and claim 16 ---------------------------------------
def test_claim_15():
    """The method's steps, in order, each only after the one before allowed it."""
    c = computer()
    fd = c.kernel.open(1, "db", "rw")
    c.buffer(1, 0, BUF)
    c.store(1, BUF, b"new block 6")
    device, address = c.kernel.address(1, fd, 6 * PAGE_SIZE)
    outcome = c.submit(device, Command(1, address, BUF, write=True))
    assert outcome.steps == STEPS and c.devices[0].media.read(306).rstrip(b"\0") == b"new block 6"
    first = c.devices[0].begin(Command(1, address + 50 * PAGE_SIZE, BUF), c.unit, c.buses)
    assert first.steps == ["a", "b", "c"] and first.memory_translation is None
    second = c.devices[0].begin(Command(1, address, OTHER_BUF), c.unit, c.buses)
    assert second.steps == list(STEPS[:6]) and not second.memory_translation.ok
    assert c.devices[0].in_flight == []                       # neither may transfer


def test_claim_16():
    """Claim 15's method with a virtual device address linked to a physical SSD block."""
    c = computer()
    fd = c.kernel.open(1, "db", "r")
    c.buffer(1, 0, BUF)
    device, address = c.kernel.address(1, fd, 5 * PAGE_SIZE)
    outcome, data = c.read(1, fd, 5 * PAGE_SIZE, BUF)
    assert outcome.steps == STEPS and outcome.source == 305 != address >> 12
    assert data == c.devices[0].media.read(305)
    assert c.submit(device, Command(1, address ^ (1 << 30), BUF)).fault == NO_ENTRY
