"""Dispatch costs from Python, against peers measured in the same run: a cached
``dispatch`` lookup vs a bare dict lookup on the same tuple key, and a kernel call vs an
empty jitted call.

    python benchmarks/bench_smm_dispatch.py [--calls 200000] [--threads 2]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    from labkit.smm.dispatch_cost import _per_call_ns, costs

    table = {(8, 8, 8, None, None, None, 1.0, 1.0, "N", "N", "float64", "none"): object()}
    key = (8, 8, 8, None, None, None, 1.0, 1.0, "N", "N", "float64", "none")
    frame = costs(threads=args.threads, calls=args.calls, generate=1)
    ns = {(r.measure, r.threads): r.ns for r in frame.itertuples()}
    bare = _per_call_ns(lambda: table.get(key), args.calls)
    print(frame.to_string(index=False))
    print(f"cached lookup / bare dict lookup: {ns[('cached lookup', 1)] / bare:.2f} "
          f"({ns[('cached lookup', 1)]:.0f} ns vs {bare:.0f} ns; target: lookup < 1000 ns)")
    print(f"kernel call 1x1x1 / empty jitted call: "
          f"{ns[('kernel call 1x1x1', 1)] / ns[('empty call', 1)]:.2f}")


if __name__ == "__main__":
    main()
