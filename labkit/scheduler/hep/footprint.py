"""labkit's own framework run for real: memory and CPU at many events in flight, and
the paper's check that busy-wait and usleep modules agree.

:func:`footprint` runs the high-pileup configuration with sleeping modules on the
threads backend (each sleeping module blocks a worker thread, up to ``max_threads``) in
a fresh Python process, so that its peak resident memory and CPU time are the run's own
(the peak is ``VmHWM``, the high-water mark of the process's own address space: Linux
carries ``ru_maxrss`` across ``execve``, so a child of a large process would report the
parent's size): the paper reports 1.1 GB resident and 1/8 of the CPU at 2000 events in
flight. ``cpu_share`` is CPU seconds / (wall seconds x this machine's cores).

:func:`busy_vs_sleep` runs a configuration where busy-wait and sleeping modules should
take the same time (every module thread-unsafe, one event in flight: one module at a
time, so a busy module always has a core) with both module types, alternating, and
returns how far apart their wall times are.

    python -m labkit.scheduler.hep.footprint --inflight 2000 --events 2000 --time-scale 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from labkit.scheduler.hep.processor import check_positive


def _status_kb(field: str) -> int:
    """A ``/proc/self/status`` field in kB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _peak_rss_kb() -> int:
    """This address space's peak resident memory (kB): VmHWM, else ru_maxrss."""
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_here(*, inflight: int, events: int, time_scale: float,
                 max_threads: int | None = 2048) -> dict:
    """Run in this process and measure (call it in a fresh process: see :func:`footprint`)."""
    from labkit.scheduler.hep import study
    from labkit.scheduler.hep.data import cms_config

    config, real = cms_config()
    config = study.prepare(config, "sleep")
    cores = os.cpu_count() or 1
    study.run_framework(config, cores=cores, inflight=1, events=1, backend="threads",
                        time_scale=1e-9)  # imports, numba calibration: not the run's cost
    before_kb = _peak_rss_kb()
    cpu0, wall0 = os.times(), time.perf_counter()
    result = study.run_framework(config, cores=cores, inflight=inflight, events=events,
                                 backend="threads", time_scale=time_scale,
                                 safety="reentrant", max_threads=max_threads)
    wall = time.perf_counter() - wall0
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    peak_kb = _peak_rss_kb()
    return {"inflight": inflight, "events": int(len(result.events)), "time_scale": time_scale,
            "max_threads": max_threads, "real_data": real,
            "peak_rss_gb": peak_kb / 1024 ** 2, "rss_before_run_gb": before_kb / 1024 ** 2,
            "peak_virtual_gb": _status_kb("VmPeak") / 1024 ** 2,
            "peak_threads": result.peak_threads, "wall_s": wall, "cpu_s": cpu,
            "cores": cores, "cpu_share": cpu / (wall * cores),
            "throughput_ev_per_s": result.throughput, "module_runs": result.module_runs}


def footprint(*, inflight: int = 2000, events: int | None = None, time_scale: float = 0.05,
              max_threads: int | None = 2048, timeout: float = 1800) -> dict:
    """:func:`measure_here` in a fresh Python process (its peak memory is the run's)."""
    check_positive("events in flight", inflight)
    events = inflight if events is None else check_positive("events", events)
    argv = [sys.executable, "-m", "labkit.scheduler.hep.footprint", "--inflight",
            str(inflight), "--events", str(events), "--time-scale", repr(time_scale)]
    if max_threads is not None:
        argv += ["--max-threads", str(check_positive("thread limit", max_threads))]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"footprint run failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def busy_vs_sleep(busy_config, sleep_config=None, *, events: int = 1,
                  time_scale: float = 0.25, repeat: int = 1) -> dict:
    """Wall time of ``events`` events, every module thread-unsafe, one in flight, on the
    threads backend, with ``busy_config`` (busy-wait modules) and ``sleep_config``
    (sleeping modules; default: ``busy_config`` with every module sleeping), alternating
    ``repeat`` times; the shortest run of each (other load on a shared machine only ever
    stretches a run, a busy-wait most). ``difference`` = |sleep / busy - 1|."""
    from labkit.scheduler.hep import study

    check_positive("repeat", repeat)
    if sleep_config is None:
        sleep_config = study.prepare(busy_config, "sleep")
    configs = {"busy": busy_config, "sleep": sleep_config}
    walls = {"busy": [], "sleep": []}
    for _ in range(repeat):
        for wait in walls:
            result = study.run_framework(configs[wait], cores=1, inflight=1,
                                         events=events, safety="unsafe", backend="threads",
                                         time_scale=time_scale)
            walls[wait].append(result.sim_time_s)
    busy, sleep = min(walls["busy"]), min(walls["sleep"])
    return {"busy_s": busy, "sleep_s": sleep, "difference": abs(sleep / busy - 1),
            "expected_overshoot": overshoot_share(sleep_config, events, time_scale),
            "events": events, "time_scale": time_scale, "repeat": repeat}


