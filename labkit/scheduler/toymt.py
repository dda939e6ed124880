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
def build_folder() -> Path:
    """Where the peer is built: ``$LABKIT_TOYMT`` (a build folder, or the TBBDemo binary in
    it) when set, else :data:`DEFAULT_BUILD` (where ``build_toymt.sh`` builds by default)."""
    given = os.environ.get(BUILD_ENV)
    if not given:
        return DEFAULT_BUILD
    given = Path(given)
    return given.parents[1] if given.is_file() else given


def results_path(realtime: bool = False) -> Path:
    """Where the bench saves its rows: beside the peer's build, outside the repository
    (``realtime``: the run with the peer under SCHED_FIFO, ``--realtime``)."""
    return build_folder().parent / ("bench_toymt_realtime.csv" if realtime else "bench_toymt.csv")


def find_peer(which: str = "tbb") -> Path | None:
    """The built peer binary (``tbb``: TBBDemo, ``single``: SingleThreadedDemo) in
    :func:`build_folder`, or None."""
    if which not in BINARIES:
        raise InputError(f"unknown peer binary {which!r}: choose {' or '.join(BINARIES)}")
    place = build_folder() / BINARIES[which]
    return place if place.is_file() and os.access(place, os.X_OK) else None


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


REALTIME = ["chrt", "-f", "10"]  # SCHED_FIFO: the peer's threads wake without waiting for a CPU


def run_peer(config: dict, *, binary: Path | None = None, timeout: float = 600.0,
             realtime: bool = False) -> dict:
    """Run the peer on ``config`` (a decoded configuration) and return
    :func:`parse_output`'s numbers. Raises :class:`InputError` when it is not built.

    ``realtime``: run it under SCHED_FIFO (``chrt``, needs the privilege), a diagnostic
    that takes the shared machine's load out of its wake-ups; use it for short runs only
    (its idle TBB workers spin at that priority)."""
    binary = binary or find_peer("tbb")
    if binary is None:
        raise InputError(BUILD_HINT)
    prefix = REALTIME if realtime else []
    with tempfile.TemporaryDirectory(prefix="toymt-") as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        try:
            done = subprocess.run([*prefix, str(binary), str(path)], capture_output=True,
                                  text=True, timeout=timeout, cwd=folder)
        except FileNotFoundError:
            raise InputError(f"cannot run {prefix[0] if prefix else binary}") from None
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


# -- labkit on the same configuration ---------------------------------------------------
def overhead_options(backend: str = "sim", path=None) -> tuple[dict, str]:
    """Runtime options that switch on labkit's per-task overhead model
    (:mod:`labkit.scheduler.overhead`) with the real framework's measured calibration, and
    a sentence saying what was used. Both backends take it as ``overhead=``."""
    from labkit.scheduler import overhead

    path = Path(path or CALIBRATION)
    load_calibration(path)  # refuse a bad file before anything runs
    if backend not in ("sim", "threads"):
        raise InputError(f"unknown backend {backend!r}: choose sim or threads")
    model = overhead.from_file(path, f"toy-mt-framework ({path.name})")
    return {"overhead": model}, f"overhead model calibrated on toy-mt-framework ({path.name})"


def thread_limit_keyword(backend: str) -> str:
    """The runtime keyword that caps its thread pool (both backends: ``max_threads``)."""
    if backend not in ("sim", "threads"):
        raise InputError(f"unknown backend {backend!r}: choose sim or threads")
    return "max_threads"


def folded_costs(config, scale: float, calibration: dict):
    """The configuration scaled by ``scale`` with the measured per-module costs folded into
    every module's time: ``t -> t (1 + sleep_overshoot_per_s) + sleep_overshoot_s +
    per_module_s``. A stand-in for the overhead model (no dispatch latency, no thread
    limit, no core held by the framework's own work), used to tell how much of a gap to
    the peer the measured costs explain; run it with ``time_scale=1``."""
    from dataclasses import replace

    _positive_number("scale", scale)
    a, b = calibration["sleep_overshoot_s"], calibration["sleep_overshoot_per_s"]
    extra = a + calibration["per_module_s"]
    modules = [type(m)(m.label, get=m.get, times=[t * scale * (1 + b) + extra for t in m.times],
                       wait=m.wait, thread_type=m.thread_type, body=m.body)
               for m in config.modules]
    return replace(config, modules=modules)


