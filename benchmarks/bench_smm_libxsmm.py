"""labkit against LIBXSMM itself: batched double-precision GEMM, A, B and C streamed, one
thread, same shapes and batch sizes as ``bench_smm_streaming.py``, with numpy.matmul
measured in the same run so the LIBXSMM / numpy ratio can be set beside issue 5's
targets (which are 90% of that ratio on this machine kind).

    python benchmarks/bench_smm_libxsmm.py [--rounds 3] [--footprint-mb 32]

Needs LIBXSMM's static libraries and headers (Debian: ``apt-get install libxsmm-dev``)
and gcc; the peer ``peers/libxsmm_abc.c`` is compiled into a temporary folder. Without
them the script says what is missing and exits 2.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PEER = Path(__file__).with_name("peers") / "libxsmm_abc.c"


def build(folder: Path) -> Path:
    exe = folder / "libxsmm_abc"
    cmd = ["gcc", "-O2", "-o", str(exe), str(PEER), "-lxsmm", "-lxsmmnoblas", "-lpthread",
           "-lrt", "-ldl", "-lm"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"could not build the LIBXSMM peer (is libxsmm-dev installed?):\n{done.stderr}")
    return exe


def libxsmm_seconds(exe: Path, m: int, n: int, k: int, batch: int, repeat: int) -> float:
    """LIBXSMM's best time, the faster of its kernels without and with prefetch
    (LIBXSMM_PREFETCH_AUTO, next operands passed, as the smm samples do): labkit's batches
    prefetch per shape (``prefetch='auto'``), so the peer gets the same choice."""
    best = []
    for prefetch in ("none", "auto"):
        out = subprocess.run([str(exe), str(m), str(n), str(k), str(batch), str(repeat), prefetch],
                             capture_output=True, text=True, check=True).stdout
        best.append(float(out.split()[0]))
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--footprint-mb", type=float, default=32.0)
    args = parser.parse_args()
    if shutil.which("gcc") is None or not Path("/usr/include/libxsmm.h").exists():
        print("needs gcc and LIBXSMM's headers and libraries (apt-get install libxsmm-dev)",
              file=sys.stderr)
        sys.exit(2)

    from labkit.smm.streaming import TARGETS, bench

    with tempfile.TemporaryDirectory() as tmp:
        exe = build(Path(tmp))
        print(f"{'m x n x k':>10} {'labkit':>7} {'LIBXSMM':>8} {'numpy':>6}   "
              f"{'X/np':>5} {'90%X/np':>7} {'target':>6} {'lab/np':>6} {'lab/X':>6}")
        for (m, n, k), target in TARGETS.items():
            lab_r, x_r, ours, theirs, peer = [], [], [], [], []
            for _ in range(args.rounds):
                lab = bench(m, n, k, repeat=args.repeat, check=False, footprint_mb=args.footprint_mb)
                ref = bench(m, n, k, kernel="numpy", repeat=args.repeat, check=False,
                            footprint_mb=args.footprint_mb)
                x = libxsmm_seconds(exe, m, n, k, lab["batch"], args.repeat)
                lab_r.append(ref["seconds"] / lab["seconds"])
                x_r.append(ref["seconds"] / x)
                ours.append(lab["gflops"])
                theirs.append(ref["gflops"])
                peer.append(lab["batch"] * 2 * m * n * k / x / 1e9)
            lab_np, x_np = statistics.median(lab_r), statistics.median(x_r)
            print(f"{m}x{n}x{k:<3}".rjust(10) + f" {statistics.median(ours):7.1f} "
                  f"{statistics.median(peer):8.1f} {statistics.median(theirs):6.1f}   "
                  f"{x_np:5.2f} {0.9 * x_np:7.2f} {target:6.2f} {lab_np:6.2f} "
                  f"{lab_np / x_np:6.2f}")
        print("GFLOPS are medians over rounds; X = LIBXSMM; lab/X >= 0.9 is issue 5's intent")


if __name__ == "__main__":
    main()
