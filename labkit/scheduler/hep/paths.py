"""Paths and EndPaths: ordered lists of filters (an output module ends a path).

All Paths of an event run concurrently; a "wait for paths" task group lets the EndPaths
start only once every Path has finished (as the paper's output modules wait for all
trigger paths).
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
    """A path run after every Path of the event finished."""

    end = True


def run_paths(runtime, event, paths, then) -> None:
    """Start ``paths`` on ``event`` together; ``then`` is a Task submitted to the global
    queue once all of them ended (the "wait for paths" group)."""
    group = runtime.group()
    for _ in paths:
        group.enter()
    for path in paths:
        path.start(event, group.leave)
    group.notify(runtime.concurrent, then)
