"""What a ``cms simulate`` run will cost, estimated and checked before it starts.

A billion cores is a billion-entry free list, a million events in flight a million sets of
module wrappers, 10^12 events months of simulation: each is refused (one line, exit 2)
with the size asked, the estimate and the limit (:mod:`labkit.lab.limits`). The costs
are rough, measured once on a 2-core machine with the high-pileup configuration (491
modules); they only need to tell minutes from months:

- the simulation takes about 6 µs per task (a module run, a ParallelFor piece, a source
  read) in the framework and 2.5 µs in the single-threaded reference run after it;
- memory: about 40 B per simulated core, 22 B per module per event in flight (its
  wrappers), 280 B per processed event (its result row; the reference keeps one too).

The threads backend runs for real: the single-threaded reference alone takes the events'
work times the time scale, and each busy core and each sleeping module is an OS thread.
"""

from __future__ import annotations

from labkit.lab.errors import InputError
from labkit.lab.limits import check_count, check_memory, check_time, thread_limit
from labkit.scheduler.hep.analysis import needed_modules
from labkit.scheduler.hep.config import MAX_TIME_S

BYTES_PER_CORE = 64
BYTES_PER_INFLIGHT_MODULE = 64
BYTES_PER_EVENT = 2 * 300  # the framework's and the reference's result rows
SECONDS_PER_TASK = 6e-6 + 2.5e-6  # framework run + single-threaded reference, per task
TASKS_AROUND_AN_EVENT = 3  # the source read, paths done, event done


def tasks_per_event(config) -> int:
    """Tasks the framework runs per event: each needed module once, plus its ParallelFor
    pieces, plus the event's own bookkeeping."""
    return sum(1 + (m.n_ranges or 0) for m in needed_modules(config)) + TASKS_AROUND_AN_EVENT


def check_scaled_times(config, time_scale: float, overhead) -> None:
    """The longest module run, scaled and with the overhead model's costs, must stay a
    time the configuration could hold (``MAX_TIME_S``): beyond it sums overflow."""
    longest = max((max(m.times) for m in config.modules), default=0.0)
    seconds = max(overhead.duration(longest, sleep, time_scale) for sleep in (False, True))
    if not seconds <= MAX_TIME_S:
        raise InputError(f"--time-scale {time_scale:g} with --overhead {overhead.source} makes "
                         f"the longest module run take {seconds:g} s; the limit is "
                         f"{MAX_TIME_S:g} s per module run")


def check_threads(config, *, cores: int, inflight: int, max_threads: int | None) -> None:
    """The threads backend's OS threads: one per busy core, and one per sleeping module
    run unless the pool is capped."""
    limit, source = thread_limit()
    check_count("--cores with --backend threads", cores, limit,
                f"{source}; each busy core is an OS worker thread")
    if max_threads is not None:
        check_count("--max-threads with --backend threads", max_threads, limit, source)
    elif any(m.sleeps for m in config.modules):
        check_count("--inflight with sleeping modules on --backend threads", inflight, limit,
                    f"{source}; each event in flight holds a thread while a module sleeps: "
                    "pass --max-threads to cap the pool")


def check_simulate(config, *, cores: int, inflight: int, events: int, backend: str,
                   time_scale: float, overhead, max_threads: int | None, work_s: float) -> None:
    """Refuse a ``cms simulate`` run that would not fit in memory or in the time budget,
    or whose answer is undefined (``work_s``: the scaled work of the events to run)."""
    asked = f"--cores {cores:,} --inflight {inflight:,} --events {events:,}"
    check_memory(asked, cores * BYTES_PER_CORE
                 + inflight * (len(config.modules) + 1) * BYTES_PER_INFLIGHT_MODULE
                 + events * BYTES_PER_EVENT)
    check_scaled_times(config, time_scale, overhead)
    seconds = events * tasks_per_event(config) * SECONDS_PER_TASK
    if backend == "threads":
        check_threads(config, cores=cores, inflight=inflight, max_threads=max_threads)
        seconds += work_s * (1 + 1 / min(cores, inflight))  # reference, then the framework
    check_time(f"{asked} --backend {backend}", seconds)
    if backend == "sim" and work_s == 0 and overhead.is_zero:
        raise InputError(f"{config.name}: the modules do no work on these {events:,} events "
                         "(every time is 0), so the simulated time is 0 and the throughput "
                         "and speedup over single-threaded are undefined")
