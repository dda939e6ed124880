"""Features of the specification (FIG. 2-4 and the OS side) that the model implements
beyond the claims' own elements: each test is named after the feature it checks. The
claims themselves, one test each, are in test_patent_claims.py."""

import pytest

from labkit.siommu.pagetable import Entry
from labkit.siommu.request import DEVICE_MISMATCH, NO_ENTRY, PERMISSION_DENIED, Request
from labkit.siommu.system import Machine
from labkit.siommu.unit import SIOMMU


@pytest.fixture
def machine():
    m = Machine({0: 4096, 1: 4096})
    m.fs.create("db", [(0, 300, 8)], writable=True)
    m.fs.create("log", [(1, 10, 4)], writable=False)
    return m


def test_read_only_file_denies_writes(machine):
    fd = machine.kernel.open(1, "log", "rw")        # the file only allows reading
    _, addr = machine.kernel.address(1, fd, 0)
    assert machine.unit.translate(Request(1, 1, 1, addr)).ok
    assert machine.unit.translate(Request(1, 1, 1, addr, write=True)).fault == PERMISSION_DENIED


def test_device_identifier_is_matched(machine):
    fd = machine.kernel.open(1, "log", "r")
    _, addr = machine.kernel.address(1, fd, 0)
    assert machine.unit.translate(Request(1, 1, 0, addr)).fault == DEVICE_MISMATCH


def test_tlb_hit_returns_what_the_walk_returned(machine):
    fd = machine.kernel.open(1, "db", "r")
    r = Request(1, 1, *machine.kernel.address(1, fd, 4096))
    walk, hit = machine.unit.translate(r), machine.unit.translate(r)
    assert (walk.source, hit.source) == ("walk", "tlb") and walk.physical == hit.physical


def test_ft_flag_selects_table_34a_or_34b():
    unit = SIOMMU()
    unit.io_table.map(1, 9, Entry(111, 0))
    unit.mem_table.map(1, 9, Entry(222, 0, write=True))
    assert unit.translate(Request(1, 1, 0, 9 * 4096)).physical_page == 111
    assert unit.translate(Request(0, 1, 0, 9 * 4096)).physical_page == 222


def test_one_combined_tlb_decides_as_the_split_pair():
    decisions = []
    for organisation in ("split", "combined"):
        unit = SIOMMU(tlb=organisation, entries=2)
        unit.io_table.map(1, 9, Entry(111, 0))
        unit.mem_table.map(1, 9, Entry(222, 0, write=True))
        rs = [Request(ft, 1, 0, 9 * 4096, write=w) for ft in (1, 0) for w in (False, True)] * 3
        decisions.append([(t.ok, t.physical, t.fault) for t in map(unit.translate, rs)])
    assert decisions[0] == decisions[1]
    assert len({id(t) for t in SIOMMU(tlb="combined").tlbs.values()}) == 1


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_multi_level_table_walk_touches_every_level(levels):
    unit = SIOMMU(levels=levels)
    unit.io_table.map(4, 77, Entry(1, 0))
    assert unit.translate(Request(1, 4, 0, 77 * 4096)).levels == levels


def test_os_populates_entries_when_the_file_is_opened(machine):
    assert len(machine.unit.io_table) == 0
    machine.kernel.open(1, "db", "rw")
    assert len(machine.unit.io_table) == 8
    assert {e.physical for _, _, e in machine.unit.io_table.entries()} == set(range(300, 308))


def test_close_removes_entries_and_every_cached_copy(machine):
    fd = machine.kernel.open(1, "db", "r")
    r = Request(1, 1, *machine.kernel.address(1, fd, 0))
    assert machine.unit.translate(r).ok and len(machine.unit.tlbs[1]) == 1
    machine.kernel.close(1, fd)
    assert len(machine.unit.tlbs[1]) == 0 and machine.unit.translate(r).fault == NO_ENTRY


def test_append_extends_the_mapping_for_every_opener(machine):
    fd = machine.kernel.open(1, "db", "rw")
    other = machine.kernel.open(2, "db", "r")
    extent = machine.kernel.append(1, fd, 3)
    for pasid, f in ((1, fd), (2, other)):
        t = machine.unit.translate(Request(1, pasid, *machine.kernel.address(pasid, f, 10 * 4096)))
        assert t.physical_page == extent.start + 2


def test_fault_is_reported_not_served(machine):
    r = machine.submit(Request(1, 1, 0, 5 * 4096))
    assert not r.ok and r.fault == NO_ENTRY and machine.unit.faults[NO_ENTRY] == 1


def test_kernel_fallback_serves_permitted_requests():
    m = Machine({0: 64}, policy="kernel")
    m.fs.create("f", [(0, 8, 2)])
    fd = m.kernel.open(1, "f", "r", populate=False)
    r = m.read(1, fd, 4096)
    assert r.ok and r.served_by == "kernel" and r.physical_block == 9
    assert m.submit(Request(1, 2, 0, r.physical_block * 4096)).fault == NO_ENTRY


def test_kernel_remaps_and_the_device_retries():
    m = Machine({0: 64}, policy="remap")
    m.fs.create("f", [(0, 8, 2)])
    fd = m.kernel.open(1, "f", "r", populate=False)
    r = m.read(1, fd, 4096)
    assert r.ok and r.served_by == "siommu" and r.retried and len(m.unit.io_table) == 1
