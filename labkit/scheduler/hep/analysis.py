"""Analyses of a configuration and of traces: work, critical path, concurrency.

The critical path of an event is the longest chain of dependent module times; with
unlimited cores an event cannot finish faster, so ``mean work / mean critical path`` is
the best speedup one event in flight can reach (the paper's 29% for the high-pileup
reconstruction). Only modules some path needs are counted (the single-threaded
framework runs nothing else).
"""

from __future__ import annotations

import re

import numpy as np

from labkit.lab.errors import InputError
from labkit.lab.limits import check_memory

BYTES_PER_TIME = 4 * 8  # an event's time of a module: times, index, finish, ready (float64)


def needed_modules(config) -> list:
    """Modules reachable from the paths, dependencies first (configuration order)."""
    by_label = config.by_label
    need: set = set()
    stack = [label for path in config.paths for label in path.labels]
    while stack:
        label = stack.pop()
        if label not in need:
            need.add(label)
            stack.extend(by_label[label].get)
    return [m for m in config.modules if m.label in need]


def event_times(config, events: int) -> tuple[list, np.ndarray]:
    """(needed modules, times[event, module]) for events ``0..events-1``."""
    if not isinstance(events, int) or events < 1:
        raise InputError(f"events must be a positive integer, got {events!r}")
    modules = needed_modules(config)
    check_memory(f"{events:,} events x {len(modules):,} modules of times",
                 events * len(modules) * BYTES_PER_TIME)
    idx = np.arange(events)
    times = np.empty((events, len(modules)))
    for j, m in enumerate(modules):
        t = np.asarray(m.times)
        times[:, j] = t[idx % len(t)]
    return modules, times


def work_between(config, first: int, stop: int) -> float:
    """Seconds of work the needed modules do on events ``first .. stop-1``, summed per
    module over whole eventTimes cycles and the remainder: no array of events x modules,
    so ten million events cost what ten do."""
    total = 0.0
    for m in needed_modules(config):
        t = np.asarray(m.times)
        cycles, rest = divmod(stop - first, len(t))
        tail = t[(first + np.arange(rest)) % len(t)]
        total += cycles * float(t.sum()) + float(tail.sum())
    return total


def critical_paths(config, events: int | None = None):
    """One row per event: ``event, work_s, critical_path_s`` (``events`` defaults to the
    longest eventTimes cycle, 100 for the CMS data)."""
    import pandas as pd

    if events is None:
        events = max((m.n_times for m in config.modules), default=1)
    modules, times = event_times(config, events)
    column = {m.label: j for j, m in enumerate(modules)}
    finish = np.zeros_like(times)
    for j, m in enumerate(modules):  # dependencies come first
        ready = np.zeros(events)
        for dep in m.get:
            ready = np.maximum(ready, finish[:, column[dep]])
        finish[:, j] = ready + times[:, j]
    return pd.DataFrame({"event": np.arange(events), "work_s": times.sum(axis=1),
                         "critical_path_s": finish.max(axis=1) if modules else 0.0})


def speedup_bound(config, events: int | None = None) -> dict:
    """The CLI's ``critical-path`` answer; a configuration without work is refused
    (its bound would be 0 / 0)."""
    frame = critical_paths(config, events)
    work, path = float(frame.work_s.mean()), float(frame.critical_path_s.mean())
    if not path > 0:
        raise InputError(f"{config.name}: every module time is 0 on the "
                         f"{len(frame)} event{'s' if len(frame) > 1 else ''} of its cycle "
                         "(or no path needs a module), so the critical path is 0 s and the "
                         "speedup bound (work / critical path) is undefined")
    return {"speedup_bound": work / path,
            "mean_event_work_s": work, "mean_critical_path_s": path}


def concurrency_profile(trace, event: int | None = None):
    """Number of modules running over time: rows ``start, end, running, modules``
    (a step function; ``modules`` names who runs in each step)."""
    import pandas as pd

    runs = trace[trace["task"].isin(["module", "work"]) & (trace["end"] > trace["start"])]
    if event is not None:
        runs = runs[runs["event"] == event]
    if runs.empty:
        return pd.DataFrame(columns=["start", "end", "running", "modules"])
    points = np.unique(np.concatenate([runs["start"].to_numpy(), runs["end"].to_numpy()]))
    starts, ends = runs["start"].to_numpy(), runs["end"].to_numpy()
    labels = runs["module"].to_numpy()
    rows = []
    for a, b in zip(points[:-1], points[1:]):
        active = (starts <= a) & (ends >= b)
        rows.append((a, b, int(active.sum()), ", ".join(sorted(set(labels[active])))))
    return pd.DataFrame(rows, columns=["start", "end", "running", "modules"])


def low_concurrency_periods(profile, *, max_running: int = 2, min_duration: float = 1.0):
    """Merged stretches where at most ``max_running`` modules run for at least
    ``min_duration`` seconds: ``start, end, duration, modules`` (by running time in the
    stretch, longest first), ``family`` and ``family_share`` (see :func:`family_of`: the
    family holding most of the stretch's module time, and that share)."""
    import pandas as pd

    rows, current = [], None
    for r in profile.itertuples():
        if r.running <= max_running:
            if current is None:
                current = [r.start, r.end, {}]
            current[1] = r.end
            for name in filter(None, r.modules.split(", ")):
                current[2][name] = current[2].get(name, 0.0) + (r.end - r.start)
        elif current is not None:
            rows.append(current)
            current = None
    if current is not None:
        rows.append(current)
    out = []
    for a, b, names in rows:
        if b - a >= min_duration:
            family, share = dominant_family(names)
            out.append((a, b, b - a, ", ".join(sorted(names, key=names.get, reverse=True)),
                        family, share))
    return pd.DataFrame(out, columns=["start", "end", "duration", "modules", "family",
                                      "family_share"])


# What the paper names the two long periods of its Figure 5 by, as module labels of the
# CMS reconstruction: the iterative track finding and fitting steps, and the search for
# photons converted into electron-positron pairs (conv*, *Conversion*).
FAMILIES = (
    ("photon conversions", re.compile(r"(?i)conv")),
    ("tracking", re.compile(r"^(initial|lowPtTriplet|pixelPair|detachedTriplet|mixedTriplet|"
                            r"pixelLess|tobTec)Step|^generalTracks$")),
)


def family_of(label: str) -> str:
    """``tracking``, ``photon conversions`` or ``other``, from the module label."""
    for family, pattern in FAMILIES:
        if pattern.search(label):
            return family
    return "other"


def dominant_family(seconds: dict) -> tuple[str, float]:
    """The family holding most of ``seconds`` (module -> running seconds), and its share."""
    total = sum(seconds.values())
    if total <= 0:
        return "other", 0.0
    by_family: dict = {}
    for label, t in seconds.items():
        family = family_of(label)
        by_family[family] = by_family.get(family, 0.0) + t
    family = max(by_family, key=by_family.get)
    return family, by_family[family] / total


def typical_event(config) -> int:
    """The stated rule for Figure 5's "typical event": the event (of one eventTimes cycle)
    whose total module time is the median's nearest."""
    work = critical_paths(config).work_s
    return int((work - work.median()).abs().idxmin())


def mean_concurrency(trace) -> float:
    """Mean number of modules running while any runs (busy and sleeping)."""
    profile = concurrency_profile(trace)
    if profile.empty:
        return 0.0
    width = profile["end"] - profile["start"]
    busy = profile["running"] > 0
    return float((profile["running"] * width)[busy].sum() / width[busy].sum())
