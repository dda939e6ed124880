"""Speed of the trace-driven SIOMMU simulation: requests per second, and the ratio to a
pure-Python run of the same model (the TLB class of labkit.siommu.tlb plus a Python event
loop) measured in the same run on a slice of the same trace.

    python benchmarks/bench_siommu_sim.py [--requests 1000000] [--peer 50000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from labkit.siommu import latency, sim, workloads
from labkit.siommu.tlb import TLB


def python_peer(trace, entries: int, queue_depth: int, channels: int) -> float:
    """The same TLB pass and closed-loop schedule written in plain Python; returns seconds."""
    parts = latency.breakdown("siommu", 4096, hit_rate=1.0)
    cpu, post = parts["userlib"] + parts["submit"] + parts["poll"], parts["poll"]
    fixed, service = parts["translation_request"] + parts["tlb"], parts["device"] + parts["transfer"]
    start = time.perf_counter()
    tlb = TLB(entries)
    ready, chan, thread_free = [0.0] * queue_depth, [0.0] * channels, 0.0
    for p, b in zip(trace.pasid.tolist(), trace.block.tolist()):
        walk = 0.0
        if tlb.lookup(1, p, 0, b) is None:
            tlb.fill(1, p, 0, b, True)
            walk = 4 * 0.09
        s = min(range(queue_depth), key=ready.__getitem__)
        begin = max(ready[s], thread_free)
        thread_free = begin + cpu
        c = min(range(channels), key=chan.__getitem__)
        at = max(begin + cpu - post + fixed + walk, chan[c])
        chan[c] = at + service
        ready[s] = chan[c] + post
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--peer", type=int, default=50_000, help="requests for the Python peer")
    args = parser.parse_args()
    trace = workloads.generate("zipf", args.requests, seed=0)
    sim.simulate(trace.iloc[:1000], tlb_entries=1024, queue_depth=8)      # compile / load cache
    start = time.perf_counter()
    result = sim.simulate(trace, tlb_entries=1024, queue_depth=8)
    compiled_s = time.perf_counter() - start
    peer_s = python_peer(trace.iloc[: args.peer], 1024, 8, 6)
    rate, peer_rate = args.requests / compiled_s, args.peer / peer_s
    print(f"simulated {args.requests:,} requests in {compiled_s:.2f} s: {rate:,.0f} requests/s "
          f"(hit rate {result.hit_rate:.3f}, {result.iops / 1e3:,.0f} kIOPS)")
    print(f"pure-Python peer: {args.peer:,} requests in {peer_s:.2f} s: {peer_rate:,.0f} requests/s")
    print(f"ratio compiled / Python: {rate / peer_rate:.1f}x; 1e6 requests take "
          f"{1e6 / rate:.2f} s (target: under 60 s)")


if __name__ == "__main__":
    main()
