"""Fault handling chosen by a fault code per request or per entry (FIG. 4, block 60)."""

import pytest

from labkit import InputError
from labkit.siommu import faults
from labkit.siommu.architecture import Computer, block_bytes
from labkit.siommu.device import Command
from labkit.siommu.pagetable import Entry
from labkit.siommu.request import NO_ENTRY, PERMISSION_DENIED, Request
from labkit.siommu.system import Machine

BUF = 0x40000


def test_choose_prefers_entry_then_request_then_default():
    assert faults.choose("kernel", "remap", "deny") == "kernel"
    assert faults.choose(None, "remap", "deny") == "remap"
    assert faults.choose(None, None, "deny") == "deny"


def test_request_code_decides_per_request_on_one_machine():
    m = Machine({0: 64}, policy="deny")
    m.fs.create("f", [(0, 8, 4)])
    fd = m.kernel.open(1, "f", "r", populate=False)       # no entries: every read faults
    dev, address = m.kernel.address(1, fd, 4096)
    outcomes = {code: m.submit(Request(1, 1, dev, address, on_fault=code))
                for code in (None, "deny", "kernel")}
    assert [outcomes[c].ok for c in (None, "deny", "kernel")] == [False, False, True]
    assert outcomes["kernel"].served_by == "kernel" and len(m.unit.io_table) == 0
    remapped = m.submit(Request(1, 1, dev, address, on_fault="remap"))
    assert remapped.ok and remapped.retried and len(m.unit.io_table) == 1
    assert m.violations == 0


def test_entry_code_decides_for_its_entry():
    """The OS sends writes to a read-only file's blocks to the kernel (which refuses
    them) and a fault on another file stands, whatever the machine's default."""
    c = Computer({0: 1024}, policy="remap")
    c.create_file("ro", [(0, 10, 2)], writable=False)
    c.create_file("rw", [(0, 20, 2)])
    ro = c.kernel.open(1, "ro", "r", on_fault="kernel")
    rw = c.kernel.open(1, "rw", "rw", on_fault="deny")
    c.buffer(1, 0, BUF)
    assert {e.on_fault for _, _, e in c.unit.io_table.entries()} == {"kernel", "deny"}
    denied = c.write(1, ro, 0, b"x", BUF, on_fault="remap")
    assert (denied.ok, denied.fault, denied.handling) == (False, PERMISSION_DENIED, "kernel")
    assert c.devices[0].media.read(10) == block_bytes("ro", 0)
    # an entry whose R/W field refuses, coded "kernel": the OS serves what it allows
    c.unit.io_table.map(1, c.kernel.address(1, rw, 0)[1] >> 12,
                        Entry(20, 0, read=False, write=True, on_fault="kernel"))
    c.unit.invalidate()
    served, data = c.read(1, rw, 0, BUF)
    assert served.served_by == "kernel" and data == block_bytes("rw", 0)
    # no entry at all: the request's code, then the machine's default (remap) applies
    fd = c.kernel.open(2, "rw", "r", populate=False)
    c.buffer(2, 0, BUF)
    assert c.read(2, fd, PAGE, BUF, on_fault="deny")[0].fault == NO_ENTRY
    again = c.read(2, fd, PAGE, BUF)[0]
    assert again.ok and again.retried and again.handling == "remap"


PAGE = 4096


@pytest.mark.parametrize("make", [
    lambda: Request(1, 1, 0, 0, on_fault="ignore"),
    lambda: Entry(1, 0, on_fault="retry"),
    lambda: Command(1, 0, 0, on_fault="skip"),
    lambda: Computer(policy="ignore"),
])
def test_unknown_fault_code_is_input_error(make):
    with pytest.raises(InputError, match="fault|on_fault"):
        make()
