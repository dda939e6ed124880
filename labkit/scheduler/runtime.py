"""The libdispatch model shared by both backends: tasks, queues and groups.

A :class:`Task` is a callable plus its context (module, event) and the work it declares:
``work`` seconds, either ``BUSY`` (occupies a core, as a busy-wait module) or ``SLEEP``
(occupies none, as the paper's usleep modules). The callable runs when the work is done.

Queues: the runtime's global :attr:`Runtime.concurrent` queue runs tasks as soon as a
core is free; a :class:`SerialQueue` runs its tasks one at a time, in order, on whatever
core the global queue gives it. Serial queues are plain Python objects with a deque, so
millions are affordable (an idle one is ~70 bytes). A :class:`Group` counts outstanding work (``enter``/``leave``)
and, when the count reaches zero, submits the tasks registered with ``notify``.

Backends subclass :class:`Runtime` and implement ``_submit`` (hand a ready task to the
global queue), ``run`` and ``now``; the threads backend also swaps in locking queue and
group classes. Everything above this module (the HEP framework, coroutines) only uses
this API, so it is written once.
"""

from __future__ import annotations

import threading
from collections import deque

from labkit.lab.errors import InputError

BUSY = "busy"
SLEEP = "sleep"
WAITS = (BUSY, SLEEP)
TRACE_COLUMNS = ["task", "module", "event", "start", "end", "core"]


class Task:
    """A callable and its context; ``fn`` runs once the declared work is done."""

    __slots__ = ("fn", "work", "sleep", "name", "module", "event", "queue")

    def __init__(self, fn, work: float = 0.0, wait: str = BUSY, name: str = "task",
                 module: str = "", event: int = -1):
        self.fn = fn
        self.work = work
        self.sleep = wait == SLEEP
        self.name = name
        self.module = module
        self.event = event
        self.queue = None


class ConcurrentQueue:
    """The global concurrent queue: tasks start as soon as a core is free, in FIFO order."""

    __slots__ = ("runtime", "label")

    def __init__(self, runtime: "Runtime", label: str = "global"):
        self.runtime = runtime
        self.label = label

    def async_(self, task: Task) -> None:
        """Submit ``task`` (libdispatch's ``dispatch_async``)."""
        task.queue = None
        self.runtime._submit(task)

    def __await__(self):  # `await queue` in a coroutine: continue on this queue
        return (yield ("hop", self))


class SerialQueue:
    """A private serial queue: one task at a time, in submission order.

    ``suspend()``/``resume()`` are libdispatch's ``dispatch_suspend``/``dispatch_resume``:
    a task that suspends its own queue keeps the queue from starting its next task until
    someone resumes it (a ParallelFor module holds its queue while its pieces run)."""

    __slots__ = ("runtime", "label", "busy", "pending", "suspended", "parked")

    def __init__(self, runtime: "Runtime", label: str = "serial"):
        self.runtime = runtime
        self.label = label
        self.busy = False
        self.pending: deque | None = None  # made on first contention: an idle queue is tiny
        self.suspended = 0
        self.parked = False  # a task finished while suspended: start the next on resume

    def suspend(self) -> None:
        self.suspended += 1

    def resume(self) -> None:
        self.suspended -= 1
        if self.suspended < 0:
            raise RuntimeError(f"queue {self.label!r} resumed more often than suspended")
        if not self.suspended and self.parked:
            self.parked = False
            self._finished()

    def async_(self, task: Task) -> None:
        task.queue = self
        if self.busy:
            if self.pending is None:
                self.pending = deque()
            self.pending.append(task)
        else:
            self.busy = True
            self.runtime._submit(task)

    def _finished(self) -> None:
        """Called by the backend after one of this queue's tasks ran."""
        if self.suspended:
            self.parked = True
        elif self.pending:
            self.runtime._submit(self.pending.popleft())
        else:
            self.busy = False

    def __await__(self):
        return (yield ("hop", self))


class Group:
    """A task group: ``enter``/``leave`` count work; ``notify(queue, task)`` submits
    ``task`` to ``queue`` once the count is zero; ``wait`` blocks until then."""

    __slots__ = ("runtime", "count", "notifiers")

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime
        self.count = 0
        self.notifiers = None

    def enter(self) -> None:
        self.count += 1

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0 and self.notifiers:
            fire, self.notifiers = self.notifiers, None
            for queue, task in fire:
                queue.async_(task)
        elif self.count < 0:
            raise RuntimeError("group left more often than entered")

    def notify(self, queue, task: Task) -> None:
        if self.count == 0:
            queue.async_(task)
        elif self.notifiers is None:
            self.notifiers = [(queue, task)]
        else:
            self.notifiers.append((queue, task))

    def wait(self) -> None:
        self.runtime._wait_group(self)


