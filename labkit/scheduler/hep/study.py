"""Running a configuration: one simulation (the CLI's ``cms simulate``) and the sweeps
behind the paper's Figures 3 and 4.

Throughputs are steady-state (:func:`~labkit.scheduler.hep.processor.steady_throughput`);
a sweep point with N in flight processes ``k N + 100 + N`` events (:func:`sweep_events`);
``speedup_vs_serial`` divides by the single-threaded framework's throughput on the same
events (simulated for ``sim``, run for real for ``threads``).
"""

from __future__ import annotations

import random
import time

from labkit.lab.errors import InputError
from labkit.scheduler.hep.analysis import work_between
from labkit.scheduler.hep.modules import Source
from labkit.scheduler.hep.processor import EventProcessor, check_positive
from labkit.scheduler.hep.serial import SerialFramework
from labkit.scheduler.runtime import WAITS, check_max_threads, make_runtime

FIG3_CURVES = ("single-threaded processes", "all thread-unsafe", "thread-unsafe processes",
               "fully re-entrant")
FIG4_CURVES = ("fully re-entrant", "one event at a time", "re-entrant, serial source and output")


def prepare(config, wait: str | None = None):
    """The configuration with every module's wait forced to ``wait`` (None: as is)."""
    if wait is None:
        return config
    if wait not in WAITS:
        raise InputError(f"unknown wait {wait!r}: choose busy or sleep")
    return config.with_wait(wait)


def source_for(events: int, seed: int | None = None) -> Source:
    """``events`` events; a seed starts them at a random place in the eventTimes cycle."""
    check_positive("events", events)
    offset = 0 if seed is None else random.Random(seed).randrange(100)
    return Source(events, offset=offset)


class Counted:
    """A source whose every read advances ``bar`` (a tqdm bar): the progress of a long
    run, shown without touching the processor (both frameworks read their source)."""

    def __init__(self, source: Source, bar):
        self.source, self.bar, self.time = source, bar, source.time

    def __iter__(self):
        for item in self.source:
            self.bar.update(1)
            yield item


def progress_bar(total: int, desc: str, show: bool | None = None):
    """A tqdm bar on stderr; ``show`` None: only when stderr is a terminal (a log or a
    pipe gets no bar)."""
    import sys

    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="ev", file=sys.stderr, disable=not show,
                leave=False)


def _counted(source: Source, bar):
    return source if bar is None else Counted(source, bar)


def thread_limit(config, max_threads=None):
    """The thread pool's limit: ``max_threads`` if given, else the configuration's
    ``options.nThreads`` (a fixed pool, as toy-mt-framework's TBB back end), else none."""
    if max_threads is not None:
        return check_max_threads(max_threads)
    return check_max_threads(getattr(config, "threads", None))


def run_framework(config, *, cores: int, inflight: int, events: int, safety="as-config",
                  serial_io=False, backend="sim", time_scale=1.0, seed=None, record=False,
                  coroutines=False, warmup=None, overhead=None, max_threads=None,
                  progress=None):
    """Process ``events`` events and return the ProcessResult (``warmup``: events left
    out of the steady-state throughput, default ``inflight``; ``overhead``: an
    :class:`~labkit.scheduler.overhead.Overhead`, default zero; ``max_threads``: the
    pool's limit, see :func:`thread_limit`; ``progress``: a bar each read advances)."""
    check_positive("cores", cores)
    runtime = make_runtime(backend, cores, time_scale=time_scale, record=record,
                           overhead=overhead, max_threads=thread_limit(config, max_threads))
    modules = config.modules
    if coroutines:
        from labkit.scheduler.hep.coroutine_modules import as_coroutines

        modules = as_coroutines(modules)
    processor = EventProcessor(runtime, modules, config.paths, inflight=inflight,
                               safety=safety, serial_io=serial_io)
    result = processor.run(_counted(source_for(events, seed), progress))
    result.warmup = warmup
    return result


