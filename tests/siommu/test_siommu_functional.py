"""The FIG. 4 logic, the page tables, the TLB and the OS side, case by case."""

from collections import OrderedDict

import pytest

from labkit import InputError
from labkit.siommu.kernel import Extent, FileSystem, Kernel
from labkit.siommu.pagetable import Entry, PageTable
from labkit.siommu.request import (DEVICE_MISMATCH, NO_ENTRY, PERMISSION_DENIED, Request)
from labkit.siommu.system import Machine
from labkit.siommu.tlb import TLB
from labkit.siommu.unit import SIOMMU


def test_page_table_walk_counts_levels_and_prunes():
    t = PageTable(levels=3, bits=4)
    assert t.walk(1, 5) == (None, 1)                  # unknown PASID: one access
    t.map(1, 0x123, Entry(7, device=0))
    entry, levels = t.walk(1, 0x123)
    assert entry.physical == 7 and levels == 3
    assert t.walk(1, 0x124)[1] == 3                   # leaf node exists, slot empty
    assert t.walk(1, 0x023)[1] == 1                   # top index differs: stops at level 1
    assert t.unmap(1, 0x123).physical == 7 and len(t) == 0 and t.roots == {}
    with pytest.raises(InputError, match="outside"):
        t.map(1, 1 << 12, Entry(1, 0))
    with pytest.raises(InputError, match="levels"):
        PageTable(levels=0)


def test_entry_permission_needs_valid_physical_and_rw_bit():
    assert Entry(3, 0, read=True, write=False).allows(False)
    assert not Entry(3, 0, read=True, write=False).allows(True)
    assert not Entry(None, 0, read=True, write=True).allows(False)


def reference_lru(trace, sets, ways):
    """Independent LRU model: one OrderedDict per set."""
    cache = [OrderedDict() for _ in range(sets)]
    hits = []
    for key in trace:
        s = cache[key[3] % sets]
        if key in s:
            s.move_to_end(key)
            hits.append(True)
        else:
            hits.append(False)
            if len(s) == ways:
                s.popitem(last=False)
            s[key] = True
    return hits


