"""Paths and EndPaths.

A Path is an ordered list of filters, run in sequence for an event and stopped by the
first rejection. An EndPath holds output modules, which are independent of each other, so
they all start together for an event (the paper, Sec. 2). All Paths of an event run
concurrently; a "wait for paths" task group lets the EndPaths start only once every Path
has finished (the decision to store an event depends on the Paths).
"""

from __future__ import annotations

from labkit.scheduler.hep.wrappers import FilterOnPathWrapper


class Path:
    """A named sequence of filter labels; it stops at the first rejection."""

    end = False

    def __init__(self, name: str, labels):
        self.name = name
        self.labels = tuple(labels)

    def start(self, event, done) -> None:
        """Run this path on ``event``; ``done()`` is called once when it ends."""
        chain = None
        for label in reversed(self.labels):
            chain = FilterOnPathWrapper(self, event.wrapper(label), chain, done)
        if chain is None:
            event.path_results[self.name] = True
            done()
        else:
            chain.run()

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, {list(self.labels)})"


class EndPath(Path):
    """Output modules run after every Path of the event finished, all at once."""

    end = True

    def start(self, event, done) -> None:
        """Start every output module of this EndPath on ``event``; ``done()`` once all
        of them finished."""
        remaining = len(self.labels)
        if not remaining:
            event.path_results[self.name] = True
            done()
            return
        lock = event.lock
        state = [remaining]

        def finished():
            with lock:
                state[0] -= 1
                last = state[0] == 0
            if last:
                wrappers = [event.wrapper(label) for label in self.labels]
                event.path_results[self.name] = all(w.error is None for w in wrappers)
                done()

        for label in self.labels:
            event.wrapper(label).prefetch_and_run(finished)


def run_paths(runtime, event, paths, then) -> None:
    """Start ``paths`` on ``event`` together; ``then`` is a Task submitted to the global
    queue once all of them ended (the "wait for paths" group)."""
    group = runtime.group()
    for _ in paths:
        group.enter()
    for path in paths:
        path.start(event, group.leave)
    group.notify(runtime.concurrent, then)