def module_timeline(config, *, backend="sim", cores: int = 1, time_scale: float = 1.0,
                    events: int = 1) -> "pd.DataFrame":
    """Start and end, in the configuration's seconds (scaled back), of every module task
    of a run: ``backend, event, module, task, start, end`` (task ``sync-get-resume``: a
    module going on after a synchronous get)."""
    result = run_framework(config, cores=cores, inflight=config.inflight, events=events,
                           backend=backend, time_scale=time_scale, record=True)
    trace = result.trace
    rows = trace[trace.task.isin(["module", "sync-get-resume"])].copy()
    rows[["start", "end"]] = rows[["start", "end"]] / time_scale
    rows.insert(0, "backend", backend)
    return rows[["backend", "event", "module", "task", "start", "end"]].reset_index(drop=True)


def run_processes(config, *, processes: int, cores: int, events: int, safety="unsafe",
                  time_scale=1.0, seed=None, warmup=None, overhead=None):
    """``processes`` copies of the multi-threaded framework (one event in flight each,
    every module ``safety``) sharing ``cores`` simulated cores and one stream of events:
    the paper's Figure 3 thread-unsafe curve. The ProcessResult counts all processes'
    events, ``inflight = processes`` (steady state over the whole machine)."""
    import pandas as pd

    from labkit.scheduler.hep.processor import EVENT_COLUMNS, ProcessResult

    check_positive("processes", processes)
    check_positive("cores", cores)
    runtime = make_runtime("sim", cores, time_scale=time_scale, record=False,
                           overhead=overhead, max_threads=thread_limit(config))
    stream = iter(source_for(events, seed))
    jobs = [EventProcessor(runtime, config.modules, config.paths, inflight=1, safety=safety)
            for _ in range(processes)]
    wall = time.perf_counter()
    for job in jobs:
        job.start(stream)
    runtime.run()
    parts = [job.result(0.0) for job in jobs]
    frame = pd.concat([p.events for p in parts], ignore_index=True)[EVENT_COLUMNS]
    return ProcessResult(events=frame.sort_values("event", ignore_index=True),
                         module_runs=sum(p.module_runs for p in parts),
                         sim_time_s=max(p.sim_time_s for p in parts),
                         wall_s=time.perf_counter() - wall, inflight=processes,
                         warmup=warmup)


def run_serial(config, *, events: int, processes: int = 1, cores: int | None = None,
               backend="sim", time_scale=1.0, seed=None, warmup=None, overhead=None,
               progress=None):
    """The single-threaded framework: simulated (``processes`` jobs on ``cores``, paying
    ``overhead.single_threaded()``) or for real on this thread (``backend="threads"``,
    one process); ``progress`` as in :func:`run_framework`."""
    framework = SerialFramework(config.modules, config.paths)
    source = _counted(source_for(events, seed), progress)
    if backend == "threads":
        return framework.run(source, time_scale=time_scale)
    serial_overhead = None if overhead is None else overhead.single_threaded()
    runtime = make_runtime("sim", cores or processes, time_scale=time_scale, record=False,
                           overhead=serial_overhead)
    result = framework.run_on(runtime, source, processes=processes)
    result.warmup = warmup
    return result


