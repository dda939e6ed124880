"""Batched double-precision GEMM, A, B and C streamed, one thread: labkit's dispatched
kernels against ``numpy.matmul`` on the same stacked operands, measured in the same run.

    python benchmarks/bench_smm_streaming.py [--rounds 5] [--stream ABC] [--footprint-mb 32]

Prints one line per shape with both GFLOPS, the ratio labkit/numpy and issue 5's target
(90% of LIBXSMM's speed on this machine kind), the ceiling: the highest ratio this core's
FMA units allow against that numpy speed, and labkit's GFLOPS as a share of those units'. Each round times both strategies back to
back (best of ``--repeat`` runs each); the ratio is the median over rounds, to damp the
noise of a shared machine. The default batch streams ~32 MB of operands per run (beyond
L2; this machine's L3 is 32 MB).
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed runs per strategy and round; the best counts (default 20)")
    parser.add_argument("--stream", default="ABC")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--footprint-mb", type=float, default=32.0,
                        help="streamed operands per run when --batch is not given (default 32)")
    args = parser.parse_args()

    from labkit.smm.roofline import fma_gflops
    from labkit.smm.streaming import target_ratios

    frame = target_ratios(rounds=args.rounds, repeat=args.repeat, stream=args.stream, batch=args.batch,
                          footprint_mb=args.footprint_mb, progress=False)
    print(f"{'m x n x k':>10} {'labkit GF':>10} {'numpy GF':>9} {'ratio':>6} {'target':>6}  met"
          f"  {'ceiling':>7}  {'labkit/FMA':>10}")
    for row in frame.itertuples():
        mark = " " if row.reachable else "*"             # *: no kernel could meet the target
        print(f"{row.shape:>10} {row.labkit_gflops:>10.2f} {row.peer_gflops:>9.2f} "
              f"{row.ratio:>6.2f} {row.target:>6.2f}  {'yes' if row.met else 'NO ':3}  {row.ceiling:7.2f}"
              f"{mark} {row.of_ceiling:>10.0%}")
    print(f"targets met: {int(frame['met'].sum())} of {len(frame)}; "
          f"reachable in this run: {int(frame['reachable'].sum())} of {len(frame)}")
    print(f"ceiling: the highest ratio possible against that numpy speed, this core's FMA "
          f"ceiling ({fma_gflops():.1f} GFLOPS) over numpy's GFLOPS (*: below the target, which "
          f"no kernel could then meet); labkit/FMA: labkit's GFLOPS over that ceiling")


if __name__ == "__main__":
    main()
