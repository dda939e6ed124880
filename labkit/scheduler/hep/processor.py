"""The EventProcessor: N Event instances in flight over one runtime.

Each of ``inflight`` slots asks the source (a serial queue: one read at a time) for an
event, runs its Paths, then its EndPaths, records the event and asks for the next one.
Events of one run all finish before the next run starts. Modules get their queue from
their thread-safety type (``safety`` may override it for studies, ``serial_io`` makes the
output modules one-event-at-a-time as the paper's Figure 4 third curve).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from itertools import count

from labkit.lab.errors import InputError
from labkit.scheduler.coro import Driver
from labkit.scheduler.hep.event import Event
from labkit.scheduler.hep.modules import ONE_AT_A_TIME, REENTRANT, UNSAFE, Source
from labkit.scheduler.hep.paths import run_paths
from labkit.scheduler.hep.wrappers import (FilterWrapper, ParallelForFilterWrapper,
                                           ParallelForProducerWrapper, PrefetchPlan,
                                           ProducerWrapper, SyncGetFilterWrapper,
                                           SyncGetParallelForFilterWrapper,
                                           SyncGetParallelForProducerWrapper,
                                           SyncGetProducerWrapper)
from labkit.scheduler.runtime import Task

SAFETY = {"as-config": None, "reentrant": REENTRANT, "one-at-a-time": ONE_AT_A_TIME,
          "unsafe": UNSAFE}
EVENT_COLUMNS = ["event", "run", "start", "end", "status", "error"]


def check_positive(name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return value


WRAPPER_CLASSES = {  # (producer?, ParallelFor?, may sync-get?) -> wrapper class
    (True, False, False): ProducerWrapper, (False, False, False): FilterWrapper,
    (True, True, False): ParallelForProducerWrapper,
    (False, True, False): ParallelForFilterWrapper,
    (True, False, True): SyncGetProducerWrapper, (False, False, True): SyncGetFilterWrapper,
    (True, True, True): SyncGetParallelForProducerWrapper,
    (False, True, True): SyncGetParallelForFilterWrapper,
}


def wrapper_class(module):
    """The per-event wrapper class of ``module``: producer or filter, ParallelFor or not,
    set up for a synchronous get or not."""
    return WRAPPER_CLASSES[module.kind == "producer", bool(module.n_ranges), module.sync_get]


def steady_throughput(events, inflight: int, warmup: int | None = None) -> float:
    """Events per second in steady state, by Little's law for a closed system.

    ``inflight`` events are always in the system, so throughput = inflight / mean
    latency. Only the events started after the first ``warmup`` (default ``inflight``:
    those reused a slot) and before the last ``inflight`` (which see the drain at the end)
    are averaged; with ``warmup + N + 100`` events that is one whole cycle of the CMS
    data's 100 event types. A saturated queue needs a longer warm-up (two turnovers)
    than an unsaturated system (one). With no such event, events over the makespan.
    """
    n = len(events)
    if n == 0:
        return float("nan")
    ordered = events.sort_values(["start", "event"])
    middle = ordered.iloc[(inflight if warmup is None else warmup):n - inflight]
    if middle.empty:
        makespan = float(events["end"].max())
        return n / makespan if makespan > 0 else float("inf")
    latency = float((middle["end"] - middle["start"]).mean())
    return inflight / latency if latency > 0 else float("inf")


@dataclass
class ProcessResult:
    """What a run produced: per-event rows, counts and times."""

    events: object  # DataFrame: event, run, start, end, status, error
    module_runs: int
    sim_time_s: float
    wall_s: float
    trace: object = None
    failures: list = field(default_factory=list)

    inflight: int = 1
    warmup: int | None = None
    peak_threads: int = 0  # most threads the runtime's pool ran tasks on at once

    @property
    def throughput(self) -> float:
        return steady_throughput(self.events, self.inflight, self.warmup)


class EventProcessor:
    """Processes events from a Source with ``inflight`` Event instances at once."""

    def __init__(self, runtime, modules, paths, end_paths=(), *, inflight: int = 1,
                 safety: str = "as-config", serial_io: bool = False):
        self.runtime = runtime
        self.inflight = check_positive("events in flight", inflight)
        if safety not in SAFETY:
            raise InputError(f"unknown safety {safety!r}: choose one of {', '.join(SAFETY)}")
        self.modules = {m.label: m for m in modules}
        self.paths = list(paths)
        self.end_paths = list(end_paths)
        self.queues = {}
        self._wrapper_class = {}
        unsafe = self.unsafe_queue = runtime.serial_queue("thread-unsafe")
        for module in self.modules.values():
            kind = SAFETY[safety] or module.thread_type
            if serial_io and module.kind == "output":
                kind = ONE_AT_A_TIME
            if kind == REENTRANT:
                queue = runtime.concurrent
            elif kind == ONE_AT_A_TIME:
                queue = runtime.serial_queue(module.label)
            else:
                queue = unsafe
            self.queues[module.label] = queue
            self._wrapper_class[module.label] = wrapper_class(module)
        self.wrapper_parts = {label: (self._wrapper_class[label], m, self.queues[label])
                              for label, m in self.modules.items()}
        self.group_class = runtime.group_class
        self.source_queue = runtime.serial_queue("source")
        self._plans: dict = {}
        self._lock = threading.Lock()
        self._reset_count()

    # -- wrappers ---------------------------------------------------------------------
    def make_wrapper(self, label: str, event: Event):
        cls, module, queue = self.wrapper_parts[label]
        return cls(module, event, queue)

    def prefetch_plan(self, label: str) -> PrefetchPlan:
        """The prefetch of ``label`` on a fresh event, worked out once (see
        :class:`~labkit.scheduler.hep.wrappers.PrefetchPlan`)."""
        plan = self._plans.get(label)
        if plan is None:
            plan = self._plans[label] = PrefetchPlan(self.modules, label, self.wrapper_parts)
        return plan

    def _reset_count(self) -> None:
        self._runs = count()
        self.tick = self._runs.__next__  # atomic under the GIL: safe from any thread

    # -- the event loop ---------------------------------------------------------------
    def run(self, source) -> ProcessResult:
        """Process every event of ``source``: a number of events, a :class:`Source`, any
        generator of ``(index, run)``, or an async generator of them (which may
        ``await work(...)`` to model reading time; it is driven on the source queue, one
        read at a time)."""
        wall = time.perf_counter()
        self.start(source)
        self.runtime.run()
        return self.result(time.perf_counter() - wall)

    def start(self, source) -> None:
        """Submit the first reads; the runtime's ``run()`` then processes everything.
        Several processors may be started on one runtime (processes sharing cores) and
        share one iterator of events (each takes the next one when a slot frees)."""
        if isinstance(source, int):
            source = Source(source)
        self._source = source
        if hasattr(source, "__aiter__"):
            self._aiter, self._iter = source.__aiter__(), None
        else:
            self._aiter, self._iter = None, iter(source)
        self._asks, self._reading = 0, False
        self._rows = []
        self._in_flight = 0
        self._run_number = None
        self._held = None
        self._parked = []
        self._reset_count()
        for _ in range(self.inflight):
            self._read_next()

    def result(self, wall: float) -> ProcessResult:
        """What the run since :meth:`start` produced (``wall``: its wall seconds)."""
        import pandas as pd

        runtime = self.runtime
        events = pd.DataFrame(self._rows, columns=EVENT_COLUMNS).sort_values("event",
                                                                               ignore_index=True)
        failures = [r[5] for r in self._rows if r[5]]
        trace = runtime.trace() if runtime.record else None
        return ProcessResult(events=events, module_runs=next(self._runs),
                             sim_time_s=max((r[3] for r in self._rows), default=0.0),
                             wall_s=wall, trace=trace, failures=failures,
                             inflight=self.inflight, peak_threads=runtime.peak_threads)

    def _read_next(self) -> None:
        self.source_queue.async_(Task(self._deliver, getattr(self._source, "time", 0.0),
                                      name="source", module="source"))

    def _deliver(self) -> None:
        """On the source queue: read the next event for a free slot."""
        with self._lock:
            if self._held is not None:
                self._parked.append(None)
                return
            if self._aiter is not None:  # one asynchronous read at a time
                self._asks += 1
                if self._reading:
                    return
                self._reading = True
        if self._aiter is None:
            self._take(next(self._iter, None))
        else:
            self._read_async()

    def _read_async(self) -> None:
        Driver(self._aiter.__anext__(), self.source_queue, on_done=self._async_item,
               module="source")._resume()

    def _async_item(self, item, error) -> None:
        if error is not None and not isinstance(error, StopAsyncIteration):
            raise error  # a broken source: the runtime reports it from run()
        with self._lock:
            self._asks = self._asks - 1 if item is not None else 0
            more = self._asks > 0
            self._reading = more
        self._take(item)
        if more:
            self._read_async()

    def _take(self, item) -> None:
        """Start the event ``item`` (None: the source is exhausted, the slot idles)."""
        with self._lock:
            if item is None:
                return
            index, run = item
            if self._run_number is not None and run != self._run_number and self._in_flight:
                self._held = item  # run boundary: wait until the current run drained
                self._parked.append(None)
                return
            self._run_number = run
            self._in_flight += 1
        self._start(index, run)

    def _start(self, index: int, run: int) -> None:
        event = Event(index, run, self)
        event.start = self.runtime.now()
        run_paths(self.runtime, event, self.paths,
                  Task(lambda: self._end_paths(event), name="paths-done", event=index))

    def _end_paths(self, event: Event) -> None:
        run_paths(self.runtime, event, self.end_paths,
                  Task(lambda: self._event_done(event), name="event-done", event=event.index))

    def _event_done(self, event: Event) -> None:
        event.end = self.runtime.now()
        event.wrappers = {}  # break event <-> wrapper cycles: plain refcounting frees them
        for made in event.made:
            made.clear()
        error = "" if event.error is None else str(event.error)
        with self._lock:
            self._rows.append((event.index, event.run, event.start, event.end, event.status,
                               error))
            self._in_flight -= 1
            release = self._held if (self._held is not None and not self._in_flight) else None
            if release is not None:
                self._held = None
                self._run_number = release[1]
                self._in_flight += 1
                parked, self._parked = self._parked, []
        if release is not None:
            self._start(*release)
            for _ in parked:
                self._read_next()
        else:
            self._read_next()
