"""The real-thread measurements: memory and CPU in a fresh process, busy vs sleep."""

import pytest

from labkit import InputError
from labkit.lab import find_data
from labkit.scheduler.hep import footprint
from labkit.scheduler.hep.config import load


def test_footprint_runs_in_a_fresh_process_and_reports_its_own_peak(hipileup):
    import numpy as np

    parent = np.ones(1_500_000_000 // 8)  # a large parent must not show in the child's peak
    got = footprint.footprint(inflight=20, events=20, time_scale=0.002, max_threads=64)
    del parent
    assert got["events"] == 20 and got["inflight"] == 20
    assert 1 <= got["peak_threads"] <= 64
    assert got["rss_before_run_gb"] <= got["peak_rss_gb"] < 1.0
    assert 0 < got["cpu_share"] <= 1.0 + 1e-9
    assert got["cpu_s"] == pytest.approx(got["cpu_share"] * got["wall_s"] * got["cores"])


def test_footprint_measurement_reports_consistent_numbers(hipileup):
    got = footprint.measure_here(inflight=20, events=20, time_scale=0.002, max_threads=64)
    assert got["events"] == 20 and 1 <= got["peak_threads"] <= 64
    assert got["rss_before_run_gb"] <= got["peak_rss_gb"]
    assert got["cpu_s"] == pytest.approx(got["cpu_share"] * got["wall_s"] * got["cores"])


def test_busy_and_sleeping_modules_take_the_same_time_one_at_a_time():
    config = load(find_data("cms/test_config.json"))
    got = footprint.busy_vs_sleep(config, events=3, time_scale=1.0)
    # 3 events x 30 ms of modules, one module at a time, either way; a busy-wait is
    # calibrated in iterations, so load while calibrating (this test runs beside others) or
    # running moves it by up to 2x either way
    assert 0.02 <= got["busy_s"] < 1.0  # a no-op busy-wait would take ~1 ms
    assert 0.09 <= got["sleep_s"] < 1.0
    assert got["difference"] == pytest.approx(abs(got["sleep_s"] / got["busy_s"] - 1))


def test_footprint_bad_input():
    with pytest.raises(InputError, match="events in flight"):
        footprint.footprint(inflight=0)
    with pytest.raises(InputError, match="thread limit"):
        footprint.footprint(inflight=2, max_threads=0)


def test_one_process_of_each_side_runs_its_events():
    for side in ("framework", "serial"):
        start, end = footprint._one_process(side, "test_config.json", 2, 0.5, 0)
        # 2 events x 30 ms x 0.5 of busy-wait, calibrated in iterations: a calibration
        # made while other tests load the cores makes it run short, hence the slack
        assert end - start >= 2 * 0.030 * 0.5 * 0.2
    with pytest.raises(InputError, match="processes"):
        footprint.unsafe_processes(processes=0)
