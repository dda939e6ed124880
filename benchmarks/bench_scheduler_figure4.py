"""Wall time of the whole Figure 4 sweep (sleeping modules, 1 to 2000 events in flight)
on the sim backend, against the target of 2 minutes, and the simulated module runs per
wall second against SimPy's rate on the same model measured in this run.

The sweep pays the per-task overhead model (``--overhead``, default the threads
calibration), as notebook 13 does.

    python benchmarks/bench_scheduler_figure4.py [--max 2000] [--overhead threads]
"""

from __future__ import annotations

import argparse
import time

from labkit.scheduler.hep import study
from labkit.scheduler.hep.data import cms_config
from labkit.scheduler.overhead import load

PAPER = [1, 2, 3, 4, 6, 8, 12, 16, 20, 25, 32, 44, 64, 100, 200, 400, 800, 1600, 2000]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=2000, help="largest events in flight")
    parser.add_argument("--overhead", default="threads", help="zero, threads or toymt")
    args = parser.parse_args()
    overhead = load(args.overhead)
    print(f"overhead model: {overhead}")
    config, _ = cms_config()
    points = [n for n in PAPER if n <= args.max]
    limits = {study.FIG4_CURVES[1]: 100, study.FIG4_CURVES[2]: 400}
    t = time.perf_counter()
    frame = study.figure4(config, inflights=points, limits=limits, overhead=overhead,
                          progress=True)
    wall = time.perf_counter() - t
    print(frame.to_string(index=False))
    print(study.figure4_claims(frame))
    print(f"Figure 4 sweep up to {max(points)} in flight: {wall:.1f} s "
          f"(target 120 s: ratio {wall / 120:.2f} of the budget)")


if __name__ == "__main__":
    main()
