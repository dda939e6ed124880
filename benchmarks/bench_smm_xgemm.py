"""labkit's tiled GEMM (``labkit.smm.xgemm``) against numpy's BLAS on the same operands,
2000^3 and 4000^3, one and two threads (issue 15's target: at least 0.9x numpy).

    python benchmarks/bench_smm_xgemm.py [--sizes 2000,4000] [--threads 1,2] [--repeat 3]

The two sides alternate run by run (the machine is shared and loaded: both see the same
load); the ratio is the median of the per-run ratios numpy time / labkit time, with its
spread. Tiles: the tuned ones when ``labkit smm tune-gemm`` stored some, else the defaults.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,4000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from labkit.smm.xgemm import compare_blas, summary

    print(f"{'size':>6} {'thr':>3} {'labkit GF':>10} {'numpy GF':>9} {'ratio':>6} {'spread':>12} {'rel err':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        for threads in (int(t) for t in args.threads.split(",")):
            frame, error = compare_blas(size, size, size, threads=threads, repeat=args.repeat)
            row = summary(frame, error)
            mark = "" if row["ratio"] >= 0.9 else "  < 0.9 target"
            print(f"{size:>6} {threads:>3} {row['labkit_gflops']:>10.1f} {row['numpy_gflops']:>9.1f} "
                  f"{row['ratio']:>6.2f} {row['ratio_min']:>5.2f}-{row['ratio_max']:<5.2f} "
                  f"{error:>8.1e}{mark}", flush=True)


if __name__ == "__main__":
    main()
