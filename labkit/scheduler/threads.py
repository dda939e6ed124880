"""The ``threads`` backend: real OS threads in a pool that grows as libdispatch's does.

The same thread-pool model as the simulation (see :class:`~labkit.scheduler.runtime.
Runtime`), run for real: a task starts when it gets a thread (and, if busy, one of the
``cores``), in FIFO order; the pool starts a new worker thread only when no idle one is
left, up to ``max_threads``. A busy task burns its duration with the nogil busy-wait, so
N busy workers really use N cores; a sleeping task really blocks its worker thread in
``time.sleep`` (as usleep blocks a libdispatch thread), so many sleeping modules make
many threads. Worker stacks are :data:`STACK_BYTES` (Python's default reserves 8 MiB
each; 2000 workers would reserve 16 GB of address space). Serial queues and groups take
a lock; everything else is the shared runtime model. ``run()`` returns when no task is
left, then stops the workers; an exception escaping a task is re-raised there.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from labkit.scheduler.runtime import SLEEP, Group, Runtime, SerialQueue, Task


class LockedSerialQueue(SerialQueue):
    __slots__ = ("lock",)

    def __init__(self, runtime, label: str = "serial"):
        super().__init__(runtime, label)
        self.lock = threading.Lock()

    def async_(self, task: Task) -> None:
        task.queue = self
        with self.lock:
            if self.busy:
                if self.pending is None:
                    self.pending = deque()
                self.pending.append(task)
                return
            self.busy = True
        self.runtime._submit(task)

    def suspend(self) -> None:
        with self.lock:
            self.suspended += 1

    def resume(self) -> None:
        with self.lock:
            self.suspended -= 1
            if self.suspended < 0:
                raise RuntimeError(f"queue {self.label!r} resumed more often than suspended")
            start = not self.suspended and self.parked
            if start:
                self.parked = False
        if start:
            self._finished()

    def _finished(self) -> None:
        with self.lock:
            if self.suspended:
                self.parked = True
                return
            if not self.pending:
                self.busy = False
                return
            task = self.pending.popleft()
        self.runtime._submit(task)


class LockedGroup(Group):
    __slots__ = ("lock",)

    def __init__(self, runtime):
        super().__init__(runtime)
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.count += 1

    def leave(self) -> None:
        with self.lock:
            self.count -= 1
            if self.count < 0:
                raise RuntimeError("group left more often than entered")
            fire = self.notifiers if self.count == 0 else None
            if fire:
                self.notifiers = None
        if fire:
            for queue, task in fire:
                queue.async_(task)

    def notify(self, queue, task: Task) -> None:
        with self.lock:
            if self.count:
                if self.notifiers is None:
                    self.notifiers = []
                self.notifiers.append((queue, task))
                return
        queue.async_(task)

    def wait(self) -> None:
        done = threading.Event()
        self.notify(self.runtime.concurrent, Task(done.set, name="group-wait"))
        done.wait()


class _ResumeOnFinish:
    """Stands in for a task's queue once a blocked task took a suspended serial queue
    back: when the task ends, the queue is resumed (runs its next task)."""

    __slots__ = ("queue",)

    def __init__(self, queue):
        self.queue = queue

    def _finished(self) -> None:
        self.queue.resume()


STACK_BYTES = 512 * 1024  # enough for the framework (its prefetch is a work list)


class ThreadRuntime(Runtime):
    """Real threads; ``busy(seconds)`` is the CPU burner (default: numba nogil loop)."""

    backend = "threads"
    serial_class = LockedSerialQueue
    group_class = LockedGroup

    def __init__(self, cores: int = 1, *, time_scale: float = 1.0, record: bool = True,
                 overhead=None, max_threads: int | None = None, busy=None):
        super().__init__(cores, time_scale=time_scale, record=record, overhead=overhead,
                         max_threads=max_threads)
        if busy is None:
            from labkit.scheduler.busywait import busy_wait, iterations_per_second

            iterations_per_second()  # calibrate before any timing starts
            busy = busy_wait
        self.busy = busy
        self._cv = threading.Condition(threading.Lock())  # the pool's state and hand-off
        self._starting: deque = deque()  # (task, core) handed to the next idle worker
        self._ready: deque = deque()  # busy tasks waiting for a core
        self._no_thread: deque = deque()  # tasks waiting for a thread
        self._free = list(range(cores - 1, -1, -1))
        self._running = 0  # workers running a task
        self._waiting_workers = 0
        self._limit = max_threads if max_threads is not None else float("inf")
        self._outstanding = 0
        self._idle = threading.Condition(threading.Lock())
        self._threads: list = []
        self._stop = False
        self._errors: list = []
        self._t0 = None
        self._local = threading.local()  # the core of the task this worker runs

    def now(self) -> float:
        return 0.0 if self._t0 is None else time.perf_counter() - self._t0

    @property
    def pool_size(self) -> int:
        """Worker threads started so far (the pool only grows while a run lasts)."""
        return len(self._threads)

    # -- submission and admission (the simulation's rules, under the pool's lock) -------
    def _submit(self, task: Task) -> None:
        if self._t0 is None:
            self._t0 = time.perf_counter()
        with self._idle:
            self._outstanding += 1
        with self._cv:
            self._admit(task)

    def _admit(self, task: Task) -> None:
        """Start ``task`` if a thread (and for a busy task a core) is free, else queue it."""
        if self._running >= self._limit:
            self._no_thread.append(task)
        elif task.sleep:
            self._start(task, -1)
        elif self._free:
            self._start(task, self._free.pop())
        else:
            self._ready.append(task)

    def _start(self, task: Task, core: int) -> None:
        self._running += 1
        if self._running > self.peak_threads:
            self.peak_threads = self._running
        self._starting.append((task, core))
        if self._waiting_workers >= len(self._starting):
            self._cv.notify()
        else:
            self._spawn()

    def _release(self, core: int):
        """A task ended: its core and thread go to the oldest task waiting for them.
        Returns ``(task, core)`` when that task can run on this same worker (no wake-up
        of another thread: the hand-off costs nothing), else None."""
        if core >= 0 and self._ready:
            return self._ready.popleft(), core  # thread and core stay with this worker
        if core >= 0:
            self._free.append(core)
        if self._no_thread:
            task = self._no_thread.popleft()
            if task.sleep:
                return task, -1
            if self._free:
                return task, self._free.pop()
            self._ready.append(task)
        elif self._ready and self._free:
            # a blocked task gave its core back while every thread was taken: this worker,
            # still counted as running, takes the waiting task
            return self._ready.popleft(), self._free.pop()
        self._running -= 1
        return None

    def _give_core(self, core: int) -> None:
        """A task blocks (keeping its thread): its core goes to a waiting busy task."""
        if self._ready and self._running < self._limit:
            self._start(self._ready.popleft(), core)
        else:
            self._free.append(core)

    def _spawn(self) -> None:
        self._stop = False
        previous = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=self._worker, daemon=True,
                                      name=f"labkit-worker-{len(self._threads)}")
            thread.start()
        finally:
            threading.stack_size(previous)
        self._threads.append(thread)

    # -- workers -----------------------------------------------------------------------
    def _worker(self) -> None:
        cv, starting = self._cv, self._starting
        cv.acquire()
        try:
            while True:
                while not starting and not self._stop:
                    self._waiting_workers += 1
                    cv.wait()
                    self._waiting_workers -= 1
                if not starting:
                    return
                job = starting.popleft()
                while job is not None:
                    task, core = job
                    cv.release()
                    try:
                        core = self._execute(task, core)
                    finally:
                        cv.acquire()
                    job = self._release(core)
                    self._finish_one()
        finally:
            cv.release()

    def _execute(self, task: Task, core: int) -> int:
        """Run ``task``; returns the core it holds at the end (-1 if it gave it up)."""
        start = self.now()
        local = self._local
        local.core = core
        try:
            seconds = self.duration(task)
            if seconds > 0:
                if task.sleep:
                    time.sleep(seconds)
                else:
                    self.busy(seconds)
            task.fn()
        except BaseException as exc:  # never lose it: run() re-raises
            self._errors.append(exc)
        finally:
            end = self.now()  # before the queue starts its next task: traced runs of one
            queue = task.queue  # serial queue never overlap
            if queue is not None:
                queue._finished()
            if self.record:
                self._trace.append((task.name, task.module, task.event, start, end, core))
            self.tasks_run += 1
        return local.core

    def _finish_one(self) -> None:
        with self._idle:
            self._outstanding -= 1
            if self._outstanding == 0:
                self._idle.notify_all()

    # -- running ---------------------------------------------------------------------
    def run(self) -> None:
        with self._idle:
            while self._outstanding:
                self._idle.wait()
        self._shutdown()
        if self._errors:
            error, self._errors = self._errors[0], []
            raise error

    def _shutdown(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def block(self, task: Task, subscribe, release: bool = False) -> None:
        """Really block this worker thread (the pool grows around it): its core goes
        to a waiting task; a released serial queue is finished now and taken back, in
        turn, by a task that suspends it (resumed when ``task`` ends)."""
        local = self._local
        core = getattr(local, "core", -1)
        if core >= 0:
            with self._cv:
                local.core = -1
                self._give_core(core)
        queue = task.queue
        released = release and queue is not None
        if released:
            task.queue = None
            queue._finished()
        done = threading.Event()
        subscribe(done.set)
        done.wait()
        if released:
            turn = threading.Event()

            def take_back():
                queue.suspend()
                turn.set()

            queue.async_(Task(take_back, 0.0, SLEEP, "sync-get-resume", task.module,
                              task.event))
            turn.wait()
            task.queue = _ResumeOnFinish(queue)

    def _wait_group(self, group: Group) -> None:
        group.wait()
