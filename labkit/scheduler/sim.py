"""The ``sim`` backend: discrete-event simulated time on N virtual cores.

One heap of (end time, sequence, task) entries, a FIFO of ready tasks and a stack of free
cores; no thread, greenlet or generator per task (and no cyclic garbage collection
while it runs: the framework breaks its own cycles), so a whole CMS configuration at
thousands of events in flight simulates in seconds. A busy task holds a core from its
start to ``start + work``; a sleeping task holds none (libdispatch starts another thread
when one blocks). A task's callable runs at its end time; ``task_overhead`` adds a fixed
cost to every task (framework overhead studies).
"""

from __future__ import annotations

import gc
from collections import deque
from heapq import heappop, heappush
from itertools import count

from labkit.lab.errors import InputError
from labkit.scheduler.runtime import Group, Runtime, Task


class SimRuntime(Runtime):
    """Simulated time; ``run()`` processes events until nothing is left."""

    backend = "sim"

    def __init__(self, cores: int = 1, *, time_scale: float = 1.0, record: bool = True,
                 task_overhead: float = 0.0):
        super().__init__(cores, time_scale=time_scale, record=record)
        if not (isinstance(task_overhead, (int, float)) and task_overhead >= 0):
            raise InputError(f"task overhead must be >= 0 seconds, got {task_overhead!r}")
        self.task_overhead = float(task_overhead)
        self._now = 0.0
        self._heap: list = []
        self._ready: deque = deque()
        self._free = list(range(cores - 1, -1, -1))
        self._seq = count()

    def now(self) -> float:
        return self._now

    def _submit(self, task: Task) -> None:
        if task.sleep:
            core = -1
        elif self._free:
            core = self._free.pop()
        else:
            self._ready.append(task)
            return
        now = self._now  # start now (as _start, inlined: this is the hottest call)
        heappush(self._heap, (now + task.work * self.time_scale + self.task_overhead,
                              next(self._seq), task, core, now))

    def _start(self, task: Task, core: int) -> None:
        now = self._now
        heappush(self._heap, (now + task.work * self.time_scale + self.task_overhead,
                              next(self._seq), task, core, now))

    def run(self, until=None) -> None:
        """Process events; stop early when ``until()`` becomes true."""
        heap, ready, free, trace = self._heap, self._ready, self._free, self._trace
        record, start = self.record, self._start
        ran = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived objects: the cyclic GC would dominate
        try:
            while heap:
                end, _, task, core, begin = heappop(heap)
                self._now = end
                task.fn()
                queue = task.queue
                if queue is not None:
                    queue._finished()
                if record:
                    trace.append((task.name, task.module, task.event, begin, end, core))
                if core >= 0:
                    if ready:
                        start(ready.popleft(), core)
                    else:
                        free.append(core)
                ran += 1
                if until is not None and until():
                    break
        finally:
            self.tasks_run += ran
            if collecting:
                gc.enable()

    def _wait_group(self, group: Group) -> None:
        if group.count:
            self.run(until=lambda: group.count == 0)
        if group.count:
            raise RuntimeError("group.wait(): nothing left to run but the group is not empty")
