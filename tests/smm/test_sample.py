"""The smm sample's command line: cases, sizes, the sample's byte count, cycles."""

import json

import numpy as np
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.smm import cycles, sample
from labkit.smm.cases import get_case
from labkit.smm.spec import make_spec


@pytest.mark.parametrize("text, want", [("16", (16, 16, 16)), ("16,8", (16, 8, 16)),
                                        ("16,8,9", (16, 8, 9)), ("5x25x5", (5, 25, 5))])
def test_sizes_inherit_as_the_sample_reads_them(text, want):
    assert sample.parse_sample_mnk(text) == want


@pytest.mark.parametrize("text", ["", "0", "4,-1", "1,2,3,4", "a,b"])
def test_bad_sizes(text):
    with pytest.raises(InputError):
        sample.parse_sample_mnk(text)


def test_even_cases_fall_through_into_their_indirect_variant():
    assert [c.number for c in sample.selected_cases(0)] == [0, 1]
    assert [c.number for c in sample.selected_cases("7")] == [7]
    assert [(c.stream, c.strategy) for c in sample.selected_cases(6)] == [("AB", "labkit"), ("AB", "dispatch")]
    assert sample.SAMPLE_CASES[8].stream == "none"
    for bad in (-1, 10, "x", 2.5, True):
        with pytest.raises(InputError, match="case"):
            sample.selected_cases(bad)


def test_bytes_counted_with_read_for_ownership_of_c():
    spec = make_spec(4, 3, 2)                       # A 8, B 6, C 12 doubles
    assert sample.sample_bytes(spec, get_case("ABC")) == 8 * (8 + 6 + 2 * 12)
    assert sample.sample_bytes(spec, get_case("AC")) == 8 * (8 + 2 * 12)
    assert sample.sample_bytes(spec, get_case("BC")) == 8 * (6 + 2 * 12)
    assert sample.sample_bytes(spec, get_case("AB")) == 8 * (8 + 6)
    assert sample.sample_bytes(spec, get_case("none")) is None


def test_run_reports_what_it_measured():
    out = sample.sample(2, "13,5,7", batch=300, repeat=2)
    assert (out["m"], out["n"], out["k"], out["size"]) == (13, 5, 7, 300)
    assert out["memory_mb"] == pytest.approx(300 * (13 * 7 + 7 * 5 + 13 * 5) * 8 / 2**20)
    direct, indirect = out["runs"]
    assert (direct["label"], indirect["label"]) == ("Streamed (A,C)", "Indirect (A,C)")
    for row in out["runs"]:
        assert row["max_error"] < 1e-12
        assert row["gflops"] == pytest.approx(300 * 2 * 13 * 5 * 7 / row["seconds"] / 1e9)
        assert row["bandwidth_gbs"] == pytest.approx(300 * 8 * (13 * 7 + 2 * 13 * 5) / row["seconds"] / 2**30)
        assert row["pseudo_flops_per_cycle"] == pytest.approx(300 * (2 * 13 * 5 * 7 - 13 * 5) / row["cycles"])


def test_padded_leading_dimensions():
    out = sample.sample(2, "5,3,4", batch=50, repeat=1, ld="8,6,7")
    for row in out["runs"]:
        assert row["ld"] == "8,6,7" and row["max_error"] < 1e-12
        # the sample counts the padded operands: lda*k + 2*ldc*n doubles for A and C streamed
        assert row["bandwidth_gbs"] == pytest.approx(50 * 8 * (8 * 4 + 2 * 7 * 3) / row["seconds"] / 2**30)


def test_cycles_follow_wall_time():
    hz = cycles.tsc_hz()
    with cycles.CycleTimer() as t:
        np.linalg.inv(np.eye(200) + 0.01)
    assert t.cycles == pytest.approx(t.seconds * hz, rel=0.2)
    assert 1e8 < hz < 1e10


def test_refuses_more_memory_than_the_machine_has_before_allocating():
    with pytest.raises(InputError, match="of memory; the limit is"):
        sample.sample(0, "100000", batch=1)
    with pytest.raises(InputError, match="of memory; the limit is"):
        sample.sample(0, "8", batch=10**11)


def test_cli_json(capsys):
    assert main(["smm", "sample", "6", "--mnk", "16,8", "--batch", "64", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["m"], out["n"], out["k"]) == (16, 8, 16)
    assert [r["case"] for r in out["runs"]] == [6, 7]


@pytest.mark.parametrize("argv, word", [
    (["12"], "case"), (["--mnk", "0"], "m must"), (["--mnk", "1,2,3,4"], "--mnk"),
    (["--batch", "0"], "--batch"), (["--mb", "-1"], "--mb"),
    (["--mnk", "100000", "--batch", "1"], "of memory; the limit is"),
    (["--mnk", "8", "--ld", "7,,"], "lda=7"), (["--mnk", "8", "--ld", ",,3"], "ldc=3"),
    (["--mnk", "8", "--ld", "9,9"], "--ld"),
])
def test_cli_bad_input_exit_2(argv, word, capsys):
    assert main(["smm", "sample", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err
