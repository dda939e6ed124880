"""The ``threads`` backend: real OS threads, a worker pool sized to the cores.

Workers take tasks from one FIFO (the global concurrent queue). A busy task burns its
work with the nogil busy-wait, so N workers really use N cores; a sleeping task holds no
worker while it sleeps: a timer thread hands it back to the pool when its time is up
(libdispatch starts another thread when one blocks). Serial queues and groups take a
lock; everything else is the shared runtime model. ``run()`` returns when no task is
left, then stops the workers; an exception escaping a task is re-raised there.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from itertools import count

from labkit.scheduler.runtime import Group, Runtime, SerialQueue, Task


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


class ThreadRuntime(Runtime):
    """Real threads; ``busy(seconds)`` is the CPU burner (default: numba nogil loop)."""

    backend = "threads"
    serial_class = LockedSerialQueue
    group_class = LockedGroup

    def __init__(self, cores: int = 1, *, time_scale: float = 1.0, record: bool = True,
                 busy=None):
        super().__init__(cores, time_scale=time_scale, record=record)
        if busy is None:
            from labkit.scheduler.busywait import busy_wait, iterations_per_second

            iterations_per_second()  # calibrate before any timing starts
            busy = busy_wait
        self.busy = busy
        self._cv = threading.Condition()
        self._ready: deque = deque()
        self._outstanding = 0
        self._idle = threading.Condition(threading.Lock())
        self._timers: list = []
        self._timer_cv = threading.Condition()
        self._seq = count()
        self._threads: list = []
        self._stop = False
        self._errors: list = []
        self._t0 = None

    def now(self) -> float:
        return 0.0 if self._t0 is None else time.perf_counter() - self._t0

    # -- submission ----------------------------------------------------------------
    def _submit(self, task: Task) -> None:
        if not self._threads:
            self._start_threads()
        with self._idle:
            self._outstanding += 1
        if task.sleep and task.work > 0:
            with self._timer_cv:
                deadline = time.perf_counter() + task.work * self.time_scale
                heapq.heappush(self._timers, (deadline, next(self._seq), task, self.now()))
                self._timer_cv.notify()
            return
        with self._cv:
            self._ready.append((task, None))
            self._cv.notify()

    def _start_threads(self) -> None:
        if self._t0 is None:
            self._t0 = time.perf_counter()
        self._stop = False
        self._threads = [threading.Thread(target=self._worker, args=(core,), daemon=True,
                                          name=f"labkit-worker-{core}")
                         for core in range(self.cores)]
        self._threads.append(threading.Thread(target=self._timer, daemon=True,
                                              name="labkit-timer"))
        for thread in self._threads:
            thread.start()

    # -- threads ---------------------------------------------------------------------
    def _worker(self, core: int) -> None:
        cv, ready = self._cv, self._ready
        while True:
            with cv:
                while not ready and not self._stop:
                    cv.wait()
                if not ready:
                    return
                task, slept_from = ready.popleft()
            self._execute(task, core, slept_from)

    def _execute(self, task: Task, core: int, slept_from) -> None:
        start = self.now() if slept_from is None else slept_from
        try:
            if slept_from is None and task.work > 0 and not task.sleep:
                self.busy(task.work * self.time_scale)
            task.fn()
        except BaseException as exc:  # never lose it: run() re-raises
            self._errors.append(exc)
        finally:
            end = self.now()  # before the queue starts its next task: traced runs of one
            queue = task.queue  # serial queue never overlap
            if queue is not None:
                queue._finished()
            if self.record:
                self._trace.append((task.name, task.module, task.event, start, end,
                                    -1 if slept_from is not None else core))
            self.tasks_run += 1
            with self._idle:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._idle.notify_all()

    def _timer(self) -> None:
        timers, cv = self._timers, self._timer_cv
        while True:
            with cv:
                while True:
                    if self._stop:
                        return
                    if timers:
                        wait = timers[0][0] - time.perf_counter()
                        if wait <= 0:
                            break
                        cv.wait(wait)
                    else:
                        cv.wait()
                _, _, task, start = heapq.heappop(timers)
            with self._cv:
                self._ready.append((task, start))
                self._cv.notify()

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
        self._stop = True
        with self._cv:
            self._cv.notify_all()
        with self._timer_cv:
            self._timer_cv.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _wait_group(self, group: Group) -> None:
        group.wait()
