"""Roofline, dispatch costs, the what-if functions, the claims and the CLI extras."""

import json

import numpy as np
import pandas as pd
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.lab.claims import claims_for
from labkit.smm import dispatch_cost, roofline, whatif


def test_roofline_is_min_of_peak_and_bandwidth():
    got = roofline.attainable([0.5, 2.0, np.nan], peak=40.0, bandwidth=10.0)
    np.testing.assert_allclose(got, [5.0, 20.0, 40.0])
    frame = pd.DataFrame({"gflops": [10.0, 30.0], "gbps": [10.0, None]})
    out = roofline.add_roofline(frame, 40.0, 10.0)
    np.testing.assert_allclose(out["roof_gflops"], [10.0, 40.0])
    np.testing.assert_allclose(out["fraction_of_roof"], [1.0, 0.75])


def test_measured_limits_are_positive():
    lim = roofline.limits(1, quick=True)
    assert lim["peak_gflops"] > 0.1 and lim["stream_gbps"] > 0.1


def test_fma_ceiling_runs_the_fmas_it_counts():
    x = np.zeros(24)
    x[:8], x[8:16] = 0.5, 3.0
    roofline._fmas(x, 7)
    # 12 chains of 7 FMAs of 0.5 * 3.0 each, summed lane by lane
    np.testing.assert_allclose(x[16:], 12 * 7 * 1.5)
    assert roofline.fma_gflops(steps=100_000, repeat=1) > 0.1
    with pytest.raises(InputError, match="steps"):
        roofline.fma_gflops(steps=0)


def test_target_ratios_carry_the_ceiling():
    from labkit.smm import streaming

    frame = streaming.target_ratios(rounds=1, repeat=1, batch=50, progress=False)
    assert list(frame["shape"]) == [f"{m}x{n}x{k}" for m, n, k in streaming.TARGETS]
    np.testing.assert_allclose(frame["ceiling"] * frame["peer_gflops"], roofline.fma_gflops())
    np.testing.assert_allclose(frame["of_ceiling"] * roofline.fma_gflops(), frame["labkit_gflops"])
    assert (frame["met"] == (frame["ratio"] >= frame["target"])).all()
    assert (frame["reachable"] == (frame["target"] <= frame["ceiling"])).all()


def test_target_note_says_when_no_kernel_could_meet_the_target():
    from types import SimpleNamespace

    from labkit.smm.streaming import target_note

    row = SimpleNamespace(labkit_gflops=57.9, peer_gflops=50.4, ceiling=1.15, of_ceiling=0.998,
                          reachable=False)
    note = target_note(row, rounds=7)
    assert "labkit 57.9, numpy 50.4 GFLOPS" in note and "allows: 1.15" in note
    assert "100% of that ceiling" in note and "no kernel could meet it" in note
    assert "no kernel" not in target_note(SimpleNamespace(**{**vars(row), "reachable": True}), 7)


def test_dispatch_costs_rows():
    frame = dispatch_cost.costs(threads=2, calls=200, generate=0)
    assert set(frame["measure"]) == {"empty call", "kernel call 1x1x1", "cached lookup"}
    assert (frame["ns"] > 0).all()
    with pytest.raises(InputError, match="calls"):
        dispatch_cost.costs(calls=0)


def test_whatif_compute_and_chart():
    frame = whatif.compute(3, 4, 5, "BC", "float32", "einsum", batch=50)
    assert list(frame["kernel"]) == ["labkit", "einsum"]
    assert (frame["max_error"] < 1e-5).all()
    spec = whatif.chart(frame).to_dict()
    assert "layer" in spec
    with pytest.raises(InputError):
        whatif.compute(0, 4, 5)


def test_claims_declared_for_each_notebook():
    for nb in ("30_smm_specfem", "31_smm_nek", "32_smm_streaming", "33_smm_dispatch_transpose"):
        ids = [c.id for c in claims_for(nb)]
        assert ids and all(i.startswith("smm.") for i in ids)
    assert len(claims_for("32_smm_streaming")) == 10


def test_cli_specfem_and_dispatch(capsys):
    assert main(["smm", "specfem", "--elements", "3", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["variants"]) == {"deville", "unrolled", "dispatch", "prefetch", "static"}
    assert all(v["agrees"] for v in out["variants"].values())
    assert main(["smm", "dispatch", "--calls", "100", "--generate", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cached lookup (1 thr) ns"] > 0
    assert main(["smm", "specfem", "--elements", "0", "--json"]) == 2


def test_cli_nek_and_transpose(capsys):
    assert main(["smm", "stpm", "4", "4", "4", "labkit", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agrees"] is True
    assert main(["smm", "rstr", "4", "4", "4", "3", "3", "3", "loops", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agrees"] is True
    assert main(["smm", "transpose", "9", "7", "10", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agrees"] is True and out["gbps"] > 0
    assert main(["smm", "transpose", "9", "7", "10", "8", "--inplace", "--json"]) == 2
    assert "ld == m" in capsys.readouterr().err
    assert main(["smm", "stpm", "4", "0", "4", "labkit", "5", "--json"]) == 2
    assert main(["smm", "stpm", "4", "4", "4", "gpu", "5", "--json"]) == 2


def test_limits_accept_numpy_integers():
    lim = roofline.limits(np.int64(1), quick=True)
    assert lim["peak_gflops"] > 0
    with pytest.raises(InputError, match="threads"):
        roofline.limits(0)
