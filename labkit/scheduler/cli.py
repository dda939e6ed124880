"""The ``labkit cms`` command group (DESIGN.md's contract).

- ``labkit cms critical-path --config PATH --json``
  -> ``{"speedup_bound", "mean_event_work_s", "mean_critical_path_s"}``
- ``labkit cms simulate --config PATH --cores N --inflight N --events N [--wait busy|sleep]
  [--safety as-config|reentrant|one-at-a-time|unsafe] [--source-serial]
  [--backend sim|threads --time-scale S] [--seed S] [--overhead zero|threads|toymt|a,b,c,d]
  [--max-threads N] [--progress|--no-progress] --json``
  -> ``{"throughput_ev_per_s", "events", "module_runs", "sim_time_s", "wall_s",
  "speedup_vs_serial", "mean_concurrency"}``

``--source-serial`` makes the source and the output modules one-event-at-a-time (the
paper's Figure 4 third curve; the source is always read one event at a time).
Arguments only here; the work is imported inside the handlers. Every number is parsed by
:mod:`labkit.lab.argtypes`; the configuration goes through the shared file checks and one
schema (:func:`labkit.scheduler.hep.config.validate_config`); what a simulation would cost
(memory, time, OS threads) is checked before it starts
(:mod:`labkit.scheduler.hep.budget`). A long run shows a progress bar on stderr when
stderr is a terminal (``--progress`` forces it); Ctrl-C stops it with one line, exit 130.
"""

from __future__ import annotations

import argparse

from labkit.lab.argtypes import positive_int, positive_number, seed


def _overhead(text: str):
    from labkit.lab.errors import InputError
    from labkit.scheduler.overhead import parse

    try:
        return parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_critical_path(args):
    from labkit.scheduler.hep.analysis import speedup_bound
    from labkit.scheduler.hep.config import load

    return speedup_bound(load(args.config, "--config"))


def cmd_simulate(args):
    from labkit.scheduler.hep.config import load
    from labkit.scheduler.hep.study import simulate

    config = load(args.config, "--config")
    return simulate(config, cores=args.cores, inflight=args.inflight, events=args.events,
                    wait=args.wait, safety=args.safety, serial_io=args.source_serial,
                    backend=args.backend, time_scale=args.time_scale, seed=args.seed,
                    overhead=args.overhead, max_threads=args.max_threads,
                    progress=args.progress)


def register(subparsers) -> None:
    group = subparsers.add_parser("cms", help="the libdispatch CMS framework: critical path, "
                                              "simulation on N cores")
    sub = group.add_subparsers(dest="cms_command", metavar="SUBCOMMAND",
                               parser_class=type(group))
    sub.required = True

    p = sub.add_parser("critical-path", help="mean work, mean critical path and the speedup "
                                             "bound of one event in flight")
    p.add_argument("--config", required=True, help="toy-mt-framework JSON configuration")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_critical_path)

    p = sub.add_parser("simulate", help="process events with N in flight on N cores")
    p.add_argument("--config", required=True, help="toy-mt-framework JSON configuration")
    p.add_argument("--cores", type=positive_int, required=True)
    p.add_argument("--inflight", type=positive_int, required=True,
                   help="Event instances processed simultaneously")
    p.add_argument("--events", type=positive_int, required=True)
    p.add_argument("--wait", choices=["busy", "sleep"], default=None,
                   help="force every module to busy-wait or sleep (default: as configured)")
    p.add_argument("--safety", choices=["as-config", "reentrant", "one-at-a-time", "unsafe"],
                   default="as-config", help="thread-safety of every module")
    p.add_argument("--source-serial", action="store_true",
                   help="source and output modules one event at a time")
    p.add_argument("--backend", choices=["sim", "threads"], default="sim")
    p.add_argument("--time-scale", type=positive_number, default=1.0,
                   help="multiply every module time (run a scaled-down configuration)")
    p.add_argument("--seed", type=seed, default=None,
                   help="start at a random place of the 100-event timing cycle")
    p.add_argument("--overhead", type=_overhead, default=None,
                   help="per-task overhead model: zero (default), threads (this machine's "
                        "calibration), toymt (the paper's framework) or four seconds "
                        "dispatch,per_module,sleep_overshoot,overshoot_per_s")
    p.add_argument("--max-threads", type=positive_int, default=None,
                   help="thread pool limit (default: the configuration's nThreads, else "
                        "unlimited)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_simulate)
