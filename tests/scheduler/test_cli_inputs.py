"""``labkit cms``: every bad number, file and size is refused before any work, with one
``labkit: error:`` line naming the problem and exit code 2 (never a traceback, a hang or
a billion-entry list)."""

import json
import os

import pytest

from labkit.cli import main
from labkit.lab import find_data
from labkit.lab.limits import human_bytes

DEMO = "cms/test_config.json"


def demo_path() -> str:
    path = find_data(DEMO)
    if path is None:
        pytest.skip("CMS data not available")
    return str(path)


def refused(capsys, argv, *fragments):
    """Run ``labkit argv``; assert the one-line refusal holds every fragment."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("labkit: error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def simulate_args(config, cores="2", inflight="2", events="10", *extra):
    return ["cms", "simulate", "--config", config, "--cores", cores, "--inflight", inflight,
            "--events", events, *extra, "--json"]


@pytest.fixture
def one_gigabyte(monkeypatch):
    """A fixed memory limit, so that the refusals do not depend on this machine."""
    monkeypatch.setenv("LABKIT_MEMORY_LIMIT", str(2**30))


def expected_bytes(cores, inflight, events, modules):
    """The documented per-item costs of labkit.scheduler.hep.budget, by hand."""
    return cores * 64 + inflight * (modules + 1) * 64 + events * 600


@pytest.mark.parametrize("cores, inflight, events", [
    (10**9, 2, 10), (2, 10**9, 10), (2, 2, 10**12)])
def test_sizes_that_do_not_fit_in_memory(capsys, one_gigabyte, cores, inflight, events):
    line = refused(capsys, simulate_args(demo_path(), f"{cores:g}", f"{inflight:g}",
                                         f"{events:g}"),
                   f"--cores {cores:,} --inflight {inflight:,} --events {events:,}",
                   f"needs about {human_bytes(expected_bytes(cores, inflight, events, 6))}",
                   "the limit is 1 GB ($LABKIT_MEMORY_LIMIT)")
    assert "of memory" in line


def test_a_run_longer_than_the_time_budget(capsys, one_gigabyte, monkeypatch):
    monkeypatch.setenv("LABKIT_TIME_BUDGET", "10")
    # 6 modules + 3 bookkeeping tasks per event, 8.5 µs each over both runs: 7.65 s per
    # 100,000 events, so 200,000 events take about 15 s
    refused(capsys, simulate_args(demo_path(), "2", "2", "2e5"),
            "--events 200,000 --backend sim would take about 15.3 s",
            "the time budget is 10 s")


def test_the_threads_backend_runs_for_real_time(capsys, monkeypatch):
    monkeypatch.setenv("LABKIT_TIME_BUDGET", "1")
    # demo events take 0.03 s each for real: 6 s for the single-threaded reference, 3 s
    # for the framework on 2 cores
    refused(capsys, simulate_args(demo_path(), "2", "2", "200", "--backend", "threads"),
            "--backend threads would take about 9", "the time budget is 1 s")


def test_threads_backend_cores_above_the_os_thread_limit(capsys):
    from labkit.lab.limits import thread_limit

    limit, source = thread_limit()
    refused(capsys, simulate_args(demo_path(), str(limit + 1), "2", "10", "--backend",
                                  "threads"),
            f"--cores with --backend threads is {limit + 1:,}; the limit is {limit:,}",
            source, "each busy core is an OS worker thread")


def test_threads_backend_max_threads_above_the_os_thread_limit(capsys):
    from labkit.lab.limits import thread_limit

    limit, _ = thread_limit()
    refused(capsys, simulate_args(demo_path(), "2", "2", "10", "--backend", "threads",
                                  "--max-threads", str(10 * limit)),
            f"--max-threads with --backend threads is {10 * limit:,}")


def test_sleeping_events_in_flight_need_a_thread_each(capsys):
    from labkit.lab.limits import thread_limit

    limit, _ = thread_limit()
    refused(capsys, simulate_args(demo_path(), "2", str(2 * limit), "10", "--backend",
                                  "threads", "--wait", "sleep"),
            f"--inflight with sleeping modules on --backend threads is {2 * limit:,}",
            "pass --max-threads")


@pytest.mark.parametrize("option, value, message", [
    ("--cores", "1.5", "--cores: must be a positive integer, got '1.5'"),
    ("--inflight", "0", "--inflight: must be a positive integer, got '0'"),
    ("--events", "-3", "--events: must be a positive integer, got '-3'"),
    ("--events", "nan", "--events: must be a positive integer, got 'nan'"),
    ("--seed", "-1", "--seed: must be a seed in 0..4294967295, got '-1'"),
    ("--seed", str(2**32), "--seed: must be a seed in 0..4294967295"),
    ("--time-scale", "inf", "--time-scale: must be a positive number, got 'inf'"),
    ("--time-scale", "1e300", "--time-scale 1e+300 with --overhead zero makes the longest "
                              "module run take 2e+298 s; the limit is 1e+06 s"),
    ("--max-threads", "0", "--max-threads: must be a positive integer, got '0'"),
    ("--overhead", "nan,0,0,0", "--overhead: overhead dispatch_s must be a finite number"),
])
def test_bad_numbers(capsys, option, value, message):
    args = simulate_args(demo_path())
    refused(capsys, [*args[:-1], option, value, "--json"], message)


def test_numbers_written_in_scientific_notation_are_accepted(capsys):
    code = main(simulate_args(demo_path(), "2e0", "2", "1e1", "--seed", "1e3"))
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["events"] == 10


def test_config_that_is_a_directory(capsys, tmp_path):
    refused(capsys, ["cms", "critical-path", "--config", str(tmp_path), "--json"],
            "--config:", "is a directory, not a regular file")


def test_config_that_is_a_fifo_does_not_hang(capsys, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    refused(capsys, simulate_args(str(fifo)), "is a FIFO (named pipe), not a regular file")


def test_config_that_links_to_dev_zero_is_not_read(capsys, tmp_path):
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    refused(capsys, ["cms", "critical-path", "--config", str(link), "--json"],
            "(a symlink to /dev/zero) is a character device, not a regular file")


def test_config_name_too_long(capsys):
    refused(capsys, ["cms", "critical-path", "--config", "c" * 300, "--json"],
            "(300 characters) cannot be read (File name too long)")


def test_missing_config(capsys, tmp_path):
    refused(capsys, simulate_args(str(tmp_path / "none.json")), "none.json not found")


def test_json_output_is_strict_json(capsys):
    code = main(simulate_args(demo_path()))
    out, _ = capsys.readouterr()

    def refuse(name):
        raise AssertionError(f"{name} in the output")
    assert code == 0
    assert set(json.loads(out, parse_constant=refuse)) >= {"throughput_ev_per_s",
                                                           "speedup_vs_serial"}


def test_progress_bar_on_request_and_never_in_a_pipe(capsys):
    assert main(simulate_args(demo_path(), "2", "2", "50")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["events"] == 50 and err == ""  # stderr is not a terminal
    assert main(simulate_args(demo_path(), "2", "2", "50", "--progress")) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["events"] == 50
    assert "framework, then single-threaded" in err and "/100 " in err


def test_the_progress_bar_counts_every_event_of_both_runs():
    from labkit.scheduler.hep import study
    from labkit.scheduler.hep.config import load

    class Tally:
        n = 0

        def update(self, k):
            self.n += k
    config, tally = load(demo_path()), Tally()
    study.run_framework(config, cores=2, inflight=3, events=17, progress=tally)
    study.run_serial(config, events=17, progress=tally)
    assert tally.n == 2 * 17


def test_ctrl_c_stops_with_one_line(capsys, monkeypatch):
    from labkit.scheduler.hep import study

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(study, "run_serial", interrupted)
    code = main(simulate_args(demo_path(), "2", "2", "50", "--progress"))
    out, err = capsys.readouterr()
    assert code == 130 and out == ""
    assert err.strip().splitlines()[-1] == "labkit: interrupted" and "Traceback" not in err
