"""toy-mt-framework, the CMS paper's own C++ framework, as a peer of labkit's scheduler.

The peer is built outside the repository (``benchmarks/peers/build_toymt.sh``; CI does not
build it). This module holds what labkit needs to run it beside its own backends:

- :func:`peer_config`: a configuration scaled the way the comparisons scale it (every
  ``eventTimes`` value times ``scale``, N events in flight, ``options.nThreads``, every
  module's threadType forced for the all-unsafe / one-at-a-time variants), as toy-mt JSON;
- :func:`run_peer` / :func:`parse_output`: run ``TBBDemo`` and read its last line;
- :func:`makespan_rate`: labkit's number defined as the peer defines its own (see there);
- :func:`load_calibration`: the measured per-task costs of the real framework on this
  machine (``calibration/toymt.json``, written by ``benchmarks/peers/calibrate_toymt.py``).

Why the peer's definition of throughput matters: ``TBBDemo`` prints *events / wall time
of the whole run* (makespan, start-up and drain included), not labkit's steady-state rate
(:func:`~labkit.scheduler.hep.processor.steady_throughput`); a short run differs by the
ramp-up and the tail, so the two are only compared on the same definition.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import tempfile
from pathlib import Path

from labkit.lab.errors import InputError
from labkit.scheduler.hep.modules import ONE_AT_A_TIME, REENTRANT, UNSAFE

BUILD_ENV = "LABKIT_TOYMT"  # a build folder (holding TBBProcessingDemo/TBBDemo) or the binary
DEFAULT_BUILD = Path("/work/scratch/cms-peer/toymt/build")
BINARIES = {"tbb": "TBBProcessingDemo/TBBDemo",
            "single": "SingleThreadedProcessingDemo/SingleThreadedDemo"}
CALIBRATION = Path(__file__).with_name("calibration") / "toymt.json"
CALIBRATION_KEYS = ("sleep_overshoot_s", "sleep_overshoot_per_s", "per_module_s", "dispatch_s")
# labkit's safety override -> the threadType written on every module (None: as configured)
THREAD_TYPE_FOR = {"as-config": None, "reentrant": REENTRANT, "one-at-a-time": ONE_AT_A_TIME,
                   "unsafe": UNSAFE}
BUILD_HINT = ("toy-mt-framework is not built: run benchmarks/peers/build_toymt.sh "
              f"(about 1-3 min on 2 cores; needs cmake, g++, libtbb-dev, libboost-dev), or set "
              f"${BUILD_ENV} to its build folder")
_LAST_LINE = re.compile(
    r"# threads:(?P<threads>\d+) # simultaneous events:(?P<inflight>\d+) "
    r"total # events:(?P<events>\d+) cpu time:(?P<cpu_s>\S+) real time:(?P<real_s>\S+) "
    r"events/sec:(?P<events_per_s>\S+)")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return value


def _positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a positive number, got {value!r}")
    return float(value)


# -- finding the peer -------------------------------------------------------------------
def find_peer(which: str = "tbb") -> Path | None:
    """The built peer binary (``tbb``: TBBDemo, ``single``: SingleThreadedDemo), or None.

    Looks at ``$LABKIT_TOYMT`` (a build folder or the binary itself), then at the folder
    ``build_toymt.sh`` builds into by default."""
    if which not in BINARIES:
        raise InputError(f"unknown peer binary {which!r}: choose {' or '.join(BINARIES)}")
    places = []
    if os.environ.get(BUILD_ENV):
        given = Path(os.environ[BUILD_ENV])
        places += [given] if given.is_file() else [given / BINARIES[which]]
    places.append(DEFAULT_BUILD / BINARIES[which])
    for place in places:
        if place.is_file() and os.access(place, os.X_OK) and place.name == Path(
                BINARIES[which]).name:
            return place
    return None


# -- configurations ---------------------------------------------------------------------
def read_raw(path) -> dict:
    """A configuration file as decoded JSON, validated by labkit's own reader first (so a
    file labkit refuses is refused here too, with the same message)."""
    from labkit.scheduler.hep.config import load

    load(path)
    return json.loads(Path(path).read_text())


def peer_config(raw: dict, *, scale: float, inflight: int, events: int,
                threads: int | None = None, safety: str = "as-config") -> dict:
    """A copy of ``raw`` ready for ``TBBDemo``: every ``eventTimes``/``averageTime`` value
    times ``scale``, ``inflight`` simultaneous events, ``events`` iterations of the source,
    ``threads`` in ``options.nThreads`` (None: the peer's default, one per core) and, unless
    ``safety`` is ``as-config``, every module's threadType set to that variant's."""
    _positive_number("scale", scale)
    _positive_int("events in flight", inflight)
    _positive_int("events", events)
    if threads is not None:
        _positive_int("threads", threads)
    if safety not in THREAD_TYPE_FOR:
        raise InputError(f"unknown safety {safety!r}: choose one of {', '.join(THREAD_TYPE_FOR)}")
    if not isinstance(raw, dict) or not isinstance(raw.get("process"), dict):
        raise InputError("configuration: expected an object with a 'process' object")
    out = copy.deepcopy(raw)
    process = out["process"]
    thread_type = THREAD_TYPE_FOR[safety]
    for module in process.get("producers", []) + process.get("filters", []):
        for key in ("eventTimes", "averageTime"):
            if key in module:
                value = module[key]
                module[key] = ([t * scale for t in value] if isinstance(value, list)
                               else value * scale)
        if thread_type is not None:
            module["threadType"] = thread_type
    options = process.setdefault("options", {})
    options["nSimultaneousEvents"] = inflight
    if threads is None:
        options.pop("nThreads", None)
    else:
        options["nThreads"] = threads
    process.setdefault("source", {"@type": "demo::SimpleSource"})["iterations"] = events
    return out


def chain_config(modules: int, seconds: float, *, wait: str = "sleep", events: int = 1,
                 threads: int = 1, inflight: int = 1) -> dict:
    """A calibration configuration: ``modules`` producers in a chain (each gets the one
    before), each waiting ``seconds`` per event, and one pass filter getting the last,
    alone on a path. Every module then runs strictly after the one before it, so the
    wall time per event is ``modules`` x (wait + the framework's cost per module)."""
    _positive_int("modules", modules)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
            math.isfinite(seconds) and seconds >= 0):
        raise InputError(f"seconds must be a number >= 0, got {seconds!r}")
    if wait not in ("sleep", "busy"):
        raise InputError(f"unknown wait {wait!r}: choose sleep or busy")
    kind = "Sleeping" if wait == "sleep" else "BusyWait"
    producers = []
    for i in range(modules):
        producers.append({"@label": f"p{i}", "@type": f"demo::EventTimes{kind}Producer",
                          "threadType": REENTRANT, "eventTimes": [float(seconds)],
                          "toGet": [{"label": f"p{i - 1}", "product": ""}] if i else []})
    last = {"@label": "end", "@type": "demo::EventTimesBusyWaitPassFilter",
            "threadType": REENTRANT, "eventTimes": [0.0],
            "toGet": [{"label": f"p{modules - 1}", "product": ""}]}
    return {"process": {
        "label": f"chain{modules}",
        "options": {"busyWaitScaleFactor": 2.2e7, "nSimultaneousEvents": inflight,
                    "nThreads": threads},
        "source": {"@type": "demo::SimpleSource", "iterations": events},
        "producers": producers, "filters": [last], "paths": {"p": ["end"]}}}


# -- running it -------------------------------------------------------------------------
def parse_output(text: str) -> dict:
    """The numbers of ``TBBDemo``'s (or ``SingleThreadedDemo``'s) last line:
    ``threads, inflight, events, cpu_s, real_s, events_per_s`` (``events_per_s`` is
    events / ``real_s``, the wall time of the whole run)."""
    found = None
    for found in _LAST_LINE.finditer(text or ""):
        pass
    if found is None:
        raise InputError("toy-mt output: no 'events/sec' summary line (did the run fail?)")
    values = found.groupdict()
    out = {key: int(values[key]) for key in ("threads", "inflight", "events")}
    out.update({key: float(values[key]) for key in ("cpu_s", "real_s", "events_per_s")})
    return out


def run_peer(config: dict, *, binary: Path | None = None, timeout: float = 600.0) -> dict:
    """Run the peer on ``config`` (a decoded configuration) and return
    :func:`parse_output`'s numbers. Raises :class:`InputError` when it is not built."""
    binary = binary or find_peer("tbb")
    if binary is None:
        raise InputError(BUILD_HINT)
    with tempfile.TemporaryDirectory(prefix="toymt-") as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        done = subprocess.run([str(binary), str(path)], capture_output=True, text=True,
                              timeout=timeout, cwd=folder)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{Path(binary).name} exited {done.returncode}: {tail[0]}")
    return parse_output(done.stdout)


# -- labkit's number, defined as the peer's ---------------------------------------------
def makespan_rate(result) -> float:
    """Events per second of the whole run, as ``TBBDemo`` prints it: events finished /
    time from the start of the run to the end of its last event (labkit's runtime clock:
    simulated for ``sim``, ``perf_counter`` since the first task for ``threads``)."""
    finished = len(result.events)
    return finished / result.sim_time_s if result.sim_time_s > 0 else float("inf")


# -- the calibration file ---------------------------------------------------------------
def check_calibration(data) -> dict:
    """Refuse a calibration object without the four non-negative finite numbers."""
    if not isinstance(data, dict):
        raise InputError("calibration: expected a JSON object")
    for key in CALIBRATION_KEYS:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and value >= 0):
            raise InputError(f"calibration: {key} must be a number >= 0, got {value!r}")
    if not isinstance(data.get("measured"), dict):
        raise InputError("calibration: 'measured' must be an object saying how")
    return data


def load_calibration(path=None) -> dict:
    """The measured per-task costs of the real framework (see ``CALIBRATION_KEYS``)."""
    path = Path(path or CALIBRATION)
    if not path.is_file():
        raise InputError(f"calibration {str(path)!r} not found (measure it with "
                         f"benchmarks/peers/calibrate_toymt.py)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"calibration {path.name!r}: malformed JSON: {exc.msg}") from None
    return check_calibration(data)


def fit_overshoot(requested, measured) -> tuple[float, float]:
    """The least-squares line ``overshoot = intercept + slope x requested`` (both >= 0:
    a sleep never ends early, and a negative slope fitted to noise would make long sleeps
    shorter than asked)."""
    import numpy as np

    x, y = np.asarray(requested, float), np.asarray(measured, float)
    if x.shape != y.shape or x.size < 2 or np.ptp(x) == 0:
        raise InputError("overshoot fit: needs at least two different requested times, "
                         "one measurement each")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("overshoot fit: times must be finite numbers")
    slope, intercept = np.polyfit(x, y, 1)
    if slope < 0:  # then the best line with slope 0 is the mean
        slope, intercept = 0.0, float(y.mean())
    return max(float(intercept), 0.0), float(slope)
