"""Critical path, single-threaded framework, steady throughput and the sweeps."""

import pandas as pd
import pytest

from labkit import InputError
from labkit.scheduler.hep import study
from labkit.scheduler.hep.analysis import (concurrency_profile, critical_paths,
                                           low_concurrency_periods, speedup_bound)
from labkit.scheduler.hep.examples import rejecting_example, synthetic
from labkit.scheduler.hep.processor import steady_throughput
from labkit.scheduler.hep.serial import SerialFramework
from labkit.scheduler.runtime import make_runtime


def test_critical_path_of_the_rejecting_example_by_hand():
    config, _ = rejecting_example()
    frame = critical_paths(config, 2)
    # paths need A, B, C? no: F1(A), F2(B), F3(D(B, C)): work = A+B+C+D+F1+F2+F3
    assert frame.work_s.tolist() == pytest.approx([0.10 + 0.20 + 0.15 + 0.10 + 0.15,
                                                   0.10 + 0.15 + 0.25 + 0.10 + 0.15])
    assert frame.critical_path_s.tolist() == pytest.approx([0.45, 0.50])


def test_hipileup_speedup_bound(hipileup):
    out = speedup_bound(hipileup)
    assert out["mean_event_work_s"] == pytest.approx(23.88, abs=0.01)
    assert out["mean_critical_path_s"] == pytest.approx(18.41, abs=0.01)
    assert out["speedup_bound"] == pytest.approx(23.88 / 18.41, abs=0.002)


def test_serial_framework_sums_work_and_runs_for_real():
    config, ends = rejecting_example()
    framework = SerialFramework(config.modules, config.paths, ends)
    res = framework.run_on(make_runtime("sim", 1), 4)
    # A + F1 + B + F2 + C + D + F3 + O (odd events: F2 rejects, p2 and the EndPath run)
    per_event = [0.1 + 0.05 + 0.2 + 0.05 + 0.15 + 0.1 + 0.05 + 0.1,
                 0.1 + 0.05 + 0.15 + 0.05 + 0.25 + 0.1 + 0.05 + 0.1] * 2
    assert res.sim_time_s == pytest.approx(sum(per_event))
    real = framework.run(4, time_scale=0.01, busy=lambda s: None)
    assert real.module_runs == res.module_runs == 32


def test_sweep_events_cover_whole_cycles():
    for n in (1, 16, 99, 100, 101, 2000):
        events, warmup = study.sweep_events(n)
        assert warmup == 2 * n and events == 3 * n + 100


def test_steady_throughput_littles_law():
    ev = pd.DataFrame({"event": range(6), "start": [0, 0, 2, 2, 4, 5.0],
                       "end": [2, 2, 4, 4, 5, 6.0]})
    assert steady_throughput(ev, 2) == pytest.approx(1.0)  # 2 in flight, 2 s each
    assert steady_throughput(ev.iloc[:2], 2) == pytest.approx(1.0)  # makespan fallback


def test_figure3_and_4_shapes(hipileup):
    f3 = study.figure3(hipileup, inflights=[1, 16], cores=16)
    r = f3.set_index(["curve", "inflight"])
    assert r.loc[("single-threaded processes", 16), "speedup_vs_serial"] == pytest.approx(16, rel=0.001)
    assert r.loc[("all thread-unsafe", 16), "speedup_vs_serial"] == pytest.approx(1.0, abs=0.05)
    assert 1.1 < r.loc[("fully re-entrant", 1), "speedup_vs_serial"] < 1.5
    f4 = study.figure4(hipileup, inflights=[100], limits={study.FIG4_CURVES[0]: 1})
    x = f4.set_index(["curve", "inflight"]).throughput
    # sleeping + serial output: bounded by 1 / mean outputRECO time (0.479 s)
    assert x[("re-entrant, serial source and output", 100)] == pytest.approx(1 / 0.4795, rel=0.1)
    # one event at a time: bounded by the slowest module's mean time (2.60 s)
    assert x[("one event at a time", 100)] == pytest.approx(1 / 2.600, rel=0.1)


def test_concurrency_profile_and_periods():
    trace = pd.DataFrame({"task": ["module"] * 3, "module": ["a", "b", "c"], "event": 0,
                          "start": [0.0, 0.0, 1.0], "end": [1.0, 3.0, 2.0], "core": 0})
    prof = concurrency_profile(trace)
    assert prof.running.tolist() == [2, 2, 1]
    periods = low_concurrency_periods(prof, max_running=1, min_duration=0.5)
    assert periods.duration.tolist() == [1.0] and periods.modules.iloc[0] == "b"


def test_synthetic_generator_is_valid_and_seeded():
    a, b = synthetic(50, seed=3), synthetic(50, seed=3)
    assert [m.get for m in a.modules] == [m.get for m in b.modules]
    assert speedup_bound(a)["speedup_bound"] >= 1.0
    with pytest.raises(InputError):
        synthetic(0)


def test_simulate_keys_and_speedup(hipileup):
    out = study.simulate(hipileup, cores=16, inflight=1, events=21)
    assert set(out) == {"throughput_ev_per_s", "events", "module_runs", "sim_time_s",
                        "wall_s", "speedup_vs_serial", "mean_concurrency"}
    assert out["events"] == 21 and out["module_runs"] == 21 * 489
    assert 1.0 < out["speedup_vs_serial"] < 1.6
    with pytest.raises(InputError, match="wait"):
        study.simulate(hipileup, cores=1, inflight=1, events=1, wait="nap")
