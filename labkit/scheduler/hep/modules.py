"""Modules and the source: what a configuration is made of.

A module has a label, the labels it gets data from (``get``), per-event times
(``times[i % len(times)]`` seconds for event ``i``, as toy-mt-framework's eventTimes),
a wait kind (busy-wait or sleeping) and a thread-safety type:

- ``REENTRANT`` (ThreadSafeBetweenInstances): any number of events at once;
- ``ONE_AT_A_TIME`` (ThreadSafeBetweenModules): one event at a time (own serial queue);
- ``UNSAFE`` (ThreadUnsafe): one serial queue shared by all thread-unsafe modules.

``n_ranges`` makes it a ParallelFor module (toy-mt-framework's ``...ParallelForPassFilter``,
the paper's "parallelize inside the long modules"): its time on an event is split into
that many equal pieces run in parallel on the global queue, while the module keeps its own
queue (a one-event-at-a-time module stays one event at a time).

``body`` is what the module computes: a plain function ``body(event)`` or an
``async def`` coroutine (then it declares its own work with ``await work(...)`` and
pulls data with ``await event.get(label)``). A plain body reads its declared (prefetched)
products with ``event.product(label)`` and may also ask for one it did not declare with
``event.get_sync(label)``: the producer runs then and the body blocks until it is made
(the paper's "request data from the Event synchronously"; see ``Event.get_sync``). Such
a body is run so that it can block (in the simulation, on a greenlet): that is decided
per module, ``sync_get``, True when the body's own code calls ``get_sync`` (pass
``sync_get=True`` when it does so through a helper), so bodies that never sync-get
cost what they did.
"""

from __future__ import annotations

import inspect

from labkit.lab.errors import InputError
from labkit.scheduler.runtime import BUSY, SLEEP, WAITS

REENTRANT = "ThreadSafeBetweenInstances"
ONE_AT_A_TIME = "ThreadSafeBetweenModules"
UNSAFE = "ThreadUnsafe"
THREAD_TYPES = (REENTRANT, ONE_AT_A_TIME, UNSAFE)


class Module:
    """Base of Producer, Filter and OutputModule."""

    kind = "module"

    def __init__(self, label: str, *, get=(), times=(0.0,), wait: str = BUSY,
                 thread_type: str = REENTRANT, body=None, n_ranges: int | None = None,
                 sync_get: bool | None = None):
        if wait not in WAITS:
            raise InputError(f"module {label!r}: wait must be one of {WAITS}, got {wait!r}")
        if thread_type not in THREAD_TYPES:
            raise InputError(f"module {label!r}: unknown threadType {thread_type!r}")
        if n_ranges is not None and (isinstance(n_ranges, bool) or not isinstance(n_ranges, int)
                                     or n_ranges < 1):
            raise InputError(f"module {label!r}: nRanges must be a positive integer, "
                             f"got {n_ranges!r}")
        times = [float(t) for t in times]
        if not times or any(not (t >= 0) for t in times):
            raise InputError(f"module {label!r}: times must be non-negative numbers")
        self.label = label
        self.get = tuple(get)
        self.times = times
        self.n_times = len(times)
        self.wait = wait
        self.sleeps = wait == SLEEP
        self.thread_type = thread_type
        self.body = body
        self.n_ranges = n_ranges
        self.is_coroutine = inspect.iscoroutinefunction(body)
        if sync_get is None:
            sync_get = calls_get_sync(body)
        if sync_get and (body is None or self.is_coroutine):
            raise InputError(f"module {label!r}: sync_get is for a plain (non-async) body; "
                             "a coroutine awaits event.get")
        self.sync_get = bool(sync_get)

    def work(self, index: int) -> float:
        """Seconds of work on event ``index``."""
        return self.times[index % self.n_times]

    def default(self, event):
        """What the module yields when it has no body."""
        return self.label

    def __repr__(self):
        return f"{type(self).__name__}({self.label!r})"


def calls_get_sync(body) -> bool:
    """Whether a plain body's own code calls ``event.get_sync`` (its code names it)."""
    code = getattr(body, "__code__", None)
    if code is None or inspect.iscoroutinefunction(body):
        return False
    return "get_sync" in code.co_names


class Producer(Module):
    """Puts one data product (its label) into the event; runs at most once per event,
    and only if something gets its data."""

    kind = "producer"


class Filter(Module):
    """Decides whether a path goes on (``body(event) -> bool``; default: pass)."""

    kind = "filter"

    def __init__(self, label: str, *, cancels: bool = False, **options):
        super().__init__(label, **options)
        self.cancels = cancels  # a rejection cancels the event's remaining coroutine work

    def default(self, event):
        return True


class OutputModule(Filter):
    """Writes the event out: a filter that always passes, placed at the end of a path."""

    kind = "output"


class Source:
    """The source of events: a generator of ``(index, run)``, read one at a time.

    ``events_per_run`` splits the events into runs; every event of a run finishes before
    the next run starts (run boundaries). ``time`` is the read time per event;
    ``offset`` shifts the event numbers (and so which eventTimes entry each event uses).
    """

    def __init__(self, events: int, *, events_per_run: int | None = None, time: float = 0.0,
                 offset: int = 0):
        if not isinstance(events, int) or isinstance(events, bool) or events < 1:
            raise InputError(f"events must be a positive integer, got {events!r}")
        if events_per_run is not None and (not isinstance(events_per_run, int)
                                           or events_per_run < 1):
            raise InputError(f"events per run must be a positive integer, got {events_per_run!r}")
        if not time >= 0:
            raise InputError(f"source time must be >= 0, got {time!r}")
        self.events = events
        self.events_per_run = events_per_run or events
        self.time = float(time)
        self.offset = int(offset)

    def __iter__(self):
        per_run, offset = self.events_per_run, self.offset
        for i in range(self.events):
            yield offset + i, i // per_run