def simulate(config, *, cores: int, inflight: int, events: int, wait: str | None = None,
             safety: str = "as-config", serial_io: bool = False, backend: str = "sim",
             time_scale: float = 1.0, seed: int | None = None, overhead=None,
             max_threads: int | None = None, progress: bool | None = False) -> dict:
    """The ``labkit cms simulate`` answer (keys as in DESIGN.md). The run's memory, time,
    OS threads and whether its answer is defined are checked before it starts
    (:func:`labkit.scheduler.hep.budget.check_simulate`); ``progress`` shows a bar of
    the events read by both runs (None: when stderr is a terminal)."""
    from labkit.scheduler.hep.budget import check_simulate
    from labkit.scheduler.overhead import Overhead

    config = prepare(config, wait)
    for name, value in (("cores", cores), ("events in flight", inflight)):
        check_positive(name, value)
    offset = source_for(events, seed).offset
    work = work_between(config, offset, offset + events) * time_scale
    check_simulate(config, cores=cores, inflight=inflight, events=events, backend=backend,
                   time_scale=time_scale, overhead=overhead or Overhead.zero(),
                   max_threads=thread_limit(config, max_threads), work_s=work)
    with progress_bar(2 * events, "framework, then single-threaded", progress) as bar:
        result = run_framework(config, cores=cores, inflight=inflight, events=events,
                               safety=safety, serial_io=serial_io, backend=backend,
                               time_scale=time_scale, seed=seed, overhead=overhead,
                               max_threads=max_threads, progress=bar)
        serial = run_serial(config, events=events, backend=backend, time_scale=time_scale,
                            seed=seed, overhead=overhead, progress=bar)
    throughput = result.throughput
    serial_throughput = serial.throughput
    return {
        "throughput_ev_per_s": throughput,
        "events": int((result.events["status"] == "ok").sum()),
        "module_runs": result.module_runs,
        "sim_time_s": result.sim_time_s,
        "wall_s": result.wall_s,
        "speedup_vs_serial": throughput / serial_throughput,
        "mean_concurrency": work / result.sim_time_s if result.sim_time_s > 0 else 0.0,
    }


def sweep_events(inflight: int, turnovers: int = 2, cycle: int = 100) -> tuple[int, int]:
    """(events, warm-up) for a sweep point with N in flight: ``turnovers`` x N events of
    warm-up, one whole eventTimes cycle (100 events) measured, then N events of drain
    (see :func:`steady_throughput`), so every point averages the same event mix as the
    single-threaded reference. An unsaturated system is steady after one turnover; a
    saturated serial queue needs about four (then within 0.1% of its exact plateau,
    1 / mean service time; two turnovers still leave a few % of start-up bias)."""
    warmup = turnovers * inflight
    return warmup + cycle + inflight, warmup


def _progress(items, progress: bool, desc: str):
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, leave=False)


def figure3(config, *, inflights, cores: int = 16, overhead=None, progress: bool = False):
    """Busy modules on ``cores`` cores: throughput vs N (processes or events in flight).

    Curves (:data:`FIG3_CURVES`): N single-threaded processes; one framework process with
    every module thread-unsafe and N events in flight; N framework processes with every
    module thread-unsafe (as the paper measured it); one fully re-entrant framework with
    N events in flight. The framework pays ``overhead``, the single-threaded processes
    ``overhead.single_threaded()``. Rows: ``curve, inflight, throughput,
    speedup_vs_serial, vs_processes`` where ``vs_processes`` divides by ``min(N, cores)``
    single-threaded processes' worth of one process's throughput."""
    import pandas as pd

    config = prepare(config, "busy")
    events, warmup = sweep_events(1)
    serial = run_serial(config, events=events, warmup=warmup, overhead=overhead).throughput
    rows = []
    for n in _progress(list(inflights), progress, "Figure 3"):
        events, warmup = sweep_events(n)
        common = dict(events=events, warmup=warmup, overhead=overhead)
        procs = run_serial(config, processes=n, cores=cores, **common).throughput
        unsafe = run_framework(config, cores=cores, inflight=n, safety="unsafe",
                               **common).throughput
        unsafe_procs = run_processes(config, processes=n, cores=cores, **common).throughput
        reentrant = run_framework(config, cores=cores, inflight=n, safety="reentrant",
                                  **common).throughput
        for curve, x in zip(FIG3_CURVES, (procs, unsafe, unsafe_procs, reentrant)):
            rows.append((curve, n, x, x / serial, x / (min(n, cores) * serial)))
    return pd.DataFrame(rows, columns=["curve", "inflight", "throughput", "speedup_vs_serial",
                                       "vs_processes"])


