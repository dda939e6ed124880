"""The Event: one collision event in flight, its data products and its module wrappers."""

from __future__ import annotations

from labkit.scheduler.coro import Future

OK, FAILED, CANCELLED = "ok", "failed", "cancelled"


class ModuleFailure(RuntimeError):
    """A module raised: names the module and the event, so the failure is traceable."""

    def __init__(self, module: str, event: int, cause: BaseException):
        super().__init__(f"module {module!r} failed on event {event}: "
                         f"{type(cause).__name__}: {cause}")
        self.module, self.event, self.cause = module, event, cause


class Event:
    """An event being processed. Wrappers are made on first use, so a module nobody
    needs is never touched; ``get`` is the coroutine-side synchronous get."""

    __slots__ = ("index", "run", "processor", "wrappers", "products", "lock", "error",
                 "cancelled", "start", "end", "path_results", "made")

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
        """A data product already made (callback-style modules list it in ``get``)."""
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
