"""The per-task overhead model and the thread pool, on both backends."""

import json
import math

import pytest

from labkit import InputError
from labkit.cli import main
from labkit.lab import find_data
from labkit.scheduler import overhead as oh
from labkit.scheduler.hep import study
from labkit.scheduler.overhead import Overhead
from labkit.scheduler.runtime import BUSY, SLEEP, Task, make_runtime


def test_zero_overhead_is_todays_simulation_bit_for_bit(hipileup):
    # values printed by the simulation before the overhead model and thread pool existed
    # (commit 6c8de83, same configuration, same call)
    today = {("busy", "reentrant", 16, 16): (92.70545406557012, 25428),
             ("sleep", "one-at-a-time", 1, 8): (153.0999374553, 17604)}
    for (wait, safety, cores, n), (makespan, runs) in today.items():
        cfg = study.prepare(hipileup, wait)
        for overhead in (None, Overhead.zero()):
            r = study.run_framework(cfg, cores=cores, inflight=n, events=2 * n + 20,
                                    safety=safety, overhead=overhead)
            assert r.sim_time_s == makespan and r.module_runs == runs


def test_sim_durations_are_the_hand_computed_costs():
    cost = Overhead(dispatch_s=0.1, per_module_s=0.2, sleep_overshoot_s=0.01,
                    sleep_overshoot_per_s=0.1)
    rt = make_runtime("sim", 1, time_scale=0.5, overhead=cost)
    rt.concurrent.async_(Task(lambda: None, 2.0, BUSY, "b"))
    rt.concurrent.async_(Task(lambda: None, 2.0, SLEEP, "s"))
    rt.run()
    tr = rt.trace().set_index("task")
    assert tr.loc["b", "end"] - tr.loc["b", "start"] == pytest.approx(2.0 * 0.5 + 0.3)
    assert tr.loc["s", "end"] - tr.loc["s", "start"] == pytest.approx(2 * 0.5 * 1.1 + 0.31)


def test_threads_backend_applies_the_same_durations():
    cost = Overhead(dispatch_s=0.001, per_module_s=0.002, sleep_overshoot_s=0.003,
                    sleep_overshoot_per_s=0.5)
    burned = []
    rt = make_runtime("threads", 1, time_scale=0.1, overhead=cost, busy=burned.append)
    rt.concurrent.async_(Task(lambda: None, 0.2, BUSY, "b"))
    rt.concurrent.async_(Task(lambda: None, 0.2, SLEEP, "s"))
    rt.run()
    assert burned == [pytest.approx(0.2 * 0.1 + 0.003)]
    slept = rt.trace().set_index("task").eval("end - start")["s"]
    assert slept >= 0.2 * 0.1 * 1.5 + 0.006


@pytest.mark.parametrize("bad", [-1e-6, math.nan, math.inf, "1", True])
def test_bad_overhead_values(bad):
    with pytest.raises(InputError, match="overhead dispatch_s"):
        Overhead(dispatch_s=bad)


def test_profiles_and_the_toymt_stand_in(tmp_path, monkeypatch):
    threads = oh.load("threads")
    assert threads.dispatch_s > 0 and threads.sleep_overshoot_s > 0
    monkeypatch.setattr(oh, "CALIBRATION", tmp_path)
    (tmp_path / "threads.json").write_text(json.dumps(
        {"dispatch_s": 1e-6, "per_module_s": 2e-6, "sleep_overshoot_s": 5e-5,
         "sleep_overshoot_per_s": 0.0}))
    stand_in = oh.load("toymt")
    assert stand_in.per_module_s == 2e-6 and "stands in" in stand_in.source
    (tmp_path / "toymt.json").write_text(json.dumps(
        {"dispatch_s": 3e-6, "per_module_s": 4e-5, "sleep_overshoot_s": 7e-5,
         "sleep_overshoot_per_s": 0.01, "measured": {}}))
    assert oh.load("toymt").per_module_s == 4e-5
    assert oh.parse("0,1e-5,0,0").per_module_s == 1e-5
    with pytest.raises(InputError, match="unknown overhead"):
        oh.load("tbb")
    assert Overhead(per_module_s=1.0).single_threaded().is_zero


def test_sim_thread_limit_makes_sleeping_tasks_wait():
    rt = make_runtime("sim", 1, max_threads=2)
    for i in range(5):
        rt.concurrent.async_(Task(lambda: None, 1.0, SLEEP, "t", "m", i))
    rt.run()
    assert rt.now() == pytest.approx(3.0) and rt.peak_threads == 2
    busy = make_runtime("sim", 4, max_threads=2)
    for i in range(6):
        busy.concurrent.async_(Task(lambda: None, 1.0, BUSY, "t", "m", i))
    busy.run()
    assert busy.now() == pytest.approx(3.0)  # 4 cores but 2 threads: 3 rounds
    with pytest.raises(InputError, match="thread limit"):
        make_runtime("sim", 1, max_threads=0)


def test_threads_sleeping_modules_block_worker_threads():
    rt = make_runtime("threads", 1, busy=lambda s: None)
    for i in range(6):
        rt.concurrent.async_(Task(lambda: None, 0.1, SLEEP, "t", "m", i))
    rt.run()
    assert rt.peak_threads == 6  # six sleeping tasks: six blocked workers at once
    assert rt.now() < 0.18
    limited = make_runtime("threads", 1, max_threads=2, busy=lambda s: None)
    for i in range(6):
        limited.concurrent.async_(Task(lambda: None, 0.05, SLEEP, "t", "m", i))
    limited.run()
    assert limited.peak_threads == 2 and limited.now() >= 0.15


def test_configuration_nthreads_is_the_default_limit(hipileup):
    from dataclasses import replace

    cfg = replace(study.prepare(hipileup, "sleep"))
    cfg.threads = 4  # options.nThreads
    fixed = study.run_framework(cfg, cores=1, inflight=16, events=20)
    free = study.run_framework(cfg, cores=1, inflight=16, events=20, max_threads=10_000)
    assert fixed.sim_time_s > 2 * free.sim_time_s


def call(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, message", [
    (["--overhead=-1,0,0,0"], "overhead dispatch_s"),
    (["--overhead", "0,nan,0,0"], "overhead per_module_s"),
    (["--overhead", "fast"], "--overhead"),
    (["--max-threads", "0"], "--max-threads: must be a positive integer"),
])
def test_cli_bad_overhead_and_thread_limit_exit_2(capsys, argv, message):
    path = str(find_data("cms/test_config.json"))
    code, out, err = call(capsys, "cms", "simulate", "--config", path, "--cores", "1",
                          "--inflight", "1", "--events", "2", *argv, "--json")
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_overhead_slows_the_simulation(capsys):
    path = str(find_data("cms/test_config.json"))
    args = ["cms", "simulate", "--config", path, "--cores", "1", "--inflight", "1",
            "--events", "10", "--json"]
    base = json.loads(call(capsys, *args)[1])
    slow = json.loads(call(capsys, *args, "--overhead", "0.001,0,0,0")[1])
    # 6 modules + 3 framework tasks per event, each 1 ms later, one at a time
    assert slow["sim_time_s"] == pytest.approx(base["sim_time_s"] + 10 * 9 * 0.001, rel=0.05)