def unsafe_overhead(frame) -> dict:
    """From a :func:`figure3` frame: N thread-unsafe framework processes over N
    single-threaded processes, worst point (``cms.unsafe_overhead``) and per N."""
    by = frame.pivot(index="inflight", columns="curve", values="throughput")
    ratio = by[FIG3_CURVES[2]] / by[FIG3_CURVES[0]]
    return {"worst": float(ratio.min()), "at": int(ratio.idxmin()),
            "per_n": {int(n): float(r) for n, r in ratio.items()}}


def figure4(config, *, inflights, limits=None, overhead=None, max_threads=None,
            progress: bool = False):
    """Sleeping modules (no core is held): throughput vs events in flight for a fully
    re-entrant framework, one-event-at-a-time modules and re-entrant producers with a
    serial source and output. Rows: ``curve, inflight, throughput, vs_single`` where
    ``vs_single`` = throughput / (N x single-threaded throughput). ``limits`` maps a
    curve to its largest events in flight (a flat curve need not go to 2000);
    ``overhead`` and ``max_threads`` as in :func:`run_framework`."""
    import pandas as pd

    config = prepare(config, "sleep")
    events, warmup = sweep_events(1)
    serial = run_serial(config, events=events, warmup=warmup, overhead=overhead).throughput
    settings = {FIG4_CURVES[0]: dict(safety="reentrant"),
                FIG4_CURVES[1]: dict(safety="one-at-a-time"),
                FIG4_CURVES[2]: dict(safety="reentrant", serial_io=True)}
    rows = []
    limits = limits or {}
    points = [(c, n) for n in inflights for c in FIG4_CURVES if n <= limits.get(c, n)]
    for curve, n in _progress(points, progress, "Figure 4"):
        # sleeping tasks hold no core: the core count does not matter, 1 is cheapest.
        # Fully re-entrant sleeping modules queue nowhere: one turnover of warm-up is
        # enough; the serial curves saturate a queue and need four
        events, warmup = sweep_events(n, turnovers=1 if curve == FIG4_CURVES[0] else 4)
        x = run_framework(config, cores=1, inflight=n, events=events, warmup=warmup,
                          overhead=overhead, max_threads=max_threads,
                          **settings[curve]).throughput
        rows.append((curve, n, x, x / (n * serial)))
    return pd.DataFrame(rows, columns=["curve", "inflight", "throughput", "vs_single"])


def figure4_claims(frame) -> dict:
    """The numbers Figure 4's claims are about, from a :func:`figure4` frame:

    - ``pipeline_last_keeping_up``: largest N where one-event-at-a-time modules still
      reach N single-threaded jobs (``vs_single >= 1``);
    - ``serial_io_diverges``: first N where the serial-output curve is 2% below fully
      re-entrant;
    - ``serial_io_flattens``: N where perfect scaling (fully re-entrant's per-event rate at
      N = 1) reaches the serial-output plateau (its throughput at its largest N);
    - ``reentrant_vs_single_at_max``: fully re-entrant ``vs_single`` at its largest N.
    """
    by = {c: f.set_index("inflight") for c, f in frame.groupby("curve")}
    pipe, full, sio = by[FIG4_CURVES[1]], by[FIG4_CURVES[0]], by[FIG4_CURVES[2]]
    keeping = pipe.index[pipe["vs_single"] >= 1 - 1e-9]
    common = sio.index.intersection(full.index)
    ratio = sio.loc[common, "throughput"] / full.loc[common, "throughput"]
    below = common[ratio.to_numpy() < 0.98]
    slope = full["throughput"].iloc[0] / full.index[0]
    return {
        "pipeline_last_keeping_up": int(keeping.max()) if len(keeping) else 0,
        "serial_io_diverges": int(below.min()) if len(below) else float("nan"),
        "serial_io_flattens": float(sio["throughput"].iloc[-1] / slope),
        "reentrant_vs_single_at_max": float(full["vs_single"].iloc[-1]),
        "reentrant_max_inflight": int(full.index.max()),
    }


