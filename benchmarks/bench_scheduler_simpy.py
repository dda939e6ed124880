"""The sim backend against the same model written with SimPy.

Model: the high-pileup CMS configuration (busy-wait modules), 16 cores, 16 events in
flight; each module runs once per event after its dependencies, holding a core for its
eventTimes entry plus the per-task overhead model (``--overhead``, default the threads
calibration: dispatch and per-module work hold the core, as in labkit's sim). The SimPy
version is the idiomatic one: a process per module per event, waiting on its
dependencies' events and a ``Resource`` of cores. Both must agree on the simulated time
(labkit also charges the overhead to its 3 bookkeeping tasks per event, SimPy has none);
the ratio printed is module executions per wall second.

    python benchmarks/bench_scheduler_simpy.py [--events 64] [--repeat 5] [--overhead threads]
"""

from __future__ import annotations

import argparse
import statistics
import time

import simpy

from labkit.scheduler.hep.analysis import needed_modules
from labkit.scheduler.hep.data import cms_config
from labkit.scheduler.hep.study import run_framework
from labkit.scheduler.overhead import load


def simpy_model(config, *, cores: int, inflight: int, events: int, overhead=None):
    """(simulated makespan, module runs) of the SimPy version (busy modules: each holds
    a core for its time plus the overhead's dispatch and per-module seconds)."""
    per_task = 0.0 if overhead is None else overhead.dispatch_s + overhead.per_module_s
    env = simpy.Environment()
    cpu = simpy.Resource(env, capacity=cores)
    modules = needed_modules(config)
    next_event = iter(range(events))
    runs = [0]

    def module(m, index, done, products):
        deps = [products[d] for d in m.get]
        if deps:
            yield simpy.AllOf(env, deps)
        with cpu.request() as core:
            yield core
            yield env.timeout(m.work(index) + per_task)
        runs[0] += 1
        done.succeed()

    def slot():
        for index in next_event:
            products = {m.label: env.event() for m in modules}
            for m in modules:
                env.process(module(m, index, products[m.label], products))
            yield simpy.AllOf(env, list(products.values()))

    for _ in range(inflight):
        env.process(slot())
    env.run()
    return env.now, runs[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=64)
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--inflight", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--overhead", default="threads", help="zero, threads or toymt")
    args = parser.parse_args()
    overhead = load(args.overhead)
    print(f"overhead model: {overhead}")
    config, real = cms_config()
    if not real:
        print("(CMS data not found: synthetic stand-in)")
    run_framework(config, cores=args.cores, inflight=2, events=4)  # warm both up
    simpy_model(config, cores=args.cores, inflight=2, events=4)
    wall = {"labkit": [], "simpy": []}
    cpu = {"labkit": [], "simpy": []}
    for _ in range(args.repeat):  # alternate: the machine is shared
        for side in wall:
            t, c = time.perf_counter(), time.process_time()
            if side == "labkit":
                res = run_framework(config, cores=args.cores, inflight=args.inflight,
                                    events=args.events, overhead=overhead)
            else:
                simpy_end, simpy_runs = simpy_model(config, cores=args.cores,
                                                    inflight=args.inflight,
                                                    events=args.events, overhead=overhead)
            wall[side].append(time.perf_counter() - t)
            cpu[side].append(time.process_time() - c)
    ours, theirs = min(wall["labkit"]), min(wall["simpy"])
    ours_rate, theirs_rate = res.module_runs / ours, simpy_runs / theirs
    print(f"labkit sim: {res.module_runs} module runs in {ours:.2f} s "
          f"({ours_rate:,.0f}/s), simulated {res.sim_time_s:.1f} s")
    print(f"SimPy     : {simpy_runs} module runs in {theirs:.2f} s "
          f"({theirs_rate:,.0f}/s), simulated {simpy_end:.1f} s")
    print(f"simulated-time difference: {abs(simpy_end / res.sim_time_s - 1):.2%} "
          "(FIFO tie-breaks differ)")
    ratios = sorted(b / a for a, b in zip(cpu["labkit"], cpu["simpy"]))
    print(f"CPU-time ratio per alternation (SimPy / labkit, same module runs): "
          f"median {statistics.median(ratios):.1f}x, range {ratios[0]:.1f}-{ratios[-1]:.1f}x")
    print(f"ratio (labkit sim / SimPy, module runs per wall second, best of each): "
          f"{ours_rate / theirs_rate:.1f}x")

if __name__ == "__main__":
    main()