def run_labkit(config, *, backend: str, inflight: int, events: int, scale: float,
               safety: str = "as-config", threads: int | None = None, cores: int = 2,
               options: dict | None = None) -> dict:
    """labkit's framework on ``events`` events (indices 0.., as the peer's source numbers
    them) with ``inflight`` in flight: ``rate`` (events / makespan, the peer's definition),
    ``steady`` (labkit's steady-state throughput, for reference), ``wall_s`` and whether a
    thread limit ``threads`` was honoured (``thread_limit``: False when this build has none).
    """
    from labkit.scheduler.hep.modules import Source
    from labkit.scheduler.hep.processor import EventProcessor
    from labkit.scheduler.runtime import make_runtime

    _positive_int("events", events)
    options = dict(options or {})
    limit_keyword = thread_limit_keyword(backend) if threads is not None else None
    if limit_keyword is not None:
        options[limit_keyword] = _positive_int("threads", threads)
    runtime = make_runtime(backend, cores, time_scale=scale, record=False, **options)
    processor = EventProcessor(runtime, config.modules, config.paths, inflight=inflight,
                               safety=safety)
    result = processor.run(Source(events))
    return {"rate": makespan_rate(result), "steady": result.throughput,
            "wall_s": result.wall_s, "thread_limit": limit_keyword is not None}


def peak_modules(trace) -> int:
    """The most module runs in progress at once in a runtime trace: the threads a back end
    whose sleeping modules each hold a thread (toy-mt's TBB) needs so none ever waits.
    Runs that end at an instant free their thread before runs starting then take one."""
    import numpy as np

    runs = trace[trace["task"] == "module"]
    if runs.empty:
        return 0
    times = np.concatenate([runs["end"].to_numpy(), runs["start"].to_numpy()])
    steps = np.concatenate([-np.ones(len(runs)), np.ones(len(runs))])
    order = np.lexsort((steps, times))  # at equal times the ends (-1) come first
    return int(np.cumsum(steps[order]).max())


def enough_threads(config, *, inflight: int, events: int, scale: float,
                   calibration: dict) -> int:
    """Threads for the peer's "enough threads" runs: the peak of module runs at once in
    labkit's simulation with the measured per-module costs folded in (a zero-time module
    still sleeps its overshoot in the peer), plus 4 for the source and the framework."""
    from labkit.scheduler.hep.modules import Source
    from labkit.scheduler.hep.processor import EventProcessor
    from labkit.scheduler.runtime import make_runtime

    runtime = make_runtime("sim", 1, record=True)
    processor = EventProcessor(runtime, folded_costs(config, scale, calibration).modules,
                               config.paths, inflight=inflight)
    processor.run(Source(events))
    return peak_modules(runtime.trace()) + 4


# -- the comparison's results -----------------------------------------------------------
RESULT_COLUMNS = ["config", "variant", "pool", "nthreads", "inflight", "events", "scale",
                  "side", "repeat", "rate"]
CONFIG_FILES = {"hipileup": "cms/reco_hipileup_5_2_0_sleeping_perfectIO.config",
                "minbias": "cms/reco_minbias_sleeping.config"}
VARIANTS = {"fully re-entrant": "reentrant", "all thread-unsafe": "unsafe",
            "one event at a time": "one-at-a-time", "as configured": "as-config"}
# the peer's options.nThreads for N events in flight: "2N+16" is the setting the peer's
# README measured with (more threads is slower on 2 cores: TBB's idle workers spin),
# "N+4" a pool that sleeping modules exhaust
POOLS = {"2N+16": lambda n: 2 * n + 16, "N+4": lambda n: n + 4}
POINT = ["config", "variant", "pool", "nthreads", "inflight", "events"]
SIDES = ("toymt", "threads", "sim", "sim+costs")


def target_for(side: str, inflight: int) -> float:
    """The issue's tolerance on |labkit / toy-mt - 1|: the sim 2% up to 64 events in flight
    and 3% beyond, the threads backend 2%."""
    if side == "sim":
        return 0.02 if inflight <= 64 else 0.03
    return 0.02


def summarize(raw):
    """One row per comparison point (``pool``: the rule that gave the peer ``nthreads``)
    from the bench's tidy rows (``RESULT_COLUMNS``):
    the median rate of each side, the peer's spread ((max - min) / median over repeats)
    and, for each labkit side, ``<side>_vs_toymt`` = median / peer median - 1 with
    ``<side>_ok`` against :func:`target_for` (None where a side was not run)."""
    import pandas as pd

    missing = set(RESULT_COLUMNS) - set(raw.columns)
    if missing:
        raise InputError(f"bench results: missing columns {sorted(missing)}")
    med = raw.pivot_table(index=POINT, columns="side", values="rate", aggfunc="median")
    spread = raw[raw["side"] == "toymt"].groupby(POINT)["rate"].agg(
        lambda r: (r.max() - r.min()) / r.median())
    out = med.reindex(columns=[s for s in SIDES if s in med.columns]).reset_index()
    out["toymt_spread"] = spread.reindex(med.index).to_numpy()
    for side in ("threads", "sim", "sim+costs"):
        if side not in out or "toymt" not in out:
            continue
        gap = out[side] / out["toymt"] - 1
        out[f"{side}_vs_toymt"] = gap
        tol = out["inflight"].map(lambda n: target_for("sim" if side != "threads" else side, n))
        out[f"{side}_ok"] = [None if pd.isna(g) else bool(abs(g) <= t) for g, t in zip(gap, tol)]
    out.columns.name = None
    return out.sort_values(["config", "variant", "pool", "inflight"], ignore_index=True)