def completion_rate(events, skip_first: int, skip_last: int) -> float:
    """Events per second between the ``skip_first``-th and the last-but-``skip_last``
    completion (ordered by end time). Unlike :func:`steady_throughput`'s N / latency it
    stays right when events wait to *start* (a source read waiting for a thread in a
    full pool is in no event's latency, so fewer than N events are really in flight)."""
    import numpy as np

    ends = np.sort(events["end"].to_numpy())
    first, last = skip_first, len(ends) - skip_last - 1
    if last <= first:
        raise InputError("completion_rate: not enough events between the skipped ones")
    return float((last - first) / (ends[last] - ends[first]))


def thread_limit_sweep(config, *, inflights, limit: int = 2048, overhead=None,
                       progress: bool = False):
    """Fully re-entrant sleeping modules in a pool of at most ``limit`` threads (each
    running module holds one, as usleep holds a libdispatch thread): rows ``inflight,
    throughput, vs_single, peak_threads``; throughput is :func:`completion_rate` after
    four turnovers of warm-up (a full pool is a saturated queue)."""
    import pandas as pd

    check_max_threads(limit)
    config = prepare(config, "sleep")
    events, warmup = sweep_events(1)
    serial = run_serial(config, events=events, warmup=warmup, overhead=overhead).throughput
    rows = []
    for n in _progress(list(inflights), progress, f"{limit} threads"):
        events, warmup = sweep_events(n, turnovers=4)
        result = run_framework(config, cores=1, inflight=n, events=events, warmup=warmup,
                               safety="reentrant", overhead=overhead, max_threads=limit,
                               record=False)
        x = completion_rate(result.events, warmup, n)
        rows.append((n, x, x / (n * serial), result.peak_threads))
    return pd.DataFrame(rows, columns=["inflight", "throughput", "vs_single", "peak_threads"])


def thread_limit_knee(frame) -> float:
    """Events in flight where perfect scaling (the first point's throughput per event in
    flight) meets the thread-limited plateau (the throughput at the largest point, which
    must be past the knee): where the curve stops scaling, as ``serial_io_flattens``."""
    ordered = frame.sort_values("inflight")
    first = ordered.iloc[0]
    slope = first["throughput"] / first["inflight"]
    return float(ordered["throughput"].iloc[-1] / slope)


def across(figure, configs: dict, **options):
    """``figure`` (:func:`figure3` or :func:`figure4`) on each of ``configs`` (name ->
    configuration), one frame with a ``config`` column."""
    import pandas as pd

    frames = [figure(config, **options).assign(config=name) for name, config in configs.items()]
    return pd.concat(frames, ignore_index=True)


def figure3_summary(frame) -> dict:
    """Figure 3's headline numbers from a :func:`figure3` frame: fully re-entrant at 1 in
    flight over single-threaded; all thread-unsafe (one process), worst; N unsafe
    processes over N single-threaded, worst; fully re-entrant over N processes at the
    largest N up to 16."""
    t = frame.set_index(["curve", "inflight"])
    n = int(min(16, frame["inflight"].max()))
    unsafe = frame[frame.curve == FIG3_CURVES[1]]
    return {
        "reentrant_at_1": float(t.loc[(FIG3_CURVES[3], 1), "speedup_vs_serial"]),
        "unsafe_one_process_worst": float(unsafe["speedup_vs_serial"].min()),
        "unsafe_processes_worst": unsafe_overhead(frame)["worst"],
        "reentrant_vs_processes_n": n,
        "reentrant_vs_processes": float(t.loc[(FIG3_CURVES[3], n), "throughput"]
                                        / t.loc[(FIG3_CURVES[0], n), "throughput"]),
    }
