"""The toy-mt-framework peer helpers: configurations labkit and the C++ read alike, the
peer's summary line, the calibration file. The peer itself is only run when it is built
(CI does not build it); everything else is checked without it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labkit.lab import InputError, find_data
from labkit.scheduler import toymt
from labkit.scheduler.hep.analysis import critical_paths
from labkit.scheduler.hep.config import parse

ROOT = Path(__file__).resolve().parents[2]
# the C++ prints this (TBBProcessingDemo/main.cpp), after one line per module
PEER_OUTPUT = ("demo::EventTimesSleepingProducer p0 0x55e544428360\n"
               "TBB:# threads:24 # simultaneous events:4 total # events:20 cpu time:2.39345 "
               "real time:4.69727 events/sec:4.25779\n")


@pytest.fixture(scope="module")
def minbias_raw():
    path = find_data("cms/reco_minbias_sleeping.config")
    if path is None:
        pytest.skip("CMS data not available")
    return toymt.read_raw(path)


def test_peer_config_scales_times_and_sets_options(minbias_raw):
    out = toymt.peer_config(minbias_raw, scale=0.05, inflight=8, events=30, threads=12)
    before = parse(minbias_raw, "raw")
    after = parse(out, "scaled")
    assert after.inflight == 8 and after.events == 30
    assert out["process"]["options"]["nThreads"] == 12
    for a, b in zip(before.modules, after.modules):
        assert a.label == b.label and a.thread_type == b.thread_type
        np.testing.assert_allclose(b.times, 0.05 * np.asarray(a.times))
    assert minbias_raw["process"]["options"].get("nThreads") is None  # the input is untouched


def test_peer_config_forces_every_thread_type(minbias_raw):
    for safety, kind in (("unsafe", "ThreadUnsafe"), ("one-at-a-time", "ThreadSafeBetweenModules"),
                         ("reentrant", "ThreadSafeBetweenInstances")):
        out = parse(toymt.peer_config(minbias_raw, scale=1.0, inflight=1, events=1,
                                      safety=safety))
        assert {m.thread_type for m in out.modules} == {kind}
    kept = parse(toymt.peer_config(minbias_raw, scale=1.0, inflight=1, events=1))
    assert sum(m.thread_type == "ThreadUnsafe" for m in kept.modules) == 4


def test_chain_config_is_a_chain():
    config = parse(toymt.chain_config(7, 0.002, events=3), "chain")
    assert len(config.modules) == 8 and config.events == 3
    rows = critical_paths(config, 3)
    # every module after the one before: the critical path is the whole work, 7 x 2 ms
    np.testing.assert_allclose(rows["critical_path_s"], 7 * 0.002)
    np.testing.assert_allclose(rows["work_s"], 7 * 0.002)


def test_parse_output_reads_the_last_line():
    out = toymt.parse_output(PEER_OUTPUT)
    assert out == {"threads": 24, "inflight": 4, "events": 20, "cpu_s": 2.39345,
                   "real_s": 4.69727, "events_per_s": 4.25779}
    assert out["events"] / out["real_s"] == pytest.approx(out["events_per_s"], rel=1e-5)
    with pytest.raises(InputError, match="events/sec"):
        toymt.parse_output("An exception was thrown: boom\n")


def test_fit_overshoot_recovers_a_line_and_refuses_too_little():
    x = np.array([0.0, 1e-3, 5e-3, 2e-2])
    assert toymt.fit_overshoot(x, 7e-5 + 0.002 * x) == pytest.approx((7e-5, 0.002))
    assert toymt.fit_overshoot(x, 1e-4 - 0.001 * x)[1] == 0.0  # never a negative slope
    with pytest.raises(InputError, match="two different"):
        toymt.fit_overshoot([1e-3, 1e-3], [1e-4, 1e-4])


@pytest.mark.parametrize("kwargs, match", [
    (dict(scale=0), "scale"), (dict(scale=float("nan")), "scale"),
    (dict(inflight=0), "in flight"), (dict(events=True), "events"),
    (dict(threads=0), "threads"), (dict(safety="sometimes"), "safety"),
])
def test_peer_config_bad_input(minbias_raw, kwargs, match):
    options = dict(scale=0.05, inflight=1, events=1) | kwargs
    with pytest.raises(InputError, match=match):
        toymt.peer_config(minbias_raw, **options)


@pytest.mark.parametrize("name", ["toymt.json", "toymt_realtime.json"])
def test_calibration_file_has_the_schema(name):
    data = toymt.load_calibration(toymt.CALIBRATION.with_name(name))
    for key in toymt.CALIBRATION_KEYS:
        assert data[key] >= 0
    assert {"date", "machine", "command", "how"} <= set(data["measured"])
    # the fitted line goes through the measured points' centre (least squares)
    m = data["measured"]
    x, y = np.asarray(m["requested_s"]), np.asarray(m["framework_overshoot_s"])
    line = data["sleep_overshoot_s"] + data["sleep_overshoot_per_s"] * x
    if data["sleep_overshoot_per_s"] > 0 and data["sleep_overshoot_s"] > 0:
        assert line.mean() == pytest.approx(y.mean(), rel=1e-6)


@pytest.mark.parametrize("change, match", [
    ({"dispatch_s": -1e-6}, "dispatch_s"), ({"per_module_s": "fast"}, "per_module_s"),
    ({"measured": None}, "measured"),
])
def test_bad_calibration_is_refused(tmp_path, change, match):
    data = toymt.load_calibration() | change
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=match):
        toymt.load_calibration(path)
    path.write_text("{")
    with pytest.raises(InputError, match="malformed"):
        toymt.load_calibration(path)


def test_find_peer_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(toymt.BUILD_ENV, str(tmp_path))
    assert toymt.find_peer() is None  # the environment wins over the default build folder
    binary = tmp_path / toymt.BINARIES["tbb"]
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert toymt.find_peer() == binary
    assert toymt.results_path() == tmp_path.parent / "bench_toymt.csv"
    assert toymt.results_path(realtime=True) == tmp_path.parent / "bench_toymt_realtime.csv"
    monkeypatch.setenv(toymt.BUILD_ENV, str(binary))  # the binary itself names its folder
    assert toymt.find_peer() == binary and toymt.build_folder() == tmp_path
    with pytest.raises(InputError, match="unknown peer binary"):
        toymt.find_peer("dispatch")
    monkeypatch.setenv(toymt.BUILD_ENV, str(tmp_path / "nothing"))
    with pytest.raises(InputError, match="not built"):
        toymt.run_peer(toymt.chain_config(1, 0.0))


def test_calibrate_cli_bad_input_is_one_line():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/peers/calibrate_toymt.py"),
                           "--repeat", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--repeat" in done.stderr


@pytest.mark.skipif(toymt.find_peer() is None, reason=toymt.BUILD_HINT)
def test_the_real_peer_sleeps_what_it_is_asked():
    modules, seconds = 10, 0.002
    out = toymt.run_peer(toymt.chain_config(modules, seconds, events=2))
    assert out["events"] == 2 and out["threads"] == 1
    per_module = out["real_s"] / (2 * modules)
    assert seconds < per_module  # usleep never returns early (no upper bound: a loaded
    # machine makes it overshoot by any amount)


@pytest.mark.parametrize("argv, match", [
    (["/no/such.config"], "not found"),
    (["CONFIG", "--inflight", "0"], "--inflight"),
    (["CONFIG", "--scale", "-1"], "--scale"),
    (["CONFIG", "--safety", "sometimes"], "--safety"),
])
def test_run_cli_bad_input_is_one_line(argv, match):
    config = find_data("cms/test_config.json")
    if config is None:
        pytest.skip("CMS data not available")
    argv = [str(config) if a == "CONFIG" else a for a in argv]
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/peers/run_toymt.py"), *argv],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and match in done.stderr


def test_build_script_bad_input_is_one_line():
    done = subprocess.run(["bash", str(ROOT / "benchmarks/peers/build_toymt.sh"), "a", "b"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


# -- labkit's side of the comparison ----------------------------------------------------
def test_peak_modules_counts_overlaps_ends_first():
    import pandas as pd

    trace = pd.DataFrame({"task": ["module", "module", "module", "source", "event-done"],
                          "module": ["a", "b", "c", "source", ""],
                          "event": [0, 0, 0, -1, 0], "start": [0.0, 1.0, 2.0, 0.0, 0.0],
                          "end": [2.0, 3.0, 4.0, 9.0, 9.0], "core": [-1] * 5})
    # a and b overlap on [1, 2); c starts when a ends, so never three at once
    assert toymt.peak_modules(trace) == 2
    assert toymt.peak_modules(trace.iloc[3:]) == 0


def test_folded_costs_adds_the_measured_costs(minbias_raw):
    config = parse(minbias_raw, "minbias")
    cal = {"sleep_overshoot_s": 1e-4, "sleep_overshoot_per_s": 0.01, "per_module_s": 1e-6,
           "dispatch_s": 2e-5}
    folded = toymt.folded_costs(config, 0.05, cal)
    for a, b in zip(config.modules, folded.modules):
        expected = np.asarray(a.times) * 0.05 * 1.01 + 1e-4 + 1e-6
        np.testing.assert_allclose(b.times, expected)
        assert (b.label, b.get, b.thread_type, b.wait) == (a.label, a.get, a.thread_type, a.wait)


@pytest.mark.parametrize("inflight, expected", [(1, 4 / 0.12), (4, 4 / 0.03), (2, 4 / 0.06)])
def test_run_labkit_rate_is_events_over_makespan(inflight, expected):
    # 3 chained modules of 10 ms: one event takes 30 ms; sleeping, so N events overlap
    config = parse(toymt.chain_config(3, 0.01), "chain")
    out = toymt.run_labkit(config, backend="sim", inflight=inflight, events=4, scale=1.0)
    assert out["rate"] == pytest.approx(expected)
    assert out["thread_limit"] is False


def test_run_labkit_agrees_with_the_study_runner(minbias_raw):
    from labkit.scheduler.hep import study

    config = parse(minbias_raw, "minbias")
    out = toymt.run_labkit(config, backend="sim", inflight=4, events=12, scale=0.05,
                           safety="unsafe")
    ref = study.run_framework(config, cores=2, inflight=4, events=12, safety="unsafe",
                              time_scale=0.05)
    assert out["rate"] == pytest.approx(12 / float(ref.events["end"].max()))


def test_overhead_options_carry_the_real_frameworks_calibration():
    from labkit.scheduler.overhead import FIELDS

    options, said = toymt.overhead_options("sim")
    model = options["overhead"]
    measured = json.loads(toymt.CALIBRATION.read_text())
    assert [getattr(model, name) for name in FIELDS] == [measured[name] for name in FIELDS]
    assert not model.is_zero and "toy-mt-framework" in said
    assert toymt.thread_limit_keyword("threads") == "max_threads"
    with pytest.raises(InputError, match="unknown backend"):
        toymt.overhead_options("gpu")


def _raw_rows(rows):
    import pandas as pd

    return pd.DataFrame([("hipileup", "fully re-entrant", "N+4", n + 4, n, 2 * n, 0.05, side, r,
                          x)
                         for n, side, r, x in rows], columns=toymt.RESULT_COLUMNS)


def test_summarize_medians_gaps_and_targets():
    raw = _raw_rows([(4, "toymt", 0, 10.0), (4, "toymt", 1, 12.0), (4, "toymt", 2, 11.0),
                     (4, "sim", 0, 11.11), (4, "threads", 0, 11.5), (4, "threads", 1, 11.5),
                     (64, "toymt", 0, 40.0), (64, "sim", 0, 41.0),
                     (128, "toymt", 0, 80.0), (128, "sim", 0, 82.0)])
    out = toymt.summarize(raw).set_index("inflight")
    assert out.loc[4, "toymt"] == 11.0 and out.loc[4, "toymt_spread"] == pytest.approx(2 / 11)
    assert out.loc[4, "sim_vs_toymt"] == pytest.approx(0.01)
    assert out.loc[4, "sim_ok"] and not out.loc[4, "threads_ok"]  # 4.5% > 2%
    assert not out.loc[64, "sim_ok"]  # 2.5% > 2% up to 64 in flight
    assert out.loc[128, "sim_ok"]  # 2.5% <= 3% at 128
    assert out.loc[128, "threads_ok"] is None  # not run there
    with pytest.raises(InputError, match="missing columns"):
        toymt.summarize(raw.drop(columns="rate"))


@pytest.mark.parametrize("point, match", [
    (("hipileup", "fully re-entrant", "3N", 4), "unknown pool"),
    (("zerobias", "fully re-entrant", "N+4", 4), "unknown config"),
    (("hipileup", "sometimes", "N+4", 4), "unknown variant"),
    (("hipileup", "fully re-entrant", "N+4", 0), "in flight"),
    (("hipileup", "N+4", 4), "expected"),
])
def test_compare_refuses_bad_points_before_running(point, match):
    with pytest.raises(InputError, match=match):
        toymt.compare([point])


def test_worst_gap_takes_one_curve_up_to_a_limit():
    raw = _raw_rows([(n, side, 0, x) for n, side, x in
                     [(1, "toymt", 1.0), (1, "sim", 1.01), (64, "toymt", 10.0), (64, "sim", 9.7),
                      (128, "toymt", 20.0), (128, "sim", 21.0)]]).assign(pool="2N+16")
    summary = toymt.summarize(raw)
    assert toymt.worst_gap(summary, "sim", max_inflight=64) == pytest.approx(0.03)
    assert toymt.worst_gap(summary, "sim", max_inflight=128) == pytest.approx(0.05)
    assert np.isnan(toymt.worst_gap(summary, "threads", max_inflight=64))


def test_bench_bad_input_is_one_line():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/bench_scheduler_toymt.py"),
                           "--repeat", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--repeat" in done.stderr


def test_refresh_sim_resimulates_only_the_sim_rows(tmp_path):
    raw = _raw_rows([(2, "toymt", 0, 1.0), (2, "threads", 0, 1.1), (2, "sim", 0, -1.0)])
    path = tmp_path / "saved.csv"
    raw.to_csv(path, index=False)
    fresh = toymt.refresh_sim(toymt.load_results(path))
    assert sorted(fresh["side"]) == ["sim", "threads", "toymt"]
    sim = fresh[fresh["side"] == "sim"]["rate"].item()
    config = parse(toymt.read_raw(find_data(toymt.CONFIG_FILES["hipileup"])), "hipileup")
    again = toymt.run_labkit(config, backend="sim", inflight=2, events=4, scale=0.05,
                             threads=6)["rate"]  # the row's pool: nThreads = N + 4
    assert sim == pytest.approx(again) and sim > 0
    raw.drop(columns="scale").to_csv(path, index=False)
    with pytest.raises(InputError, match="older bench"):
        toymt.load_results(path)


def test_plan_covers_the_issue_points():
    points = toymt.check_points(toymt.plan())
    reentrant = [n for c, v, p, n in points if v == "fully re-entrant" and p == "N+4"]
    assert reentrant == [1, 2, 4, 8, 16, 32, 64, 128]
    assert {v for _, v, _, _ in points} == set(toymt.VARIANTS)
    assert set(toymt.plan(quick=True)) <= set(points)


def test_gap_vs_load_pairs_each_peer_run_with_the_sim():
    raw = _raw_rows([(4, "sim", 0, 12.0), (4, "toymt", 0, 12.0), (4, "toymt", 1, 10.0),
                     (4, "toymt", 2, 8.0), (4, "threads", 0, 11.0)])
    raw["load"] = [1.0, 2.0, 10.0, 30.0, 5.0]
    out = toymt.gap_vs_load(raw).sort_values("load")
    np.testing.assert_allclose(out["gap"], [0.0, 0.2, 0.5])
    assert list(out["load"]) == [2.0, 10.0, 30.0]
    assert out.attrs["spearman"] == pytest.approx(1.0)
    with pytest.raises(InputError, match="load"):
        toymt.gap_vs_load(raw.drop(columns="load"))