def check_max_threads(value):
    """A thread limit: None (unlimited) or an integer >= 1 (the one validator)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"thread limit must be an integer >= 1, got {value!r}")
    return value


class Runtime:
    """The API both backends implement. ``cores``: worker cores (threads or virtual).

    ``time_scale`` multiplies every declared work, so a configuration can be run scaled
    down (and the simulation scaled the same way, for comparisons). ``record=True`` keeps
    a trace row per task (see :meth:`trace`).

    The thread pool: a running task holds a thread (a sleeping one too: usleep blocks
    it), a busy task also holds a core. The pool grows on demand up to ``max_threads``
    (None: no limit, as libdispatch below the system's limit); a task finding no thread
    waits, in FIFO order, for one. ``overhead`` (an
    :class:`~labkit.scheduler.overhead.Overhead`, default zero) adds the framework's
    per-task costs through :meth:`duration`, the same way in both backends.
    """

    backend = "abstract"
    serial_class = SerialQueue
    group_class = Group

    def __init__(self, cores: int = 1, *, time_scale: float = 1.0, record: bool = True,
                 overhead=None, max_threads: int | None = None):
        from labkit.scheduler.overhead import Overhead

        if not isinstance(cores, int) or isinstance(cores, bool) or cores < 1:
            raise InputError(f"cores must be a positive integer, got {cores!r}")
        if not (isinstance(time_scale, (int, float)) and time_scale > 0):
            raise InputError(f"time scale must be a positive number, got {time_scale!r}")
        if overhead is None:
            overhead = Overhead.zero()
        elif not isinstance(overhead, Overhead):
            raise InputError(f"overhead must be an Overhead, got {overhead!r}")
        self.cores = cores
        self.time_scale = float(time_scale)
        self.record = record
        self.overhead = overhead
        self.max_threads = check_max_threads(max_threads)
        self._mult, self._add = overhead.tables(self.time_scale)
        self.peak_threads = 0  # most threads running tasks at once (sim: with a limit)
        self.concurrent = ConcurrentQueue(self)
        self._trace: list = []
        self.tasks_run = 0

    # -- API used by the framework -------------------------------------------------
    def lock(self):
        """A lock guarding framework state touched by concurrent tasks (an event's
        wrappers): a new one each time on real threads."""
        return threading.Lock()

    def serial_queue(self, label: str = "serial") -> SerialQueue:
        return self.serial_class(self, label)

    def group(self) -> Group:
        return self.group_class(self)

    def task(self, fn, work: float = 0.0, wait: str = BUSY, **context) -> Task:
        return Task(fn, work, wait, **context)

    def duration(self, task: Task) -> float:
        """Seconds ``task`` takes: its scaled work plus the overhead model's costs (the
        simulation's run loop inlines exactly this)."""
        sleep = task.sleep
        return task.work * self._mult[sleep] + self._add[sleep]

    def now(self) -> float:
        raise NotImplementedError

    def run(self) -> None:
        """Process until no task is left."""
        raise NotImplementedError

    def trace(self):
        """The trace as a DataFrame: ``task, module, event, start, end, core`` (core -1:
        a sleeping task, which holds no core)."""
        import pandas as pd

        return pd.DataFrame(self._trace, columns=TRACE_COLUMNS)

    # -- blocking inside a task (a module's synchronous get) --------------------------
    def run_blocking(self, fn) -> None:
        """Call ``fn()`` (the part of a running task that may :meth:`block`) so that it
        can block: on real threads a plain call; the simulation runs it on a greenlet."""
        fn()

    def block(self, task: Task, subscribe, release: bool = False) -> None:
        """Block the running ``task`` (inside :meth:`run_blocking`) until the callback
        given to ``subscribe(wake)`` is called, as a thread in ``dispatch_group_wait``:
        it keeps its thread but gives its core to others. The serial queue it runs on
        is kept (nobody else runs on it meanwhile) unless ``release``: then the queue
        runs other tasks while it waits and is taken back, in turn, before it goes on
        (toy-mt-framework's ``Event::get`` on the non-thread-safe queue)."""
        raise NotImplementedError

    # -- backend hooks -------------------------------------------------------------
    def _submit(self, task: Task) -> None:
        raise NotImplementedError

    def _wait_group(self, group: Group) -> None:
        raise NotImplementedError


def make_runtime(backend: str = "sim", cores: int = 1, **options) -> Runtime:
    """A runtime by name: ``"sim"`` or ``"threads"``."""
    if backend == "sim":
        from labkit.scheduler.sim import SimRuntime

        return SimRuntime(cores, **options)
    if backend == "threads":
        from labkit.scheduler.threads import ThreadRuntime

        return ThreadRuntime(cores, **options)
    raise InputError(f"unknown backend {backend!r}: choose sim or threads")
