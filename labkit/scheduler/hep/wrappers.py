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
from labkit.scheduler.hep.event import DONE, IDLE, PREFETCHING, RUNNING, ModuleFailure
from labkit.scheduler.runtime import BUSY, SLEEP, Task


class ModuleWrapper:
    """One module on one event.

    To keep a simulated module run cheap, the wrapper is also its own prefetch task group
    (``count``: the dependencies still missing; each one, when done, leaves the group by
    decrementing it under the event's lock, and the last leave submits the module) and
    the task that runs the module (it carries the runtime's task fields ``fn, work,
    sleep, name, module, event, queue``), so a run allocates nothing else. ``waiters``
    holds what to notify when the module is done, in registration order: dependent
    wrappers (their group is left) and :class:`Callback` s (called).
    """

    __slots__ = ("spec", "ev", "home", "state", "waiters", "result", "error", "count",
                 "work", "sleep", "queue", "made", "static")
    name = "module"
    stores_product = False
    # result, error: set when the module ran; count: the prefetch group's size;
    # made, static: a PrefetchPlan's wrappers for this event and the indices in it of
    # this module's dependents (they wait for it before any later waiter)

    def __init__(self, spec, ev, home):
        self.spec = spec
        self.ev = ev
        self.home = home  # the module's queue
        self.state = IDLE
        self.waiters = None
        self.work = spec.times[ev.index % spec.n_times]
        self.sleep = spec.sleeps
        self.queue = None
        self.made = None
        self.static = ()

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
                    self.waiters = [Callback(callback)]
                else:
                    self.waiters.append(Callback(callback))
                if state == IDLE:
                    self.state = PREFETCHING
        if state == DONE:
            callback()
        elif state == IDLE:
            self._prefetch()

    def _prefetch(self) -> None:
        """Ask for this module's dependencies, theirs, and so on (a work list, not
        recursion: a deep chain of modules cannot overflow the stack). On a fresh event
        (none of them asked for yet, the usual case for an event's first path) the
        processor's precomputed :class:`PrefetchPlan` wires the same groups at once."""
        ev = self.ev
        plan = ev.processor.prefetch_plan(self.spec.label)
        if plan.members is not None and ev.wrappers.keys().isdisjoint(plan.members):
            plan.apply(self)
            return
        pending = [self]
        while pending:
            pending.extend(pending.pop()._ask())

    def _ask(self) -> list:
        """Enter the group once per missing dependency and ask for them all, under one
        acquisition of the event's lock; returns the dependencies nobody had asked for
        (marked prefetching here, to be prefetched by the caller)."""
        deps = self.spec.get
        if not deps:
            self._go()
            return []
        ev = self.ev
        wrappers, parts = ev.wrappers, ev.processor.wrapper_parts
        missing = 0
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
                missing += 1  # enter
                if state == IDLE:
                    wrapper.state = PREFETCHING
                    wrapper.waiters = [self]
                    start.append(wrapper)
                elif wrapper.waiters is None:  # prefetching by a plan: no waiter yet
                    wrapper.waiters = [self]
                else:
                    wrapper.waiters.append(self)
            self.count = missing
        if not missing:  # the group's notify: nothing to wait for
            self._go()
        return start

    def _go(self) -> None:
        """The prefetch group is empty: submit the module to its queue."""
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
        if ev.error is not None or ev.cancelled:
            error = self._dependency_error()
            if error is not None:
                self._finish(None, error)
                return
        spec = self.spec
        ev.processor.tick()
        try:
            result = spec.body(ev) if spec.body is not None else spec.default(ev)
        except Exception as exc:  # a ModuleFailure (from a synchronous get) names them
            self._finish(None, exc if isinstance(exc, ModuleFailure)
                         else ModuleFailure(spec.label, ev.index, exc))
            return
        # the common case, _finish(result, None) inlined: this runs once per module run
        self.result = result
        self.error = None
        if self.stores_product:
            ev.products[spec.label] = result
        with ev.lock:
            self.state = DONE
            ready = []
            static = self.static
            if static:  # leave each waiter's group, in registration order
                made = self.made
                for j in static:
                    waiter = made[j]
                    waiter.count -= 1
                    if not waiter.count:
                        ready.append(waiter)
            waiters = self.waiters
            if waiters is not None:
                self.waiters = None
                for waiter in waiters:
                    waiter.count -= 1
                    if not waiter.count:
                        ready.append(waiter)
        for waiter in ready:
            waiter._go()

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
            made = self.made
            ready = []
            for waiter in [made[j] for j in self.static] + (waiters or []):
                waiter.count -= 1
                if not waiter.count:
                    ready.append(waiter)
        for waiter in ready:
            waiter._go()


class SyncGetMixin:
    """A module whose plain body may block in ``Event.get_sync`` (``spec.sync_get``):
    its run is set up to block (the runtime's ``run_blocking``: a greenlet in the sim)
    and marked as the running module. A mixin, so other modules' runs pay nothing."""

    __slots__ = ()

    def fn(self) -> None:
        self.ev.processor.runtime.run_blocking(self._run_marked)

    def _run_marked(self) -> None:
        token = RUNNING.set(self)
        try:
            super().fn()
        finally:
            RUNNING.reset(token)

    def block_on(self, producer, release: bool) -> None:
        """Wait, blocking this module's body, until ``producer`` has run (started now
        if nobody asked for it yet)."""
        self.ev.processor.runtime.block(self, producer.prefetch_and_run, release)