SWEEP = (1, 2, 4, 8, 16, 32, 64, 128)


def plan(quick: bool = False) -> list:
    """The comparison points ``(config, variant, pool, N)``: hipileup fully re-entrant at
    N = 1, 2, 4, ..., 128 with both pools; all thread-unsafe; one event at a time; minbias
    as configured. ``quick``: N = 1, 4, 16, 64, fully re-entrant only."""
    sweep = (1, 4, 16, 64) if quick else SWEEP
    curves = [("hipileup", "fully re-entrant", "2N+16", sweep),
              ("hipileup", "fully re-entrant", "N+4", sweep)]
    if not quick:
        curves += [("hipileup", "all thread-unsafe", "2N+16", (1, 2, 4)),
                   ("hipileup", "one event at a time", "2N+16", (1, 2, 4, 8)),
                   ("minbias", "as configured", "2N+16", (1, 2, 4, 8, 16, 32))]
    return [(c, v, p, n) for c, v, p, ns in curves for n in ns]


def events_for(inflight: int) -> int:
    """Events per comparison point: two turnovers, at least 8 (short runs: a shared machine)."""
    return max(8, 2 * _positive_int("events in flight", inflight))


def check_points(points) -> list:
    """Refuse a comparison point ``(config, variant, pool, inflight)`` with a name this
    module does not know, before anything runs."""
    points = list(points)
    for point in points:
        if not (isinstance(point, tuple) and len(point) == 4):
            raise InputError(f"comparison point {point!r}: expected (config, variant, pool, N)")
        config, variant, pool, inflight = point
        for name, value, known in (("config", config, CONFIG_FILES), ("variant", variant, VARIANTS),
                                   ("pool", pool, POOLS)):
            if value not in known:
                raise InputError(f"comparison point: unknown {name} {value!r} "
                                 f"(known: {', '.join(known)})")
        _positive_int("events in flight", inflight)
    return points


def compare(points, *, repeat: int = 1, scale: float = 0.05, calibration: dict | None = None,
            options: dict | None = None, threads_max_inflight: int = 64, progress=None,
            realtime: bool = False):
    """Run every point ``(config, variant, pool, N)`` on the peer and labkit's threads
    backend ``repeat`` times (alternating, as the machine is shared) and once on the
    deterministic sim sides; tidy rows ``RESULT_COLUMNS`` + ``load`` (the 1-minute load
    average when the row was measured). ``options``: runtime options per backend (see
    :func:`overhead_options`); ``calibration``: the costs for the ``sim+costs`` side;
    ``realtime``: the peer under SCHED_FIFO (see :func:`run_peer`)."""
    import pandas as pd

    from labkit.lab import locate
    from labkit.scheduler.hep.config import load

    points = check_points(points)
    _positive_int("repeat", repeat)
    calibration = check_calibration(calibration or load_calibration())
    options = options or {}
    if find_peer() is None:
        raise InputError(BUILD_HINT)
    names = {p[0] for p in points}
    parsed = {name: load(locate(CONFIG_FILES[name])) for name in names}
    raws = {name: read_raw(locate(CONFIG_FILES[name])) for name in names}
    rows = []

    def keep(point, side, rep, rate):
        config, variant, pool, n = point
        rows.append((config, variant, pool, POOLS[pool](n), n, events_for(n), scale, side, rep,
                     rate, os.getloadavg()[0]))

    for point in points:
        config, variant, pool, n = point
        common = dict(inflight=n, events=events_for(n), safety=VARIANTS[variant],
                      threads=POOLS[pool](n))
        keep(point, "sim", 0, run_labkit(parsed[config], backend="sim", scale=scale,
                                         options=options.get("sim"), **common)["rate"])
        keep(point, "sim+costs", 0, run_labkit(folded_costs(parsed[config], scale, calibration),
                                               backend="sim", scale=1.0, **common)["rate"])
    for rep in range(repeat):
        for point in points:
            config, variant, pool, n = point
            peer = peer_config(raws[config], scale=scale, inflight=n, events=events_for(n),
                               threads=POOLS[pool](n), safety=VARIANTS[variant])
            keep(point, "toymt", rep, run_peer(peer, realtime=realtime)["events_per_s"])
            if n <= threads_max_inflight:
                keep(point, "threads", rep, run_labkit(
                    parsed[config], backend="threads", scale=scale, inflight=n,
                    events=events_for(n), safety=VARIANTS[variant], threads=POOLS[pool](n),
                    options=options.get("threads"))["rate"])
            if progress:
                progress(rep, point)
    return pd.DataFrame(rows, columns=[*RESULT_COLUMNS, "load"])