def overshoot_share(config, events: int, time_scale: float, overhead=None) -> float:
    """How much longer the sleeping run should be, from the calibrated sleep overshoot
    (``overhead``, default this machine's threads calibration) of every module with a
    time > 0 (the threads backend does not call sleep for zero), over the events' work."""
    from labkit.scheduler.hep.analysis import event_times
    from labkit.scheduler.overhead import load

    overhead = load("threads") if overhead is None else overhead
    _, times = event_times(config, events)
    slept = times[times > 0] * time_scale
    extra = len(slept) * overhead.sleep_overshoot_s + slept.sum() * overhead.sleep_overshoot_per_s
    return float(extra / (times.sum() * time_scale))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflight", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--time-scale", type=float, required=True)
    parser.add_argument("--max-threads", type=int, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(measure_here(inflight=args.inflight, events=args.events,
                                  time_scale=args.time_scale, max_threads=args.max_threads)))


if __name__ == "__main__":
    main()


def _one_process(side: str, name: str, events: int, time_scale: float, seed: int) -> tuple:
    """In a worker process: run ``events`` events of ``cms/<name>`` (busy modules) as
    ``side`` ("framework": threads backend, every module thread-unsafe, one event in
    flight; "serial": the single-threaded framework); (start, end) wall clock."""
    from labkit.scheduler.hep import study
    from labkit.scheduler.hep.data import cms_config

    config = study.prepare(cms_config(name)[0], "busy")
    start = time.time()
    if side == "framework":
        study.run_framework(config, cores=1, inflight=1, events=events, safety="unsafe",
                            backend="threads", time_scale=time_scale, seed=seed)
    else:
        study.run_serial(config, events=events, backend="threads", time_scale=time_scale,
                         seed=seed)
    return start, time.time()


def unsafe_processes(*, processes: int = 2, events: int = 4, time_scale: float = 0.01,
                     repeat: int = 2, name: str = "reco_hipileup_5_2_0_busywait_perfectIO.config"
                     ) -> dict:
    """The paper's Figure 3 thread-unsafe measurement, for real: ``processes`` OS
    processes at once, each labkit's framework on real threads with every module
    thread-unsafe, against as many single-threaded processes (busy modules, times x
    ``time_scale``, ``events`` each; sides alternate ``repeat`` times, medians).
    ``ratio`` = framework throughput / single-threaded throughput (events per wall
    second of the whole group, first start to last end)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    for label, value in (("processes", processes), ("events", events), ("repeat", repeat)):
        check_positive(label, value)
    rates = {"framework": [], "serial": []}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        list(pool.map(_one_process, ["framework"] * processes, [name] * processes,
                      [1] * processes, [1e-6] * processes, range(processes)))  # warm up
        for _ in range(repeat):
            for side in rates:
                spans = list(pool.map(_one_process, [side] * processes, [name] * processes,
                                      [events] * processes, [time_scale] * processes,
                                      range(processes)))
                wall = max(e for _, e in spans) - min(s for s, _ in spans)
                rates[side].append(processes * events / wall)
    framework, serial = (statistics.median(rates[s]) for s in ("framework", "serial"))
    return {"ratio": framework / serial, "framework_ev_per_s": framework,
            "serial_ev_per_s": serial, "processes": processes, "events": events,
            "time_scale": time_scale, "repeat": repeat, "runs": rates}