class Callback:
    """A callback waiting for a module (``prefetch_and_run``): a group of one."""

    __slots__ = ("count", "fn")

    def __init__(self, fn):
        self.count = 1
        self.fn = fn

    def _go(self) -> None:
        self.fn()


class PrefetchPlan:
    """What :meth:`ModuleWrapper._prefetch` does for module ``root`` on a fresh event,
    worked out once per processor: the wrappers it makes (in order), each one's
    dependents (whose prefetch group it leaves when done) and group size, and the
    modules with nothing to wait for, submitted in the same order as the work list
    would (so a simulation is unchanged). ``members``: the labels that must not have a
    wrapper yet for the plan to apply (None: nothing to gain, use the work list)."""

    __slots__ = ("nodes", "root_count", "launch", "members")

    def __init__(self, modules, root: str, parts: dict):
        index, labels, dependents, counts, launch = {root: 0}, [root], [[]], [0], []
        pending = [root]
        while pending:  # the work list of _prefetch/_ask, replayed on labels
            label = pending.pop()
            i = index[label]
            start = []
            for dep in modules[label].get:
                j = index.get(dep)
                if j is None:
                    j = index[dep] = len(labels)
                    labels.append(dep)
                    dependents.append([])
                    counts.append(0)
                    start.append(dep)
                dependents[j].append(i)
                counts[i] += 1
            if not counts[i]:
                launch.append(i)
            pending.extend(start)
        # per made wrapper: label, class, module, queue, dependents, group size and the
        # module's times and wait (read here rather than from the module: fewer objects
        # touched per wrapper)
        self.nodes = []
        for label, deps, n in zip(labels[1:], dependents[1:], counts[1:]):
            cls, spec, home = parts[label]
            self.nodes.append((label, cls, spec, home, tuple(deps), n, spec.times, spec.n_times,
                               spec.sleeps))
        self.root_count = counts[0]
        self.launch = launch
        self.members = frozenset(labels[1:]) if len(labels) > 1 else None

    def apply(self, root) -> None:
        """Make and wire the wrappers for ``root`` (already prefetching), then submit
        the modules that wait for nothing. The wrappers are made here field by field
        (the same fields as ``ModuleWrapper.__init__``): this is the hottest loop of a
        simulation."""
        ev = root.ev
        wrappers, index, new = ev.wrappers, ev.index, object.__new__
        made = [root]
        append = made.append
        with ev.lock:
            ev.made.append(made)  # the event clears it when done (no reference cycle)
            root.count = self.root_count
            for label, cls, spec, home, static, n, times, n_times, sleeps in self.nodes:
                wrapper = new(cls)
                wrapper.spec = spec
                wrapper.ev = ev
                wrapper.home = home
                wrapper.state = PREFETCHING
                wrapper.waiters = None
                wrapper.work = times[index % n_times]
                wrapper.sleep = sleeps
                wrapper.queue = None
                wrapper.made = made
                wrapper.static = static
                wrapper.count = n
                wrappers[label] = wrapper
                append(wrapper)
        for i in self.launch:
            made[i]._go()


class ProducerWrapper(ModuleWrapper):
    """Stores the product in the event."""

    __slots__ = ()
    stores_product = True


class FilterWrapper(ModuleWrapper):
    """Keeps the filter's decision (shared by every path holding the filter)."""

    __slots__ = ()


class ParallelForMixin:
    """A ParallelFor module (``spec.n_ranges`` pieces): on its own queue it suspends the
    queue, puts its pieces on the global queue, and when the last piece is done resumes
    the queue and runs the module (its body, its waiters) as any module does."""

    __slots__ = ()

    def _go(self) -> None:
        spec = self.spec
        if spec.is_coroutine:  # a coroutine declares its own work
            ModuleWrapper._go(self)
            return
        self.home.async_(Task(self._split, 0.0, BUSY, "parallel-for", spec.label,
                              self.ev.index))

    def _split(self) -> None:
        spec, home = self.spec, self.home
        runtime = self.ev.processor.runtime
        if hasattr(home, "suspend"):
            home.suspend()
        n = spec.n_ranges
        group = runtime.group()
        for _ in range(n):
            group.enter()
        piece = self.work / n
        wait = SLEEP if self.sleep else BUSY
        for _ in range(n):
            runtime.concurrent.async_(Task(group.leave, piece, wait, "range", spec.label,
                                           self.ev.index))
        group.notify(runtime.concurrent, Task(self._joined, 0.0, BUSY, "parallel-for-done",
                                              spec.label, self.ev.index))

    def _joined(self) -> None:
        if hasattr(self.home, "resume"):
            self.home.resume()
        self.fn()


class ParallelForFilterWrapper(ParallelForMixin, FilterWrapper):
    __slots__ = ()


class ParallelForProducerWrapper(ParallelForMixin, ProducerWrapper):
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


class SyncGetProducerWrapper(SyncGetMixin, ProducerWrapper):
    __slots__ = ()


class SyncGetFilterWrapper(SyncGetMixin, FilterWrapper):
    __slots__ = ()


class SyncGetParallelForProducerWrapper(SyncGetMixin, ParallelForProducerWrapper):
    __slots__ = ()


class SyncGetParallelForFilterWrapper(SyncGetMixin, ParallelForFilterWrapper):
    __slots__ = ()
