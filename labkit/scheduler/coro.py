"""Coroutines instead of callbacks: awaiting work, data and queues, with cancellation.

A task or module may be an ``async def``. Inside it:

- ``await work(seconds, wait)`` declares work (busy or sleeping) on the current queue;
- ``await event.get("label")`` waits for a data product (the paper's synchronous get),
  pulling the producer if nothing requested it yet;
- ``await queue`` moves the rest of the coroutine onto ``queue`` (e.g. a serial queue
  marks a thread-unsafe sub-part of a module).

Every resumption goes through one hook, :meth:`Driver._resume` (as C++'s
``await_transform``): it throws :class:`Cancelled` into the coroutine when its cancel
check says so, e.g. after a filter rejected the event. The driver never blocks a core
while the coroutine waits; each resumption is a task on the coroutine's current queue,
so it runs unchanged on the ``sim`` and ``threads`` backends.
"""

from __future__ import annotations

import threading

from labkit.scheduler.runtime import BUSY, Task


class Cancelled(Exception):
    """Thrown into a coroutine whose work is no longer wanted."""


class Work:
    """An awaitable declaring ``seconds`` of work (``BUSY`` or ``SLEEP``)."""

    __slots__ = ("seconds", "wait")

    def __init__(self, seconds: float, wait: str = BUSY):
        self.seconds = seconds
        self.wait = wait

    def __await__(self):
        return (yield self)


def work(seconds: float, wait: str = BUSY) -> Work:
    return Work(seconds, wait)


class Future:
    """A one-shot result (value or error) that coroutines await and callbacks watch."""

    __slots__ = ("done", "value", "error", "callbacks", "lock")

    def __init__(self):
        self.done = False
        self.value = None
        self.error = None
        self.callbacks = []
        self.lock = threading.Lock()

    def set(self, value=None, error=None) -> None:
        with self.lock:
            self.done, self.value, self.error = True, value, error
            callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            callback()

    def add_done(self, callback) -> None:
        with self.lock:
            if not self.done:
                self.callbacks.append(callback)
                return
        callback()

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value

    def __await__(self):
        if not self.done:
            yield self
        return self.result()


class Driver:
    """Steps one coroutine: every request it yields becomes a task on a queue.

    ``on_done(value, error)`` is called once when the coroutine returns or raises;
    ``cancelled()`` is consulted before every resumption.
    """

    __slots__ = ("coro", "queue", "module", "event", "on_done", "cancelled", "_pending")

    def __init__(self, coro, queue, *, on_done, cancelled=None, module: str = "",
                 event: int = -1):
        self.coro = coro
        self.queue = queue
        self.module = module
        self.event = event
        self.on_done = on_done
        self.cancelled = cancelled
        self._pending = None

    def start(self, work: float = 0.0, wait: str = BUSY) -> None:
        self.queue.async_(Task(self._resume, work, wait, name="start", module=self.module,
                               event=self.event))

    def _resume(self) -> None:
        """The single resumption hook (await_transform): cancellation is checked here."""
        pending, self._pending = self._pending, None
        error = None
        if isinstance(pending, Future):
            error = pending.error
            value = pending.value
        else:
            value = pending
        if error is None and self.cancelled is not None and self.cancelled():
            error = Cancelled(f"event {self.event}: cancelled")
        try:
            request = self.coro.send(value) if error is None else self.coro.throw(error)
        except StopIteration as stop:
            self.on_done(stop.value, None)
            return
        except Exception as exc:  # the coroutine failed: report, never lose it
            self.on_done(None, exc)
            return
        self._handle(request)

    def _handle(self, request) -> None:
        kind = type(request)
        if kind is Work:
            self.queue.async_(Task(self._resume, request.seconds, request.wait, name="work",
                                   module=self.module, event=self.event))
        elif kind is Future:
            self._pending = request
            request.add_done(self._wake)
        elif kind is tuple and len(request) == 2 and request[0] == "hop":
            self.queue = request[1]
            self._wake()
        else:
            self._pending = None
            self.coro.close()
            self.on_done(None, TypeError(f"a coroutine awaited {request!r}, which is not "
                                         "work(), a queue or an event product"))

    def _wake(self) -> None:
        self.queue.async_(Task(self._resume, 0.0, BUSY, name="resume", module=self.module,
                               event=self.event))


def spawn(runtime, coro, queue=None, *, on_done=None, cancelled=None) -> Future:
    """Run a coroutine (e.g. an ``async def`` task) on ``queue``; returns its Future."""
    future = Future()
    driver = Driver(coro, queue or runtime.concurrent,
                    on_done=lambda value, error: future.set(value, error), cancelled=cancelled)
    driver.start()
    if on_done is not None:
        future.add_done(on_done)
    return future
