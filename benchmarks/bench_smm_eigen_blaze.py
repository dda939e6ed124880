"""labkit against Eigen and Blaze (the LIBXSMM magazine sample's other variants):
batched double-precision small GEMMs, A, B and C streamed, one thread, on the shapes and
batch sizes of ``bench_smm_libxsmm.py`` (~32 MB of operands per run), alternating round by
round (the machine is shared).

    python benchmarks/bench_smm_eigen_blaze.py --build [--blaze-include DIR] [--rounds 3]

``--build`` compiles ``peers/magazine_abc.cpp`` into the user cache folder (g++; Eigen
from Debian's ``libeigen3-dev``; Blaze from its headers, e.g. a download of Blaze 3.9 into
a scratch folder, passed as ``--blaze-include``); notebook 35 then finds the built peers.
Each peer's last C is checked against numpy.
"""

from __future__ import annotations

import argparse
import statistics
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--blaze-include", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--footprint-mb", type=float, default=32.0)
    args = parser.parse_args()

    from labkit.lab.errors import InputError
    from labkit.smm import peers
    from labkit.smm.claims import STREAM_TARGETS

    if args.build:
        for kind, include in (("eigen", None), ("blaze", args.blaze_include)):
            try:
                print(f"built {peers.build(kind, include)}", flush=True)
            except InputError as exc:
                print(f"{kind}: {exc}", file=sys.stderr)
    present = [kind for kind in peers.KINDS if peers.built(kind)]
    if not present:
        sys.exit("no peer is built: run with --build (see the docstring)")
    frame = peers.compare(list(STREAM_TARGETS), kinds=present, rounds=args.rounds,
                          repeat=args.repeat, footprint_mb=args.footprint_mb)
    print(f"{'m x n x k':>10} {'labkit':>7} " + " ".join(f"{k:>7}" for k in present) + "   "
          + " ".join(f"{'lab/' + k:>10}" for k in present) + "  (GFLOPS: medians over rounds)")
    by_peer = {kind: peers.ratios(frame, kind) for kind in present}
    for shape in dict.fromkeys(frame["shape"]):
        rows = frame[frame["shape"] == shape]
        med = {side: statistics.median(rows[rows.side == side].gflops) for side in ["labkit", *present]}
        print(f"{shape:>10} {med['labkit']:7.1f} " + " ".join(f"{med[k]:7.1f}" for k in present)
              + "   " + " ".join(f"{by_peer[k][shape]:10.2f}" for k in present)
              + ("" if rows.agrees.all() else "  DISAGREES"), flush=True)


if __name__ == "__main__":
    main()
