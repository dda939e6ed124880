"""The single-threaded framework: the paper's baseline, reading the same configurations.

One event at a time, one module at a time: the paths' filters in order, each after the
producers it depends on (depth first), every needed module once per event, nothing that
no path needs. ``run`` executes for real on the calling thread (busy-wait or sleep, no
queues, no locks: the optimized baseline); ``run_on`` runs the same sequence as tasks on
a runtime, one private serial queue per process, which with ``processes=k`` models k
independent single-threaded jobs sharing the machine (the paper's Figure 3 curve).
"""

from __future__ import annotations

import time

from labkit.scheduler.hep.processor import EVENT_COLUMNS, ProcessResult, check_positive
from labkit.scheduler.hep.modules import Source
from labkit.scheduler.runtime import SLEEP, Task


class _SerialEvent:
    """What a plain module body sees in the single-threaded framework."""

    __slots__ = ("index", "products")

    def __init__(self, index, products):
        self.index, self.products = index, products

    def product(self, label):
        return self.products[label]


class SerialFramework:
    """Runs a configuration's paths and end paths single-threaded."""

    def __init__(self, modules, paths, end_paths=()):
        self.modules = {m.label: m for m in modules}
        self.paths = list(paths) + list(end_paths)

    def walk(self, index: int, results: dict):
        """Yield the modules to run for event ``index`` in order; ``results`` is filled by
        the caller after each module ran (filters decide whether a path goes on)."""
        modules = self.modules
        for path in self.paths:
            for label in path.labels:
                stack = [(label, False)]
                while stack:
                    name, expanded = stack.pop()
                    if name in results:
                        continue
                    if expanded:
                        yield modules[name]
                        continue
                    stack.append((name, True))
                    for dep in reversed(modules[name].get):
                        if dep not in results:
                            stack.append((dep, False))
                if not results[label]:
                    break

    @staticmethod
    def _call(module, index, results):
        try:
            if module.body is None or module.is_coroutine:
                value = module.default(None)
            else:
                value = module.body(_SerialEvent(index, results))
        except Exception as exc:
            value = None
            results["__error__"] = f"module {module.label!r} failed on event {index}: {exc}"
        results[module.label] = value

    def run(self, source, *, time_scale: float = 1.0, busy=None) -> ProcessResult:
        """Process ``source`` for real on this thread; ``busy(seconds)`` burns CPU
        (default: the calibrated nogil busy-wait)."""
        import pandas as pd

        if isinstance(source, int):
            source = Source(source)
        if busy is None:
            from labkit.scheduler.busywait import busy_wait as busy
        rows, runs = [], 0
        t0 = time.perf_counter()
        for index, run in source:
            start = time.perf_counter() - t0
            results: dict = {}
            for module in self.walk(index, results):
                seconds = module.times[index % module.n_times] * time_scale
                if module.wait == SLEEP:
                    time.sleep(seconds)
                else:
                    busy(seconds)
                self._call(module, index, results)
                runs += 1
            end = time.perf_counter() - t0
            rows.append((index, run, start, end, "failed" if "__error__" in results else "ok",
                         results.get("__error__", "")))
        events = pd.DataFrame(rows, columns=EVENT_COLUMNS)
        return ProcessResult(events=events, module_runs=runs, sim_time_s=end, wall_s=end)

    def run_on(self, runtime, source, *, processes: int = 1) -> ProcessResult:
        """Run as ``processes`` independent single-threaded jobs on ``runtime``."""
        import pandas as pd

        check_positive("processes", processes)
        if isinstance(source, int):
            source = Source(source)
        events = iter(source)
        rows, counter = [], [0]

        def job(queue):
            item = next(events, None)
            if item is None:
                return
            index, run = item
            results: dict = {}
            walk = self.walk(index, results)
            start = runtime.now()

            def step(module=None):
                if module is not None:
                    self._call(module, index, results)
                    counter[0] += 1
                following = next(walk, None)
                if following is None:
                    rows.append((index, run, start, runtime.now(),
                                 "failed" if "__error__" in results else "ok",
                                 results.get("__error__", "")))
                    job(queue)
                    return
                queue.async_(Task(lambda: step(following),
                                  following.times[index % following.n_times], following.wait,
                                  "module", following.label, index))

            step()

        wall = time.perf_counter()
        for p in range(processes):
            job(runtime.serial_queue(f"process{p}"))
        runtime.run()
        wall = time.perf_counter() - wall
        frame = pd.DataFrame(rows, columns=EVENT_COLUMNS).sort_values("event", ignore_index=True)
        return ProcessResult(events=frame, module_runs=counter[0],
                             sim_time_s=float(frame["end"].max()), wall_s=wall,
                             trace=runtime.trace() if runtime.record else None,
                             inflight=processes)
