"""Per-event module wrappers: prefetch the data a module gets, then run it once.

``prefetch_and_run(callback)``: the first call enters the wrapper's prefetch task group
once per missing dependency, asks each dependency's wrapper to prefetch-and-run (each one
leaves the group when done), and the last leave submits the module's run to the module's
queue (the global queue, its own serial queue or the shared thread-unsafe one). Later
calls only add their callback. So a producer runs at most once per event, only when
something needs its data, and a filter shared by several paths runs once per event.

A module that raises, or whose dependency failed, fails the event with a
:class:`~labkit.scheduler.hep.event.ModuleFailure` naming the module and event number;
every waiter is still called, so nothing hangs.
"""

from __future__ import annotations

from labkit.scheduler.coro import Cancelled, Driver
from labkit.scheduler.hep.event import ModuleFailure
from labkit.scheduler.runtime import BUSY, Task

IDLE, PREFETCHING, DONE = 0, 1, 2


class ModuleWrapper:
    """One module on one event.

    To keep a simulated module run cheap, the wrapper is also its own prefetch task group
    (``count``: one token per dependency still missing, ``leave`` when one is done) and
    the task that runs the module (it carries the runtime's task fields ``fn, work,
    sleep, name, module, event, queue``), so a run allocates nothing else.
    """

    __slots__ = ("spec", "ev", "home", "state", "waiters", "result", "error", "count",
                 "work", "sleep", "queue")
    name = "module"
    stores_product = False
    # result, error: set when the module ran; count: the prefetch group's tokens

    def __init__(self, spec, ev, home):
        self.spec = spec
        self.ev = ev
        self.home = home  # the module's queue
        self.state = IDLE
        self.waiters = None
        self.work = spec.times[ev.index % spec.n_times]
        self.sleep = spec.sleeps
        self.queue = None

    @property
    def module(self) -> str:  # task field (trace)
        return self.spec.label

    @property
    def event(self) -> int:  # task field (trace)
        return self.ev.index

    def prefetch_and_run(self, callback) -> None:
        if self.state == DONE:  # final state: no lock needed to see it
            callback()
            return
        with self.ev.lock:
            state = self.state
            if state != DONE:
                if self.waiters is None:
                    self.waiters = [callback]
                else:
                    self.waiters.append(callback)
                if state == IDLE:
                    self.state = PREFETCHING
        if state == DONE:
            callback()
        elif state == IDLE:
            self._prefetch()

    def _prefetch(self) -> None:
        """Ask for this module's dependencies, theirs, and so on (a work list, not
        recursion: a deep chain of modules cannot overflow the stack)."""
        pending = [self]
        while pending:
            pending.extend(pending.pop()._ask())

    def _ask(self) -> list:
        """Enter the group once per missing dependency and ask for them all, under one
        acquisition of the event's lock; returns the dependencies nobody had asked for
        (marked prefetching here, to be prefetched by the caller)."""
        deps = self.spec.get
        if not deps:
            self._launch()
            return []
        ev = self.ev
        wrappers, parts, leave = ev.wrappers, ev.processor.wrapper_parts, self.leave
        tokens = [True]  # the group's own entry, left last (see leave)
        start = []
        with ev.lock:
            for label in deps:
                wrapper = wrappers.get(label)
                if wrapper is None:
                    cls, module, queue = parts[label]
                    wrapper = wrappers[label] = cls(module, ev, queue)
                state = wrapper.state
                if state == DONE:
                    continue
                tokens.append(False)  # enter
                if state == IDLE:
                    wrapper.state = PREFETCHING
                    wrapper.waiters = [leave]
                    start.append(wrapper)
                else:
                    wrapper.waiters.append(leave)
            self.count = tokens
        if tokens.pop():  # the group's own leave
            self._launch()
        return start

    def leave(self) -> None:
        """A dependency is done; the last leave submits the module to its queue (the
        group's notify). Lock-free: ``list.pop`` is atomic, and only the final pop
        returns the True entry that was put first."""
        if self.count.pop():
            if self.spec.is_coroutine:
                self._launch()
            else:
                self.home.async_(self)

    def _launch(self) -> None:
        spec = self.spec
        if spec.is_coroutine:
            self.home.async_(Task(self._start_coroutine, 0.0, BUSY, "start", spec.label,
                                  self.ev.index))
        else:
            self.home.async_(self)

    def _dependency_error(self):
        wrappers = self.ev.wrappers
        for label in self.spec.get:
            error = getattr(wrappers.get(label), "error", None)
            if error is not None:
                return error
        return None

    def fn(self) -> None:
        """Run the module (called by the runtime once its work is done)."""
        ev = self.ev
        error = self._dependency_error() if ev.error is not None or ev.cancelled else None
        result = None
        if error is None:
            spec = self.spec
            ev.processor.tick()
            try:
                result = spec.body(ev) if spec.body is not None else spec.default(ev)
            except Exception as exc:
                error = ModuleFailure(spec.label, ev.index, exc)
        self._finish(result, error)

    def _start_coroutine(self) -> None:
        ev, spec = self.ev, self.spec
        error = self._dependency_error() if ev.error is not None or ev.cancelled else None
        if error is not None:
            self._finish(None, error)
            return
        ev.processor.tick()
        driver = Driver(spec.body(ev), self.home, on_done=self._coroutine_done,
                        cancelled=lambda: ev.cancelled, module=spec.label, event=ev.index)
        driver._resume()  # already on the module's queue: start inline

    def _coroutine_done(self, result, error) -> None:
        if error is not None and not isinstance(error, (ModuleFailure, Cancelled)):
            error = ModuleFailure(self.spec.label, self.ev.index, error)
        self._finish(result, error)

    def _finish(self, result, error) -> None:
        ev = self.ev
        if error is not None and not isinstance(error, Cancelled):
            ev.fail(error)
        self.result, self.error = result, error
        if self.stores_product and error is None:
            ev.products[self.spec.label] = result
        with ev.lock:
            self.state = DONE
            waiters, self.waiters = self.waiters, None
        if waiters:
            for callback in waiters:
                callback()


class ProducerWrapper(ModuleWrapper):
    """Stores the product in the event."""

    __slots__ = ()
    stores_product = True


class FilterWrapper(ModuleWrapper):
    """Keeps the filter's decision (shared by every path holding the filter)."""

    __slots__ = ()


class FilterOnPathWrapper:
    """One filter's place on one path for one event: run the shared FilterWrapper, then
    continue with the next filter or end the path (a rejection ends it)."""

    __slots__ = ("path", "filter", "next", "done")

    def __init__(self, path, filter_wrapper, next_wrapper, done):
        self.path = path
        self.filter = filter_wrapper
        self.next = next_wrapper
        self.done = done

    def run(self) -> None:
        self.filter.prefetch_and_run(self._decided)

    def _decided(self) -> None:
        wrapper = self.filter
        event = wrapper.ev
        if wrapper.error is None and wrapper.result:
            if self.next is not None:
                self.next.run()
                return
            event.path_results[self.path.name] = True
        else:
            if wrapper.error is None and wrapper.spec.cancels:
                event.cancel()
            event.path_results[self.path.name] = False
        self.done()
