"""The Event: one collision event in flight, its data products and its module wrappers."""

from __future__ import annotations

from contextvars import ContextVar

from labkit.scheduler.coro import Future
from labkit.scheduler.hep.modules import UNSAFE

OK, FAILED, CANCELLED = "ok", "failed", "cancelled"
IDLE, PREFETCHING, DONE = 0, 1, 2  # a module wrapper's states on one event

# the wrapper whose plain body is running (per thread, per simulation greenlet)
RUNNING: ContextVar = ContextVar("labkit_running_module", default=None)


class ModuleFailure(RuntimeError):
    """A module raised: names the module and the event, so the failure is traceable."""

    def __init__(self, module: str, event: int, cause: BaseException):
        super().__init__(f"module {module!r} failed on event {event}: "
                         f"{type(cause).__name__}: {cause}")
        self.module, self.event, self.cause = module, event, cause


class Event:
    """An event being processed. Wrappers are made on first use, so a module nobody
    needs is never touched. Three ways to read a product: ``product`` (declared in
    ``get``, so prefetched: already made), ``await get`` (a coroutine; suspends only the
    coroutine) and ``get_sync`` (a plain body; blocks it, holding its thread)."""

    __slots__ = ("index", "run", "processor", "wrappers", "products", "lock", "error",
                 "cancelled", "start", "end", "path_results", "made", "sync_waits")

    def __init__(self, index: int, run: int, processor):
        self.index = index
        self.run = run
        self.processor = processor
        self.wrappers: dict = {}
        self.products: dict = {}
        self.lock = processor.runtime.lock()
        self.error: BaseException | None = None
        self.cancelled = False
        self.start = self.end = 0.0
        self.path_results: dict = {}
        self.made: list = []  # the wrapper lists of the prefetch plans applied to it
        self.sync_waits: dict | None = None  # module blocked in get_sync -> what it waits for

    def wrapper(self, label: str):
        """The per-event wrapper of module ``label`` (created on first use)."""
        wrapper = self.wrappers.get(label)
        if wrapper is None:
            with self.lock:
                wrapper = self.wrappers.get(label)
                if wrapper is None:
                    cls, module, queue = self.processor.wrapper_parts[label]
                    wrapper = self.wrappers[label] = cls(module, self, queue)
        return wrapper

    @property
    def unsafe_queue(self):
        """The serial queue every thread-unsafe module shares: a coroutine that does
        ``await event.unsafe_queue`` runs its next steps excluded from all of them (a
        thread-unsafe sub-part of an otherwise re-entrant module)."""
        return self.processor.unsafe_queue

    def product(self, label: str):
        """A data product already made (callback-style modules list it in ``get``; one
        not declared is read with :meth:`get_sync`)."""
        return self.products[label]

    def get(self, label: str) -> Future:
        """Await the product of ``label``; runs its producer if nobody asked yet."""
        if label not in self.processor.modules:
            future = Future()
            future.set(error=KeyError(f"no module labelled {label!r}"))
            return future
        wrapper = self.wrapper(label)
        future = Future()
        wrapper.prefetch_and_run(lambda: future.set(wrapper.result, wrapper.error))
        return future

    def get_sync(self, label: str):
        """The product of ``label`` for a plain (non-``async``) module body: at once if
        it is made, else its producer is run (if nobody asked yet) and the body blocks
        until it is made, as toy-mt-framework's ``Event::get`` (``dispatch_group_wait``).
        The waiting module keeps its thread but no core; a thread-unsafe module lets
        the shared thread-unsafe queue run others meanwhile and takes it back after; a
        one-event-at-a-time module keeps its own queue. A label that does not exist, a
        wait that would close a dependency cycle, or a failed producer raise a
        :class:`ModuleFailure` (the event fails; nothing hangs). Declaring the label in
        ``get`` (prefetched) remains the fast way: use ``product`` then."""
        waiter = RUNNING.get()
        if waiter is None or waiter.ev is not self:
            raise RuntimeError(
                f"get_sync() on event {self.index} outside a module body that may block: "
                "give the module sync_get=True (automatic when its body calls get_sync "
                "itself); a coroutine awaits event.get")
        caller = waiter.spec.label
        if label not in self.processor.modules:
            raise ModuleFailure(caller, self.index,
                                KeyError(f"synchronous get of {label!r}: no module labelled so"))
        producer = self.wrapper(label)
        if producer.state != DONE:
            with self.lock:
                cycle = self._cycle(label, caller)
                if cycle is None:
                    if self.sync_waits is None:
                        self.sync_waits = {}
                    self.sync_waits[caller] = label
            if cycle is not None:
                raise ModuleFailure(caller, self.index, RuntimeError(
                    "synchronous get would deadlock: dependency cycle " + " -> ".join(cycle)))
            try:
                waiter.block_on(producer, release=waiter.spec.thread_type == UNSAFE)
            finally:
                with self.lock:
                    del self.sync_waits[caller]
        if producer.error is not None:
            raise producer.error
        return producer.result

    def _cycle(self, start: str, caller: str):
        """The path ``caller -> start -> ... -> caller`` if waiting for ``start`` would
        close a cycle: over the declared gets of modules not yet done and the
        synchronous gets now blocked (None if there is none)."""
        if start == caller:
            return [caller, caller]
        modules, wrappers, waits = self.processor.modules, self.wrappers, self.sync_waits or {}
        came_from = {start: caller}
        pending = [start]
        while pending:
            label = pending.pop()
            if label == caller:
                chain = [caller]
                node = came_from[caller]
                while node != start:
                    chain.append(node)
                    node = came_from[node]
                return [caller, start] + chain[::-1]
            wrapper = wrappers.get(label)
            if wrapper is not None and wrapper.state == DONE:
                continue
            nexts = list(modules[label].get)
            if label in waits:
                nexts.append(waits[label])
            for dep in nexts:
                if dep not in came_from:
                    came_from[dep] = label
                    pending.append(dep)
        return None

    def fail(self, error: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = error

    def cancel(self) -> None:
        """Stop the event's remaining coroutine work (checked at every resumption)."""
        self.cancelled = True

    @property
    def status(self) -> str:
        if self.error is not None:
            return FAILED
        return CANCELLED if self.cancelled else OK
