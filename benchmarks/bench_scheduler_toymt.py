"""labkit's framework beside the paper's own (toy-mt-framework, TBB back end), same run.

Every side processes the same events (indices 0.., every eventTimes value x ``--scale``,
sleeping modules) of the same configuration, and every number is the peer's definition:
**events / wall time of the whole run** (makespan: start-up and drain included), which is
what TBBDemo prints; labkit's is events / the end of its last event on its runtime clock.
Sides: ``toymt`` (the C++), ``threads`` (labkit on real threads), ``sim`` (labkit
simulated, with the overhead model if this build has it, see below) and ``sim+costs`` (the
sim with the per-module costs measured in this run folded into every module's time: a
stand-in that says how much of a gap those costs explain).

Points: hipileup fully re-entrant at N = 1, 2, 4, ..., 128 in flight with
nThreads = 2N + 16 ("enough": see README) and nThreads = N + 4; all thread-unsafe and
one-event-at-a-time; minbias as configured (4 thread-unsafe modules, the output one at a
time). Each peer and threads point is run ``--repeat`` times, alternating sides;
medians are compared, the peer's spread is printed.

    python benchmarks/bench_scheduler_toymt.py [--quick] [--repeat 2] [--scale 0.05]
        [--threads-max-inflight 64] [--realtime] [--out CSV]

Needs the built peer (benchmarks/peers/build_toymt.sh); without it: exit 2, one line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))

from labkit.lab import locate  # noqa: E402
from labkit.lab.argtypes import Parser, positive_int, positive_number  # noqa: E402
from labkit.lab.errors import InputError  # noqa: E402
from labkit.scheduler import toymt  # noqa: E402


def parse_args(argv):
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1, 4, 16, 64, re-entrant only")
    parser.add_argument("--repeat", type=positive_int, default=2)
    parser.add_argument("--scale", type=positive_number, default=0.05)
    parser.add_argument("--threads-max-inflight", type=positive_int, default=64,
                        help="largest N run on labkit's threads backend (Python's cost per "
                             "task makes larger N a measurement of CPython, not the model)")
    parser.add_argument("--realtime", action="store_true",
                        help="run the peer (and the in-run calibration) under SCHED_FIFO "
                             "(chrt -f 10): its wake-ups no longer wait for the shared machine's "
                             "CPUs; short runs only (idle TBB workers spin at that priority)")
    parser.add_argument("--out", type=Path, default=None,
                        help="CSV of the rows (default: beside the peer's build)")
    return parser.parse_args(argv)


def calibrate_now(scale: float, realtime: bool) -> dict:
    """The per-task costs measured now (one round), beside the committed calibration:
    the machine is shared and its load moves them."""
    import calibrate_toymt

    calibrate_toymt.REALTIME = realtime
    return toymt.check_calibration(calibrate_toymt.measure(1, scale))


def main(argv=None) -> int:
    try:
        args = parse_args(argv)
        args.out = args.out or toymt.results_path(args.realtime)
        if toymt.find_peer() is None:
            raise InputError(toymt.BUILD_HINT)
        points = toymt.check_points(toymt.plan(args.quick))
        for name in toymt.CONFIG_FILES.values():  # the data, before anything runs
            locate(name)
    except InputError as exc:
        print(f"bench_scheduler_toymt: error: {exc}", file=sys.stderr)
        return 2
    import pandas as pd

    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; peer {toymt.find_peer()}")
    committed = toymt.load_calibration()
    now = calibrate_now(args.scale, args.realtime)
    run_calibration = args.out.with_name("calibration-this-run.json")
    run_calibration.parent.mkdir(parents=True, exist_ok=True)
    run_calibration.write_text(json.dumps(now, indent=2))
    for label, c in (("committed", committed), ("this run", now)):
        print(f"calibration ({label}): sleep overshoot {1e6 * c['sleep_overshoot_s']:.1f} us + "
              f"{c['sleep_overshoot_per_s']:.4f} t, per module {1e6 * c['per_module_s']:.2f} us,"
              f" dispatch {1e6 * c['dispatch_s']:.1f} us")
    options = {}
    for backend in ("sim", "threads"):
        options[backend], said = toymt.overhead_options(backend, run_calibration)
        limit = toymt.thread_limit_keyword(backend)
        print(f"labkit {backend}: {said}; thread limit: "
              f"{limit + '=' if limit else 'none in this build (nThreads not honoured)'}")
    print("every rate: events / makespan (the whole run), events/s"
          + ("; the peer under SCHED_FIFO (--realtime), labkit's threads backend not" if
             args.realtime else ""))

    def progress(rep, point):
        print(f"  repeat {rep}: {' '.join(map(str, point))} done "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)

    raw = toymt.compare(points, repeat=args.repeat, scale=args.scale, calibration=now,
                        options=options, threads_max_inflight=args.threads_max_inflight,
                        progress=progress, realtime=args.realtime)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    raw.to_csv(args.out, index=False)
    summary = toymt.summarize(raw)
    with pd.option_context("display.width", 250, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(summary.drop(columns=["events"]).to_string(index=False))
    print(f"raw rows: {args.out}; load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
