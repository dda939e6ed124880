"""Measuring the overhead model's parameters on the threads backend of this machine.

:func:`measure_threads` runs three small experiments on real threads:

- dispatch: a chain of empty tasks, each submitting the next to the global queue (one
  at a time, so the wall time per task is the submit -> wake-up -> run -> release cost);
- per-module work: the CMS configuration with (almost) zero module times, one event in
  flight on one core: wall time per task minus the dispatch cost is what the
  framework's wrappers and groups add around each module;
- sleep overshoot: chains of sleeping tasks of ``t`` seconds; the median of (measured
  duration - t) per ``t``, fitted with a straight line a + b t (numpy.polyfit).

:func:`write_threads` stores the result in ``calibration/threads.json`` with how and when
it was measured; :func:`labkit.scheduler.overhead.load` reads it.
"""

from __future__ import annotations

import datetime
import json
import platform
import time

import numpy as np

from labkit.scheduler.overhead import CALIBRATION
from labkit.scheduler.runtime import BUSY, SLEEP, Task, make_runtime

SLEEPS = (0.0005, 0.001, 0.002, 0.005, 0.01)


def _chain(runtime, n: int, work: float, wait: str) -> None:
    """Run ``n`` tasks one after another, each submitting the next from its callable."""
    left = [n]

    def step():
        left[0] -= 1
        if left[0] > 0:
            runtime.concurrent.async_(Task(step, work, wait, "calibrate"))

    runtime.concurrent.async_(Task(step, work, wait, "calibrate"))
    runtime.run()


def dispatch_seconds(tasks: int = 3000, repeat: int = 3) -> float:
    """Wall seconds per empty task in a chain on the threads backend (best of ``repeat``)."""
    best = float("inf")
    for _ in range(repeat):
        runtime = make_runtime("threads", 1, record=False)
        t = time.perf_counter()
        _chain(runtime, tasks, 0.0, BUSY)
        best = min(best, (time.perf_counter() - t) / tasks)
    return best


def per_module_seconds(dispatch_s: float, events: int = 4, repeat: int = 3) -> float:
    """The framework's own seconds per task around a module, beyond the dispatch."""
    from labkit.scheduler.hep.data import cms_config
    from labkit.scheduler.hep.study import run_framework

    config, _ = cms_config()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        result = run_framework(config, cores=1, inflight=1, events=events,
                               backend="threads", time_scale=1e-12)
        wall = time.perf_counter() - t
        best = min(best, wall / (result.module_runs + 3 * events))
    return max(best - dispatch_s, 0.0)


def sleep_overshoot(sleeps=SLEEPS, per_point: int = 40) -> dict:
    """Median overshoot of sleeping tasks per sleep length, and the fitted a + b t."""
    medians = []
    for seconds in sleeps:
        runtime = make_runtime("threads", 1, record=True)
        _chain(runtime, per_point, seconds, SLEEP)
        trace = runtime.trace()
        medians.append(float(np.median(trace["end"] - trace["start"] - seconds)))
    slope, intercept = np.polyfit(np.asarray(sleeps), np.asarray(medians), 1)
    return {"sleeps_s": list(sleeps), "median_overshoot_s": medians,
            "sleep_overshoot_s": max(float(intercept), 0.0),
            "sleep_overshoot_per_s": max(float(slope), 0.0)}


def measure_threads() -> dict:
    """All three measurements, in the calibration file's layout (seconds)."""
    dispatch = dispatch_seconds()
    per_module = per_module_seconds(dispatch)
    sleep = sleep_overshoot()
    return {
        "dispatch_s": dispatch,
        "per_module_s": per_module,
        "sleep_overshoot_s": sleep["sleep_overshoot_s"],
        "sleep_overshoot_per_s": sleep["sleep_overshoot_per_s"],
        "measured": {
            "how": "labkit.scheduler.calibrate.measure_threads: chain of empty tasks "
                   "(dispatch, best of 3); hipileup configuration at ~zero module time, "
                   "1 core, 1 event in flight (per-module, best of 3, minus dispatch); "
                   "chains of sleeping tasks, median overshoot per length, linear fit",
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
            "python": platform.python_version(),
            "sleeps_s": sleep["sleeps_s"],
            "median_overshoot_s": sleep["median_overshoot_s"],
        },
    }


def write_threads(path=None) -> dict:
    """Measure and store ``calibration/threads.json`` (or ``path``); returns the data."""
    data = measure_threads()
    target = CALIBRATION / "threads.json" if path is None else path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2) + "\n")
    return data


if __name__ == "__main__":
    print(json.dumps(write_threads(), indent=2))
