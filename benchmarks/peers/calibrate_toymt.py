"""Measure the real framework's per-task costs on this machine and write them to
``labkit/scheduler/calibration/toymt.json`` (the overhead model's parameters).

    python benchmarks/peers/calibrate_toymt.py [--repeat 3] [--realtime] [--out PATH] [--dry-run]

Needs the built peer (``benchmarks/peers/build_toymt.sh``), gcc/g++ and libtbb-dev. What
is measured, each the median of ``--repeat`` alternated runs:

- ``sleep_overshoot_s`` + ``sleep_overshoot_per_s`` x t: what a sleeping module asking for
  t seconds really costs beyond t *inside the framework*: a chain of sleeping modules (each
  gets the one before, so they run one after another) on one thread, wall time per module
  minus t minus ``per_module_s``, at requested times t = the 0/10/25/50/75/90/99% quantiles
  of the scaled (x ``--scale``) hipileup configuration's eventTimes, fitted by least squares.
  A bare usleep at the same t (``usleep_overshoot.c``) is recorded beside it: the
  difference is what the framework adds around a sleeping call on one thread;
- ``per_module_s``: the framework's own work per module: a chain of zero-time busy-wait
  modules on one thread, wall time per module;
- ``dispatch_s``: the wake-up latency of a task spawned for another, idle TBB worker
  (``tbb_wakeup.cpp``: spawn to start, the worker asleep; the mean of 300, as a throughput
  pays the tail too);
- recorded beside them, not a model parameter: ``idle_workers_extra_s``, what a sleeping
  module costs more in a chain on 4 threads than on 1 (TBB's idle workers spin: on a
  shared, loaded machine they take the CPU the waking module needs); and ``framework_cpu``,
  the peer's own CPU per module run on scaled hipileup at 32 in flight (one run).

Bad input (a missing peer or compiler, a bad argument): exit 2, one line on stderr.
"""

from __future__ import annotations

import datetime
import json
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

from labkit.lab.argtypes import Parser, positive_int, positive_number
from labkit.lab.errors import InputError
from labkit.scheduler import toymt

HERE = Path(__file__).resolve().parent
SCRATCH = toymt.DEFAULT_BUILD.parent.parent  # beside the peer's build, outside the repository
QUANTILES = (0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 0.99)
CHAIN_SECONDS = 0.25  # wall time of one chain run


def compile_helper(source: str, compiler: str, extra=()) -> Path:
    exe = SCRATCH / Path(source).stem
    cmd = [compiler, "-O2", "-o", str(exe), str(HERE / source), *extra]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise InputError(f"{compiler} is not installed (apt-get install -y g++)") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["?"])[0]
        raise InputError(f"cannot compile {source}: {first}")
    return exe


def requested_times(scale: float) -> list:
    """The quantiles of the scaled hipileup eventTimes: the sleeps the comparison asks for."""
    import numpy as np

    from labkit.lab import locate
    from labkit.scheduler.hep.config import load

    config = load(locate("cms/reco_hipileup_5_2_0_sleeping_perfectIO.config"))
    times = np.concatenate([m.times for m in config.modules]) * scale
    return [float(t) for t in np.quantile(times, QUANTILES)]


REALTIME = False  # set by --realtime: every measurement under SCHED_FIFO (chrt)


def _prefix() -> list:
    return toymt.REALTIME if REALTIME else []


def chain_wall_per_module(seconds: float, wait: str, modules: int, events: int,
                          end_filter_s: float = 0.0, threads: int = 1) -> float:
    """Wall time per chained module: the run's wall time less the zero-time end filter's
    (``end_filter_s`` per event), over the chained modules."""
    result = toymt.run_peer(toymt.chain_config(modules, seconds, wait=wait, events=events,
                                               threads=threads), realtime=REALTIME)
    return (result["real_s"] / events - end_filter_s) / modules


def _idle_worker_cost(seconds: float = 250e-6, modules: int = 400) -> float:
    one = chain_wall_per_module(seconds, "sleep", modules, 1, threads=1)
    four = chain_wall_per_module(seconds, "sleep", modules, 1, threads=4)
    return four - one


def framework_cpu_per_module(scale: float, inflight: int = 32) -> dict:
    """The peer's own CPU per module run on the scaled hipileup configuration with
    ``inflight`` events in flight and 2N+16 threads (TBBDemo's ``cpu time`` over the module
    runs): task spawns, wake-ups of other threads, idle workers spinning; the one-thread
    chain has none of it."""
    from labkit.lab import locate
    from labkit.scheduler.hep.analysis import needed_modules

    path = locate(toymt.CONFIG_FILES["hipileup"])
    events = toymt.events_for(inflight)
    config = toymt.peer_config(toymt.read_raw(path), scale=scale, inflight=inflight,
                               events=events, threads=2 * inflight + 16)
    out = toymt.run_peer(config, realtime=REALTIME)
    from labkit.scheduler.hep.config import load

    runs = events * len(needed_modules(load(path)))
    return {"inflight": inflight, "threads": 2 * inflight + 16, "events": events,
            "cpu_s": out["cpu_s"], "real_s": out["real_s"], "per_module_run_s": out["cpu_s"] / runs,
            "cores_used": out["cpu_s"] / out["real_s"]}


