"""The ``sim`` backend: discrete-event simulated time on N virtual cores.

Pending tasks are kept by end time: a heap of the distinct end times and, for each, the
list of tasks ending then in submission order (so equal times keep FIFO order, and the
many tasks that end at the same instant, e.g. the same modules of events started
together, cost one heap entry). A FIFO holds tasks waiting for a core and a stack the
free cores; no thread, greenlet or generator per task (and no cyclic garbage collection
while it runs: the framework breaks its own cycles), so a whole CMS configuration at
thousands of events in flight simulates in seconds. A busy task holds a core from its
start to ``start + work``; a sleeping task holds none (libdispatch starts another thread
when one blocks) but holds a thread; with ``max_threads`` a task finding every thread
taken waits for one (the pool limit). A task's callable runs at its end time; its
duration is :meth:`Runtime.duration` (work x scale plus the overhead model).
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from heapq import heappop, heappush

from greenlet import getcurrent, greenlet

from labkit.scheduler.runtime import SLEEP, ConcurrentQueue, Group, Runtime, Task


class _DirectConcurrentQueue(ConcurrentQueue):
    """The global queue with ``async_`` bound straight to the runtime's submit: one
    Python call less per task. Safe because a task submitted here is never one that ran
    on a serial queue (tasks are made fresh; a module wrapper runs once), so its
    ``queue`` is already None."""

    __slots__ = ("async_",)

    def __init__(self, runtime: "SimRuntime"):
        super().__init__(runtime)
        self.async_ = runtime._submit


class SimRuntime(Runtime):
    """Simulated time; ``run()`` processes events until nothing is left."""

    backend = "sim"

    def __init__(self, cores: int = 1, *, time_scale: float = 1.0, record: bool = True,
                 overhead=None, max_threads: int | None = None):
        super().__init__(cores, time_scale=time_scale, record=record, overhead=overhead,
                         max_threads=max_threads)
        self._now = 0.0
        self._times: list = []  # heap of the distinct pending end times
        self._due: dict = {}  # end time -> [(task, core, start), ...] in submission order
        self._ready: deque = deque()  # busy tasks waiting for a core (they hold no thread)
        self._no_thread: deque = deque()  # tasks waiting for a thread (limited pool)
        self._free = list(range(cores - 1, -1, -1))
        self._threads = 0  # threads running a task now (counted only with a limit)
        self._limited = max_threads is not None
        self._limit = max_threads
        if self._limited:
            self._submit = self._submit_limited
        self.concurrent = _DirectConcurrentQueue(self)
        self._shared_lock = threading.Lock()
        self._idle_worker = None  # a greenlet that runs plain module bodies (run_blocking)

    def now(self) -> float:
        return self._now

    def lock(self):
        """One shared lock: simulated tasks never run at the same time, so it is never
        contended, and one lock stays in the CPU cache where a lock per event would not."""
        return self._shared_lock

    def _submit(self, task: Task) -> None:
        """Start ``task`` now if it can (a core for a busy task), else queue it; the
        pool has no thread limit (see :meth:`_submit_limited`)."""
        sleep = task.sleep
        if sleep:
            core = -1
        elif self._free:
            core = self._free.pop()
        else:
            self._ready.append(task)
            return
        now = self._now  # start now (the run loop inlines the same for a freed core)
        end = now + task.work * self._mult[sleep] + self._add[sleep]  # = self.duration(task)
        tasks = self._due.get(end)
        if tasks is None:
            self._due[end] = [(task, core, now)]
            heappush(self._times, end)
        else:
            tasks.append((task, core, now))

    def _submit_limited(self, task: Task) -> None:
        """:meth:`_submit` in a pool of at most ``max_threads`` threads: a task that
        finds none free waits for one; a started task counts one."""
        if self._threads >= self._limit:
            self._no_thread.append(task)
            return
        if task.sleep or self._free:
            threads = self._threads = self._threads + 1
            if threads > self.peak_threads:
                self.peak_threads = threads
        SimRuntime._submit(self, task)

    def run(self, until=None) -> None:
        """Process events; stop early when ``until()`` becomes true."""
        times, due, ready, free, trace = self._times, self._due, self._ready, self._free, \
            self._trace
        no_thread, submit, limited = self._no_thread, self._submit, self._limited
        record, mult, add = self.record, self._mult[0], self._add[0]  # ready: busy tasks
        ran = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived objects: the cyclic GC would dominate
        tasks, done, stop = [], 0, False
        try:
            while times:
                end = times[0]
                self._now = end
                tasks = due[end]
                done = 0
                for task, core, begin in tasks:  # grows while it runs: tasks ending now
                    done += 1
                    task.fn()
                    queue = task.queue
                    if queue is not None:
                        queue._finished()
                    if record:
                        trace.append((task.name, task.module, task.event, begin, end, core))
                    if core >= 0:
                        if ready:  # core and thread go to the oldest waiting task
                            task = ready.popleft()
                            finish = end + task.work * mult + add
                            later = due.get(finish)
                            if later is None:
                                due[finish] = [(task, core, end)]
                                heappush(times, finish)
                            else:
                                later.append((task, core, end))
                        else:
                            free.append(core)
                            if limited:
                                self._threads -= 1
                                if no_thread:
                                    submit(no_thread.popleft())
                    elif limited:
                        self._threads -= 1
                        if no_thread:
                            submit(no_thread.popleft())
                    if until is not None and until():
                        stop = True
                        break
                ran += done
                if done < len(tasks):  # stopped early: keep the rest for later
                    del tasks[:done]
                else:
                    heappop(times)
                    del due[end]
                done = 0
                if stop:
                    break
        except BaseException:
            del tasks[:done]  # a task raised: the ones that ran are not run again
            ran += done
            raise
        finally:
            self.tasks_run += ran
            if collecting:
                gc.enable()

    def run_blocking(self, fn) -> None:
        """Run ``fn`` on a worker greenlet, so that :meth:`block` can suspend it and the
        run loop go on. An idle worker is reused (a switch there and back, not a new
        greenlet, per call: only plain module bodies pay for it, modules without a body
        do not); a worker that blocked is replaced and, once done, becomes the idle one."""
        worker = self._idle_worker
        if worker is None:
            worker = greenlet(self._body_worker)
        else:
            self._idle_worker = None
        worker.switch(fn)

    def _body_worker(self, fn) -> None:
        parent = getcurrent().parent
        while True:
            fn()
            self._idle_worker = getcurrent()
            fn = parent.switch()

    def block(self, task: Task, subscribe, release: bool = False) -> None:
        """Suspend the greenlet of :meth:`run_blocking`; the loop ends ``task`` now
        (its core is freed, its serial queue finished only if ``release``). When woken,
        a zero-work continuation holding no core resumes the greenlet and ends on the
        queue that ``task`` held (taken back through the queue if it was released).
        Under a thread limit the waiting task's thread stays counted, except while a
        released queue makes its continuation wait for a turn."""
        current = getcurrent()
        if current.parent is None:
            raise RuntimeError("block() outside run_blocking(): nothing to suspend")
        queue = task.queue
        released = release and queue is not None
        if not released:
            task.queue = None  # keep the queue: the loop does not finish it now
        resume = Task(current.switch, 0.0, SLEEP, "sync-get-resume", task.module, task.event)
        if self._limited:  # the loop releases the task's thread: keep it counted
            self._threads += 1
            self.peak_threads = max(self.peak_threads, self._threads)

        def wake():
            if self._limited:
                self._threads -= 1  # handed to the continuation
            if released:
                queue.async_(resume)
            else:
                resume.queue = queue
                self._submit(resume)

        subscribe(wake)
        current.parent.switch()

    def _wait_group(self, group: Group) -> None:
        if group.count:
            self.run(until=lambda: group.count == 0)
        if group.count:
            raise RuntimeError("group.wait(): nothing left to run but the group is not empty")