@pytest.mark.parametrize("entries,ways", [(8, 8), (8, 2), (4, 1)])
def test_tlb_lru_matches_reference(entries, ways):
    import random

    rng = random.Random(1)
    trace = [(rng.randint(0, 1), rng.randint(1, 3), 0, rng.randint(0, 20)) for _ in range(2000)]
    tlb = TLB(entries, ways, "lru")
    got = []
    for key in trace:
        hit = tlb.lookup(*key) is not None
        if not hit:
            tlb.fill(*key, "e")
        got.append(hit)
    assert got == reference_lru(trace, entries // ways, ways)
    assert tlb.hits == sum(got) and len(tlb) <= entries


def test_tlb_fifo_evicts_oldest_even_if_used():
    tlb = TLB(2, 2, "fifo")
    tlb.fill(1, 1, 0, 1, "a")
    tlb.fill(1, 1, 0, 2, "b")
    assert tlb.lookup(1, 1, 0, 1) == "a"              # used, but FIFO ignores use
    tlb.fill(1, 1, 0, 3, "c")
    assert tlb.lookup(1, 1, 0, 1) is None and tlb.lookup(1, 1, 0, 2) == "b"


def test_tlb_bad_geometry():
    with pytest.raises(InputError, match="ways"):
        TLB(6, 4)
    with pytest.raises(InputError, match="replacement"):
        TLB(4, 4, "mru")


def make_unit(**options):
    unit = SIOMMU(levels=4, **options)
    unit.io_table.map(1, 100, Entry(5000, device=2, read=True, write=False))
    unit.mem_table.map(1, 100, Entry(77, device=2, read=True, write=True))
    return unit


def test_fig4_io_path_hit_walk_and_faults():
    unit = make_unit()
    r = Request(1, 1, 2, 100 * 4096 + 12)
    first = unit.translate(r)
    assert first.ok and first.source == "walk" and first.levels == 4
    assert first.physical == 5000 * 4096 + 12
    again = unit.translate(r)
    assert again.ok and again.source == "tlb" and again.physical == first.physical
    assert unit.translate(Request(1, 1, 2, 100 * 4096, write=True)).fault == PERMISSION_DENIED
    assert unit.translate(Request(1, 9, 2, 100 * 4096)).fault == NO_ENTRY      # other PASID
    assert unit.translate(Request(1, 1, 3, 100 * 4096)).fault == DEVICE_MISMATCH
    assert unit.translate(Request(1, 1, 2, 101 * 4096)).fault == NO_ENTRY
    assert unit.faults == {PERMISSION_DENIED: 1, NO_ENTRY: 2, DEVICE_MISMATCH: 1}


def test_fig4_ft_bit_selects_the_table():
    unit = make_unit()
    io = unit.translate(Request(1, 1, 2, 100 * 4096))
    mem = unit.translate(Request(0, 1, 2, 100 * 4096, write=True))
    assert io.physical_page == 5000 and mem.physical_page == 77
    assert unit.tlbs[1].misses == 1 and unit.tlbs[0].misses == 1


def test_invalid_physical_address_is_a_permission_fault():
    unit = SIOMMU()
    unit.io_table.map(1, 3, Entry(None, device=0))
    assert unit.translate(Request(1, 1, 0, 3 * 4096)).fault == PERMISSION_DENIED


@pytest.mark.parametrize("field,value", [("ft", 2), ("pasid", -1), ("device", 1 << 16),
                                         ("address", "x"), ("write", 1), ("pasid", True)])
def test_malformed_request_field_is_input_error(field, value):
    fields = {"ft": 1, "pasid": 1, "device": 0, "address": 0, "write": False, field: value}
    with pytest.raises(InputError, match=field):
        Request(**fields)


def test_translate_refuses_non_request():
    with pytest.raises(InputError, match="Request"):
        SIOMMU().translate((1, 1, 0, 0))


def test_file_system_rejects_overlaps_and_unknown_devices():
    fs = FileSystem({0: 100, 1: 50})
    fs.create("a", [(0, 0, 10)])
    with pytest.raises(InputError, match="overlaps file 'a'"):
        fs.create("b", [(0, 5, 10)])
    with pytest.raises(InputError, match="overlap"):
        fs.create("c", [(1, 0, 10), (1, 9, 2)])
    with pytest.raises(InputError, match="unknown device"):
        fs.create("d", [(7, 0, 1)])
    with pytest.raises(InputError, match="outside"):
        fs.create("e", [(1, 45, 10)])
    with pytest.raises(InputError, match="no such file"):
        fs.file("zzz")
    assert fs.allocate(0, 5) == Extent(0, 10, 5)


def test_open_close_append_keep_tables_exact():
    m = Machine({0: 1000})
    m.fs.create("f", [(0, 40, 3), (0, 100, 2)], writable=True)
    fd = m.kernel.open(1, "f", "rw")
    table = {(p, page): e for p, page, e in m.unit.io_table.entries()}
    of = m.kernel.handle(1, fd)
    assert sorted(e.physical for e in table.values()) == [40, 41, 42, 100, 101]
    assert all(e.write for e in table.values())
    for off in range(5):
        assert m.read(1, fd, off * 4096).ok            # fills the TLB
    ext = m.kernel.append(1, fd, 2)
    assert len(m.unit.io_table) == 7 and m.read(1, fd, 6 * 4096).physical_block == ext.start + 1
    removed = m.kernel.close(1, fd)
    assert removed == 7 and len(m.unit.io_table) == 0
    assert not any(k[1] == 1 and k[0] == 1 for k, _ in m.unit.tlbs[1].cached())
    address = (of.base << 12)
    assert m.submit(Request(1, 1, 0, address)).fault == NO_ENTRY
    with pytest.raises(InputError, match="no open file"):
        m.kernel.close(1, fd)
    with pytest.raises(InputError, match="no such file"):
        m.kernel.open(1, "missing")


def test_read_only_file_maps_without_write_bit():
    m = Machine({0: 100})
    m.fs.create("ro", [(0, 0, 2)], writable=False)
    fd = m.kernel.open(3, "ro", "rw")
    assert m.read(3, fd, 0).ok
    assert m.write(3, fd, 0, b"x").fault == PERMISSION_DENIED
    with pytest.raises(InputError, match="read-only"):
        m.kernel.append(3, fd, 1)


def test_fault_policies():
    for policy, ok, served in (("deny", False, None), ("kernel", True, "kernel"),
                               ("remap", True, "siommu")):
        m = Machine({0: 100}, policy=policy)
        m.fs.create("f", [(0, 0, 4)])
        fd = m.kernel.open(1, "f", "r", populate=False)    # nothing mapped yet
        result = m.read(1, fd, 2 * 4096)
        assert (result.ok, result.served_by) == (ok, served), policy
        if ok:
            assert result.physical_block == 2 and result.data == ("initial", "f")
        assert m.read(1, fd, 2 * 4096).served_by == served
        # no policy serves a write the open mode forbids
        assert not m.write(1, fd, 0, b"x").ok
        assert m.violations == 0


def test_memory_stage_blocks_transfer():
    m = Machine({0: 100})
    m.fs.create("f", [(0, 0, 1)])
    fd = m.kernel.open(1, "f", "rw")
    m.kernel.map_buffer(1, 0, 0x8000, 1)
    assert m.read(1, fd, 0, buffer=0x8000).ok
    res = m.read(1, fd, 0, buffer=0x9000)
    assert not res.ok and res.stage == "memory_address" and res.fault == NO_ENTRY
    m.kernel.map_buffer(1, 0, 0xA000, 1, write=False)      # a read lands in memory: needs W
    assert m.read(1, fd, 0, buffer=0xA000).fault == PERMISSION_DENIED
    m.kernel.unmap_buffer(1, 0x8000)
    assert m.read(1, fd, 0, buffer=0x8000).fault == NO_ENTRY