def bare_usleep(exe: Path, seconds: float, repeat: int) -> float:
    line = subprocess.run([*_prefix(), str(exe), str(repeat), str(int(seconds * 1e6))],
                          capture_output=True, text=True, check=True).stdout.split()
    return float(line[4]) * 1e-6  # the mean: a throughput pays the tail too


def wakeup(exe: Path) -> float:
    line = subprocess.run([*_prefix(), str(exe), "300", "2000"], capture_output=True, text=True,
                          check=True).stdout.split()
    return float(line[3]) * 1e-6  # the mean: a throughput pays the tail too


def measure(repeat: int, scale: float) -> dict:
    if toymt.find_peer() is None:
        raise InputError(toymt.BUILD_HINT)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    usleep_exe = compile_helper("usleep_overshoot.c", "gcc")
    wakeup_exe = compile_helper("tbb_wakeup.cpp", "g++", ["-std=c++17", "-ltbb"])
    times = requested_times(scale)
    per_module, dispatch, idle_workers = [], [], []
    chains = {t: [] for t in times}
    bare = {t: [] for t in times}
    for _ in range(repeat):  # alternate the measurements: the machine is shared
        per_module.append(chain_wall_per_module(0.0, "busy", 2000, 5))
        dispatch.append(wakeup(wakeup_exe))
        idle_workers.append(_idle_worker_cost())
        for t in times:
            modules = max(5, min(2000, int(CHAIN_SECONDS / (t + 150e-6))))
            chains[t].append(chain_wall_per_module(t, "sleep", modules, 1, per_module[-1]))
            bare[t].append(bare_usleep(usleep_exe, t, max(5, min(200, int(0.05 / (t + 1e-4))))))
    framework_cpu = framework_cpu_per_module(scale)
    per_module_s = statistics.median(per_module)
    in_framework = [statistics.median(chains[t]) - t - per_module_s for t in times]
    bare_overshoot = [statistics.median(bare[t]) - t for t in times]
    intercept, slope = toymt.fit_overshoot(times, in_framework)
    return {
        "sleep_overshoot_s": intercept, "sleep_overshoot_per_s": slope,
        "per_module_s": per_module_s, "dispatch_s": statistics.median(dispatch),
        "measured": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.node()} {platform.machine()} {_cpu_name()}, "
                       f"{_cores()} cores, load average {_load()} at the start",
            "command": "python benchmarks/peers/calibrate_toymt.py " + " ".join(
                shlex.quote(a) for a in sys.argv[1:]),
            "repeat": repeat,
            "realtime": REALTIME,
            "scale": scale,
            "requested_s": times,
            "framework_overshoot_s": in_framework,
            "bare_usleep_overshoot_s": bare_overshoot,
            "per_module_runs_s": per_module,
            "dispatch_runs_s": dispatch,
            "idle_workers_extra_s": statistics.median(idle_workers),
            "idle_workers_runs_s": idle_workers,
            "framework_cpu": framework_cpu,
            "how": {
                "sleep_overshoot": "toy-mt TBBDemo, chain of sleeping modules on 1 thread: "
                                   "wall/module - t - per_module_s, least-squares line over "
                                   "the requested times",
                "per_module": "toy-mt TBBDemo, chain of 2000 zero-time busy-wait modules "
                              "(+ a zero-time end filter) on 1 thread, 5 events: "
                              "wall / (events x 2000)",
                "dispatch": "tbb_wakeup.cpp: spawn-to-start of a task on an idle (asleep) "
                            "second TBB worker, mean of 300 (median of the rounds)",
                "framework_cpu": "recorded, not a model parameter: TBBDemo's cpu time over "
                                 "its module runs, scaled hipileup, 32 in flight, 64 events, "
                                 "2N+16 = 80 threads (one run)",
                "idle_workers_extra": "recorded, not a model parameter: a chain of 250 us "
                                      "sleeping modules on 4 threads minus on 1 thread, wall "
                                      "per module (what idle, spinning TBB workers cost a "
                                      "sleeping module on this shared machine)",
            },
        },
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def main(argv=None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=positive_int, default=3)
    parser.add_argument("--scale", type=positive_number, default=0.05,
                        help="the eventTimes scale of the comparisons (default 0.05)")
    parser.add_argument("--out", type=Path, default=toymt.CALIBRATION)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument("--realtime", action="store_true",
                        help="measure under SCHED_FIFO (chrt -f 10), as the bench's --realtime "
                             "runs the peer: the framework's costs without the machine's load")
    try:
        args = parser.parse_args(argv)
        global REALTIME
        REALTIME = args.realtime
        data = toymt.check_calibration(measure(args.repeat, args.scale))
    except InputError as exc:
        print(f"calibrate_toymt: error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(data, indent=2) + "\n"
    if args.dry_run:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}: overshoot {1e6 * data['sleep_overshoot_s']:.1f} us + "
              f"{data['sleep_overshoot_per_s']:.4f} t, per module "
              f"{1e6 * data['per_module_s']:.2f} us, dispatch {1e6 * data['dispatch_s']:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
