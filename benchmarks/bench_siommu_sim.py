"""Speed of the trace-driven SIOMMU simulation: requests per second of the compiled
passes, and the ratio to the pure-Python engine of the same model
(``labkit.siommu.sim_python``: the functional TLB class and a scanning scheduler), both
measured in the same run, alternating, on the same trace. The Python engine runs a slice
(it would take an hour on 10 M requests); on that slice both engines' results are
compared, request by request. Also times the whole command line on a 10 M-request CSV and Parquet trace.

    python benchmarks/bench_siommu_sim.py [--requests 10000000] [--peer 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from labkit.siommu import sim, workloads

CASES = {"qd1": dict(threads=1, queue_depth=1), "16x32": dict(threads=16, queue_depth=32)}


def timed(trace, engine, **kw):
    start = time.perf_counter()
    result = sim.simulate(trace, tlb_entries=1024, engine=engine, **kw)
    return time.perf_counter() - start, result


def spread(values):
    return f"median {statistics.median(values):.3g} s (min {min(values):.3g}, max {max(values):.3g})"


def cli_seconds(trace, suffix: str) -> float:
    """Wall time of ``labkit siommu simulate --trace FILE`` (start, read, validate,
    simulate), with the trace as CSV or Parquet."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "trace" + suffix)
        trace.to_parquet(path, index=False) if suffix == ".parquet" else trace.to_csv(path, index=False)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "labkit.cli", "siommu", "simulate", "--trace", path,
                        "--tlb-entries", "1024", "--json"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000_000)
    parser.add_argument("--peer", type=int, default=50_000, help="requests for the Python engine")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line timing")
    args = parser.parse_args()
    trace = workloads.generate("zipf", args.requests, processes=4, seed=0)
    head = trace.iloc[: args.peer]
    sim.simulate(trace.iloc[:1000], engine="compiled")      # compile / load the cache
    for name, kw in CASES.items():
        fast_s, slow_s = [], []
        for _ in range(args.repeat):                         # alternate the two sides
            seconds, result = timed(trace, "compiled", **kw)
            fast_s.append(seconds)
            seconds, slow = timed(head, "python", **kw)
            slow_s.append(seconds)
        same = timed(head, "compiled", **kw)[1]
        identical = (np.array_equal(same.latency_us, slow.latency_us)
                     and np.array_equal(same.misses, slow.misses))
        rate = args.requests / statistics.median(fast_s)
        peer_rate = args.peer / statistics.median(slow_s)
        print(f"[{name}] compiled: {args.requests:,} requests, {spread(fast_s)}: "
              f"{rate:,.0f} requests/s (hit rate {result.hit_rate:.3f}, "
              f"{result.iops / 1e3:,.0f} kIOPS)")
        print(f"[{name}] python:   {args.peer:,} requests, {spread(slow_s)}: "
              f"{peer_rate:,.0f} requests/s; identical on that slice: {identical}")
        print(f"[{name}] ratio compiled / python: {rate / peer_rate:.1f}x "
              f"(python on {args.requests:,} would take ~{args.requests / peer_rate:,.0f} s)")
    if not args.no_cli:
        for suffix in (".csv", ".parquet"):
            print(f"command line, --trace {suffix[1:]} of {args.requests:,} requests: "
                  f"{cli_seconds(trace, suffix):.2f} s end to end (target: under 30 s)")


if __name__ == "__main__":
    main()