def worst_gap(summary, side: str, *, max_inflight: int, config: str = "hipileup",
              variant: str = "fully re-entrant", pool: str = "2N+16") -> float:
    """The largest |labkit side / peer - 1| over one curve's points up to ``max_inflight``
    (NaN when the side was not run there)."""
    column = f"{side}_vs_toymt"
    if column not in summary:
        return float("nan")
    rows = summary[(summary["config"] == config) & (summary["variant"] == variant)
                   & (summary["pool"] == pool) & (summary["inflight"] <= max_inflight)]
    gaps = rows[column].abs().dropna()
    return float(gaps.max()) if len(gaps) else float("nan")


def load_results(path=None):
    """The bench's saved rows (default :func:`results_path`), refused when not its schema."""
    import pandas as pd

    path = Path(path or results_path())
    if not path.is_file():
        raise InputError(f"no saved comparison at {str(path)!r} (run "
                         f"benchmarks/bench_scheduler_toymt.py)")
    raw = pd.read_csv(path)
    missing = set(RESULT_COLUMNS) - set(raw.columns)
    if missing:
        raise InputError(f"{path.name}: missing columns {sorted(missing)} (saved by an older "
                         f"bench: run benchmarks/bench_scheduler_toymt.py again)")
    return raw


def refresh_sim(raw, options: dict | None = None):
    """``raw`` with its ``sim`` rows simulated again by this build (with ``options``, e.g.
    the overhead model from :func:`overhead_options`): the peer's rows need the peer, the
    simulation does not, so saved results follow labkit's model as it changes."""
    import pandas as pd

    from labkit.lab import locate
    from labkit.scheduler.hep.config import load

    points = raw[raw["side"] != "sim"].drop_duplicates(POINT + ["scale"])
    parsed = {name: load(locate(CONFIG_FILES[name])) for name in points["config"].unique()}
    rows = []
    for p in points.itertuples(index=False):
        rate = run_labkit(parsed[p.config], backend="sim", inflight=int(p.inflight),
                          events=int(p.events), scale=float(p.scale),
                          safety=VARIANTS[p.variant], threads=int(p.nthreads),
                          options=options)["rate"]
        rows.append({**{k: getattr(p, k) for k in POINT + ["scale"]}, "side": "sim",
                     "repeat": 0, "rate": rate})
    return pd.concat([raw[raw["side"] != "sim"], pd.DataFrame(rows)], ignore_index=True)


def curves(summary):
    """The summary as long rows for charts: ``curve, inflight, side, rate`` (curve = config,
    variant and the peer's pool)."""
    sides = [s for s in SIDES if s in summary]
    long = summary.melt(id_vars=POINT, value_vars=sides, var_name="side", value_name="rate")
    long["curve"] = long["config"] + ", " + long["variant"] + ", nThreads " + long["pool"]
    return long.dropna(subset=["rate"])


def chart(summary):
    """Events per makespan over events in flight, one panel per curve, one line per side."""
    import altair as alt

    return alt.Chart(curves(summary)).mark_line(point=True).encode(
        x=alt.X("inflight:Q", title="events in flight", scale=alt.Scale(type="log", base=2)),
        y=alt.Y("rate:Q", title="events / makespan (1/s)"),
        color=alt.Color("side:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["curve", "side", "inflight", alt.Tooltip("rate:Q", format=".3f")],
    ).properties(width=260, height=200).facet(facet=alt.Facet("curve:N", title=None),
                                               columns=2).resolve_scale(y="independent")


def gap_vs_load(raw):
    """One row per peer run: the machine's load average when it ran and the sim's gap to
    that run (sim / toy-mt - 1), so the load's share of the gap can be seen; plus the rank
    correlation of the two over all runs (``attrs["spearman"]``)."""
    from scipy.stats import spearmanr

    if "load" not in raw:
        raise InputError("bench results: no 'load' column (saved by an older bench)")
    sim = raw[raw["side"] == "sim"].set_index(POINT)["rate"]
    runs = raw[raw["side"] == "toymt"].join(sim.rename("sim"), on=POINT)
    runs = runs.assign(gap=runs["sim"] / runs["rate"] - 1)[POINT + ["repeat", "load", "gap"]]
    runs = runs.dropna(subset=["gap"]).reset_index(drop=True)
    rho = spearmanr(runs["load"], runs["gap"]).statistic if len(runs) > 2 else float("nan")
    runs.attrs["spearman"] = float(rho)
    return runs
