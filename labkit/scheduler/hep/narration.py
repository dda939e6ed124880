"""The order of events the paper narrates for its Figure 2, checked on a run's trace.

Section 2 of the paper walks through one event of the Figure 1 example (see
:func:`~labkit.scheduler.hep.examples.figure2`). Each sentence of that walk-through is a
statement about module start and end times; :func:`figure2_order` evaluates every one on
a trace and returns a tidy frame (statement, holds, detail), so a notebook can show which
part of the narration a run reproduces and a test can break one on purpose.
"""

from __future__ import annotations

from labkit.lab.errors import InputError

MODULES = ("A", "B", "C", "D", "F1", "F2", "F3", "O")


def _intervals(trace, event: int) -> dict:
    rows = trace[(trace["event"] == event) & (trace["task"] == "module")]
    spans = {m: (float(s), float(e)) for m, s, e in zip(rows["module"], rows["start"],
                                                         rows["end"])}
    missing = [m for m in MODULES if m not in spans]
    if missing:
        raise InputError(f"the trace of event {event} has no run of {', '.join(missing)}: "
                         "is it a run of the Figure 1 example?")
    return spans


def _statements(s: dict, eq, next_start):
    """(sentence, holds) pairs; ``s[m] = (start, end)``, ``eq`` compares two instants."""
    start = {m: v[0] for m, v in s.items()}
    end = {m: v[1] for m, v in s.items()}
    others = [m for m in MODULES if m != "A"]
    yield ("Producer A is the first module to run",
           all(start["A"] < start[m] for m in others) and all(start[m] >= end["A"] or eq(
               start[m], end["A"]) for m in others))
    yield ("once A finishes, B and C run concurrently",
           eq(start["B"], end["A"]) and eq(start["C"], end["A"])
           and max(start["B"], start["C"]) < min(end["B"], end["C"]))
    yield ("C finishes early, which lets F2 start while F1 still waits for B",
           end["C"] < end["B"] and eq(start["F2"], end["C"]) and start["F2"] < start["F1"])
    yield ("when B finishes, F1 starts and runs concurrently with F2",
           eq(start["F1"], end["B"]) and start["F1"] < end["F2"])
    yield ("F1 accepts, Path 1 moves on to F3, and D (which F3 needs) is started then",
           eq(start["D"], end["F1"]))
    yield ("the long-running F2 finishes, ending Path 2, before D is done",
           end["F2"] > end["F1"] and end["F2"] <= end["D"])
    yield ("with D finished, F3 runs and ends the last Path",
           eq(start["F3"], end["D"]))
    yield ("with both Paths finished the EndPath runs O at once (C is already done)",
           eq(start["O"], max(end["F3"], end["F2"])) and end["C"] <= start["O"])
    if next_start is not None:
        yield ("once O finishes, a new event starts", eq(next_start, end["O"]))


def figure2_order(trace, *, event: int = 0, tolerance: float = 1e-9):
    """Evaluate the narration on ``trace`` (a runtime trace of the Figure 1 example with one
    event in flight). ``tolerance``: seconds within which two instants count as the same
    (0 in simulated time; dispatch latency on real threads). Rows: statement, holds."""
    import pandas as pd

    if not tolerance >= 0:
        raise InputError(f"tolerance must be >= 0 seconds, got {tolerance!r}")
    spans = _intervals(trace, event)
    following = trace[(trace["event"] == event + 1) & (trace["module"] == "A")]
    next_start = float(following["start"].iloc[0]) if len(following) else None

    def eq(a, b):
        return abs(a - b) <= tolerance

    rows = [(text, bool(ok)) for text, ok in _statements(spans, eq, next_start)]
    return pd.DataFrame(rows, columns=["statement", "holds"])
