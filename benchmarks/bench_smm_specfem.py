"""SPECFEM element kernel variants, timed round robin in one run: speedup of each
variant over Deville loops (the LIBXSMM sample's table), one thread and all threads.

    python benchmarks/bench_smm_specfem.py [--elements 20000] [--repeat 15]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import numba

    from labkit.smm.specfem import table

    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        frame = table(args.elements, args.repeat, threads=threads, progress=False)
        print(f"threads={threads} elements={args.elements} repeat={args.repeat}")
        print(frame[["variant", "seconds", "median_s", "speedup_pct", "speedup_median_pct",
                     "agrees"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
