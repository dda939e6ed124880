"""Figure 3 as the paper ran it (N framework processes) and the thread-limit knee."""

import pandas as pd
import pytest

from labkit import InputError
from labkit.lab import find_data
from labkit.scheduler.hep import study
from labkit.scheduler.hep.analysis import event_times
from labkit.scheduler.hep.config import load
from labkit.scheduler.overhead import Overhead


@pytest.fixture(scope="module")
def demo():
    return study.prepare(load(find_data("cms/test_config.json")), "busy")


def test_unsafe_process_pays_its_overhead_once_per_task(demo):
    # one process, one event at a time, every module on one serial queue: each event is
    # 30 ms of module work and 9 tasks (6 modules, source, paths-done, event-done) in a row
    r = study.run_processes(demo, processes=1, cores=2, events=10,
                            overhead=Overhead(per_module_s=0.001))
    assert r.sim_time_s == pytest.approx(10 * (0.030 + 9 * 0.001))


def test_unsafe_processes_match_single_threaded_ones_without_overhead(demo):
    procs = study.run_processes(demo, processes=3, cores=3, events=30)
    serial = study.run_serial(demo, processes=3, cores=3, events=30)
    assert procs.sim_time_s == pytest.approx(serial.sim_time_s)
    assert procs.throughput == pytest.approx(serial.throughput)
    assert len(procs.events) == 30 and procs.events["event"].is_unique


def test_figure3_unsafe_overhead_follows_the_per_task_cost(hipileup):
    cost = Overhead(dispatch_s=2e-4, per_module_s=3e-4)
    frame = study.figure3(hipileup, inflights=[2], cores=4, overhead=cost)
    got = study.unsafe_overhead(frame)["worst"]
    _, times = event_times(study.prepare(hipileup, "busy"), 100)
    work = times.sum() / 100  # mean module seconds per event
    tasks = 491 + 3
    assert got == pytest.approx(work / (work + tasks * 5e-4), rel=2e-3)


def test_knee_rule_on_a_hand_made_curve():
    frame = pd.DataFrame({"inflight": [300, 1, 100, 200],
                          "throughput": [10.5, 0.05, 5.0, 9.8]})
    assert study.thread_limit_knee(frame) == pytest.approx(10.5 / 0.05)


def test_completion_rate_counts_events_per_second_in_the_window():
    events = pd.DataFrame({"end": [5.0, 1.0, 2.0, 3.0, 4.0, 9.0]})
    assert study.completion_rate(events, 1, 1) == pytest.approx(3 / (5.0 - 2.0))
    with pytest.raises(InputError, match="not enough"):
        study.completion_rate(events, 3, 3)


def test_thread_limit_caps_throughput_at_threads_over_thread_seconds(hipileup):
    limit = 24
    frame = study.thread_limit_sweep(hipileup, inflights=[1, 60], limit=limit)
    _, times = event_times(study.prepare(hipileup, "sleep"), 100)
    bound = limit / (times.sum() / 100)  # each running module holds a thread
    top = frame.set_index("inflight").loc[60]
    assert top["peak_threads"] == limit
    assert top["throughput"] <= bound * 1.05
    with pytest.raises(InputError, match="thread limit"):
        study.thread_limit_sweep(hipileup, inflights=[1], limit=0)
