"""The per-task overhead model: what a real framework adds to a module's declared time.

Three costs, in seconds, each calibrated from a measurement rather than guessed:

- ``dispatch_s``: handing a ready task to a worker (queue push, wake-up, pop), paid by
  every task the runtime runs;
- ``per_module_s``: the framework's own work around a task (wrappers, prefetch groups,
  bookkeeping), paid by every task as well (a CMS event has ~490 module tasks and 3
  bookkeeping tasks, so charging all of them is within 1% of charging the modules only);
- ``sleep_overshoot_s + sleep_overshoot_per_s * t``: how much longer than ``t`` a
  sleeping task sleeps (usleep wakes up late), paid by every sleeping task.

:meth:`Overhead.tables` turns the model and a time scale into two pairs indexed by
``task.sleep`` (``duration = work * mult[sleep] + add[sleep]``): :meth:`Runtime.duration`
uses them in both backends, and the simulation's run loop inlines the same two lookups.
``Overhead.zero()`` gives ``mult = (scale, scale)`` and ``add = (0, 0)``, so a simulation
with it computes bit for bit what it computed before the model existed.

Calibrations (:func:`load`): ``"zero"``; ``"threads"`` (this machine's threads backend,
``calibration/threads.json`` written by :func:`labkit.scheduler.calibrate.measure_threads`);
``"toymt"`` (the paper's own framework, ``calibration/toymt.json`` written by the peer
benchmark; when absent, the threads calibration stands in and the returned model's
``source`` says so).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

from labkit.lab.errors import InputError

CALIBRATION = Path(__file__).with_name("calibration")
PROFILES = ("zero", "threads", "toymt")
FIELDS = ("dispatch_s", "per_module_s", "sleep_overshoot_s", "sleep_overshoot_per_s")


def check_cost(name: str, value) -> float:
    """One overhead parameter: a finite number >= 0 (the one validator of this kind)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise InputError(f"overhead {name} must be a finite number >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Overhead:
    """Per-task costs in seconds (see the module docstring); ``source`` says where the
    numbers come from."""

    dispatch_s: float = 0.0
    per_module_s: float = 0.0
    sleep_overshoot_s: float = 0.0
    sleep_overshoot_per_s: float = 0.0
    source: str = "zero"

    def __post_init__(self):
        for name in FIELDS:
            object.__setattr__(self, name, check_cost(name, getattr(self, name)))

    @classmethod
    def zero(cls) -> "Overhead":
        return cls()

    @property
    def is_zero(self) -> bool:
        return all(getattr(self, name) == 0 for name in FIELDS)

    def tables(self, time_scale: float = 1.0) -> tuple[tuple, tuple]:
        """``(mult, add)``, each indexed by ``task.sleep`` (False: busy, True: sleeping)."""
        per_task = self.dispatch_s + self.per_module_s
        mult = (time_scale, time_scale * (1.0 + self.sleep_overshoot_per_s))
        add = (per_task, per_task + self.sleep_overshoot_s)
        return mult, add

    def duration(self, work: float, sleep: bool, time_scale: float = 1.0) -> float:
        """How long a task of ``work`` declared seconds takes with this overhead (a
        sleeping task of zero work still makes its usleep call: it overshoots too)."""
        mult, add = self.tables(time_scale)
        return work * mult[sleep] + add[sleep]

    def single_threaded(self) -> "Overhead":
        """What the optimized single-threaded framework pays: its modules call usleep
        too (the overshoot), but it has no queues to dispatch through and no wrappers."""
        return replace(self, dispatch_s=0.0, per_module_s=0.0,
                       source=f"{self.source}; single-threaded: sleep overshoot only")

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def read(path: Path) -> dict:
    """A calibration file's parameters (the four FIELDS, seconds) and its other keys."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read overhead calibration {path}: {exc}") from None
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise InputError(f"overhead calibration {path} lacks {', '.join(missing)}")
    return data


def from_file(path: Path, source: str) -> Overhead:
    data = read(path)
    return Overhead(**{name: data[name] for name in FIELDS}, source=source)


def load(profile: str = "zero") -> Overhead:
    """The overhead model by name: ``zero``, ``threads`` or ``toymt`` (see above)."""
    if profile == "zero":
        return Overhead.zero()
    if profile not in PROFILES:
        raise InputError(f"unknown overhead {profile!r}: choose one of {', '.join(PROFILES)} "
                         "or give dispatch,per_module,overshoot,overshoot_per_s in seconds")
    threads = CALIBRATION / "threads.json"
    if profile == "threads":
        return from_file(threads, "threads backend on this machine (calibration/threads.json)")
    toymt = CALIBRATION / "toymt.json"
    if toymt.exists():
        return from_file(toymt, "toy-mt-framework (calibration/toymt.json)")
    return replace(from_file(threads, "threads"),
                   source="toymt.json not present: threads backend calibration stands in")


def parse(text: str) -> Overhead:
    """The CLI's ``--overhead``: a profile name or four comma-separated seconds
    (dispatch, per-module, sleep overshoot, overshoot per second slept)."""
    if text in PROFILES:
        return load(text)
    parts = text.split(",")
    if len(parts) != len(FIELDS):
        raise InputError(f"overhead must be one of {', '.join(PROFILES)} or "
                         f"{len(FIELDS)} comma-separated seconds, got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"overhead values must be numbers, got {text!r}") from None
    return Overhead(*values, source="explicit")
