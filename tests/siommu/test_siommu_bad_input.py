"""Bad input to the claim modules (architecture, devices, memory, buses, permission,
truncate) and the ``labkit siommu claims`` command: InputError / exit 2, one line."""

import json

import pytest

from labkit import InputError
from labkit.cli import main
from labkit.siommu.architecture import Computer
from labkit.siommu.buses import Bus
from labkit.siommu.device import Command, SSD
from labkit.siommu.memory import SolidStateMemory
from labkit.siommu.unit import SIOMMU


def test_claims_command_one_claim_and_all(capsys):
    assert main(["siommu", "claims", "--claim", "13", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["claim"] == 13 and out["holds"] is True
    assert {row["from_claim"] for row in out["limitations"]} == {11, 13}
    assert main(["siommu", "claims", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [row["claim"] for row in out["claims"]] == list(range(1, 17)) and out["holds"]


@pytest.mark.parametrize("argv", [["--claim", "0"], ["--claim", "17"], ["--claim", "x"]])
def test_claims_command_bad_claim_exits_2_with_one_line(argv, capsys):
    assert main(["siommu", "claims", *argv, "--json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "claim" in err


def computer():
    c = Computer({0: 64}, {5: 4})
    c.create_file("f", [(0, 0, 4)])
    return c


def write_without_buffer(c):
    return c.write(1, c.kernel.open(1, "f", "rw"), 0, b"x", 0x1000)


@pytest.mark.parametrize("make,match", [
    (lambda: Computer({0: 8}, {0: 4}), "both SSD and NIC"),
    (lambda: SIOMMU(permission="maybe"), "permission model"),
    (lambda: SSD(0xFFFF, 8), "device id"),
    (lambda: SSD(-1, 8), "device id"),
    (lambda: SolidStateMemory("m", 0, volatile=True), "positive"),
    (lambda: Bus("b", -1.0, 1.0), "latency"),
    (lambda: Command(-1, 0, 0), "pasid"),
    (lambda: Command(1, 0, "x"), "buffer"),
    (lambda: Command(1, 0, 0, write=1), "write"),
    (lambda: computer().submit(9, Command(1, 0, 0)), "no device 9"),
    (lambda: computer().grant_port(1, 0, 0), "not a network card"),
    (lambda: computer().grant_port(1, 5, 4), "outside"),
    (lambda: computer().devices[0].media.write(64, b""), "outside"),
    (lambda: computer().devices[0].media.write(0, b"x" * 4097), "at most"),
    (lambda: write_without_buffer(computer()), "no buffer"),
])
def test_bad_input_is_input_error(make, match):
    with pytest.raises(InputError, match=match):
        make()


def test_truncate_bad_counts_and_read_only():
    c = computer()
    fd = c.kernel.open(1, "f", "rw")
    for bad in (0, 4, -1, "1"):
        with pytest.raises(InputError, match="truncate"):
            c.kernel.truncate(1, fd, bad)
    ro = c.kernel.open(2, "f", "r")
    with pytest.raises(InputError, match="read-only"):
        c.kernel.truncate(2, ro, 1)
    assert len(c.unit.io_table) == 8                     # nothing was unmapped
