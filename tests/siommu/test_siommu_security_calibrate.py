"""The adversarial workload's verdict (and that it can fail), and the calibration fit."""

import pandas as pd
import pytest

from labkit import InputError
from labkit.siommu import calibrate, latency, security
from labkit.siommu.unit import SIOMMU


@pytest.mark.parametrize("policy", ["deny", "kernel", "remap"])
def test_every_adversarial_attempt_faults(policy):
    table = security.run(300, policy=policy, seed=1)
    assert security.verdict(table)
    assert set(table.scenario) == set(security.SCENARIOS)
    assert table.attempts.sum() == 300
    codes = dict(zip(table.scenario, table.faults))
    assert codes["wrong_device"] == "device_mismatch"
    assert codes["write_read_only"] == "permission_denied"


def test_verdict_catches_a_unit_that_keeps_stale_translations(monkeypatch):
    monkeypatch.setattr(SIOMMU, "invalidate", lambda self, **kw: 0)
    table = security.run(300, seed=1)
    assert not security.verdict(table)
    assert table.set_index("scenario").loc["closed_file", "served"] > 0


def test_security_bad_input():
    with pytest.raises(InputError, match="policy"):
        security.run(10, policy="ignore")
    with pytest.raises(InputError, match="attempts"):
        security.run(0)


def test_fit_recovers_a_known_line():
    rows = [{"what": "syscall", "size": 0, "us": 0.2}]
    rows += [{"what": "pread", "size": s, "us": 0.5 + s / 20e3} for s in (512, 4096, 65536)]
    f = calibrate.fit(pd.DataFrame(rows))
    assert f["syscall_us"] == 0.2
    assert f["pread_fixed_us"] == pytest.approx(0.5)
    assert f["copy_gbps"] == pytest.approx(20.0)
    kw = calibrate.linux_overrides(f)
    b = latency.breakdown("linux", 4096, **kw)
    assert b["syscall"] == 0.2 and b["vfs"] == pytest.approx(0.3)
    assert b["copy"] == pytest.approx(4096 / 20e3)


def test_measure_runs_and_is_positive():
    m = calibrate.measure(sizes=(512, 8192), calls=50, repeats=2)
    assert list(m.what) == ["python_call", "syscall", "pread", "pread"]
    assert (m.us >= 0).all() and m.us.iloc[0] > 0
    with pytest.raises(InputError, match="calls"):
        calibrate.measure(calls=0)
