"""labkit's out-of-place transpose against a copy of the same matrix (the same bytes read
and written, in storage order, same threads), 4096^2 and 8192^2, one and two threads
(issue 15's target: the transpose within 10% of this machine's copy bandwidth, i.e. a
ratio copy time / transpose time of at least 0.9).

    python benchmarks/bench_smm_transpose_copy.py [--sizes 4096,8192] [--threads 1,2] [--repeat 5]

The two sides alternate run by run (the machine is shared); medians and spread of the
per-run ratios. numpy's own transposed copy (``a.T.copy()``) is printed for scale.
"""

from __future__ import annotations

import argparse
import time


def numpy_transpose_gbps(size: int) -> float:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((size, size))
    a.T.copy()
    start = time.perf_counter()
    a.T.copy()
    return 2 * a.nbytes / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4096,8192")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from labkit.smm.transpose import copy_summary, versus_copy

    print(f"{'size':>6} {'thr':>3} {'transpose GB/s':>14} {'copy GB/s':>9} {'ratio':>6} "
          f"{'spread':>11} {'numpy a.T.copy GB/s':>19}")
    for size in (int(s) for s in args.sizes.split(",")):
        for threads in (int(t) for t in args.threads.split(",")):
            frame, agrees = versus_copy(size, size, threads=threads, repeat=args.repeat)
            row = copy_summary(frame, agrees)
            mark = "" if row["ratio"] >= 0.9 else "  < 0.9 target"
            print(f"{size:>6} {threads:>3} {row['transpose_gbps']:>14.2f} {row['copy_gbps']:>9.2f} "
                  f"{row['ratio']:>6.2f} {row['ratio_min']:>5.2f}-{row['ratio_max']:<5.2f} "
                  f"{numpy_transpose_gbps(size):>19.2f}{'' if agrees else '  DISAGREES'}{mark}",
                  flush=True)


if __name__ == "__main__":
    main()
