"""Compiled peers for small-matrix products: Eigen's and Blaze's variants of LIBXSMM's
magazine sample (``benchmarks/peers/magazine_abc.cpp``), built into the user's cache
folder and run on the same shapes and batch sizes as labkit's streaming case (A, B and C
streamed, double, one thread).

CI builds no peer: :func:`built` says whether one is present, and notebook 35 reports the
comparison as not run otherwise. Build them with ``python benchmarks/bench_smm_eigen_blaze.py
--build`` (Eigen: Debian ``libeigen3-dev``; Blaze: its headers, ``--blaze-include DIR``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from labkit.lab.errors import InputError
from labkit.smm.spec import positive_int

KINDS = ("eigen", "blaze")
SOURCE = Path(__file__).resolve().parents[2] / "benchmarks" / "peers" / "magazine_abc.cpp"
EIGEN_INCLUDE = Path("/usr/include/eigen3")


def folder() -> Path:
    from labkit.smm.codegen import cache_root

    return cache_root() / "peers"


def executable(kind: str) -> Path:
    if kind not in KINDS:
        raise InputError(f"peer must be one of {KINDS}, got {kind!r}")
    return folder() / f"magazine_{kind}"


def built(kind: str) -> Path | None:
    """The peer's executable when it has been built, else None."""
    path = executable(kind)
    return path if path.exists() else None


def build(kind: str, include: str | Path | None = None) -> Path:
    """Compile the peer (``g++ -O2 -march=native``, the library's headers at ``include``;
    Eigen defaults to Debian's). InputError naming what is missing."""
    path = executable(kind)
    include = Path(include) if include else (EIGEN_INCLUDE if kind == "eigen" else None)
    if shutil.which("g++") is None:
        raise InputError("building a peer needs g++")
    marker = "Eigen/Dense" if kind == "eigen" else "blaze/Math.h"
    if include is None or not (include / marker).exists():
        raise InputError(f"{kind}'s headers ({marker}) not found in {include}: install them "
                         "(Eigen: apt-get install libeigen3-dev; Blaze: download its headers) "
                         "and pass the folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["g++", "-std=c++17", "-O2", "-march=native", f"-DUSE_{kind.upper()}",
           f"-I{include}", "-o", str(path), str(SOURCE)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(f"could not build the {kind} peer: {done.stderr.strip().splitlines()[-1:]}")
    return path


def run(kind: str, m: int, n: int, k: int, batch: int, repeat: int = 5) -> dict:
    """The peer's best time of ``repeat`` runs over ``batch`` products, and whether its last
    C equals numpy's product of the same operands (the peer fills them by formula)."""
    exe = built(kind)
    if exe is None:
        raise InputError(f"the {kind} peer is not built (python benchmarks/bench_smm_eigen_blaze.py --build)")
    for name, value in (("m", m), ("n", n), ("k", k), ("batch", batch), ("repeat", repeat)):
        positive_int(name, value)
    out = subprocess.run([str(exe), str(m), str(n), str(k), str(batch), str(repeat)],
                         capture_output=True, text=True, check=True).stdout.split()
    seconds, checksum = float(out[0]), float(out[1])
    return {"seconds": seconds, "gflops": batch * 2 * m * n * k / seconds / 1e9,
            "agrees": bool(np.isclose(checksum, last_checksum(m, n, k, batch), rtol=1e-9, atol=1e-9))}


def last_checksum(m: int, n: int, k: int, batch: int) -> float:
    """The sum of the last product's C as numpy computes it from the peer's fill formula
    (A's element i of the batch is ``(i % 17) / 17 - 0.5``, B's ``(i % 13) / 13 - 0.5``)."""
    def item(size, modulus):
        index = np.arange((batch - 1) * size, batch * size)
        return (index % modulus) / modulus - 0.5

    a = item(m * k, 17).reshape(k, m).T
    b = item(k * n, 13).reshape(n, k).T
    return float((a @ b).sum())


def compare(shapes, kinds=KINDS, rounds: int = 3, repeat: int = 5, footprint_mb: float = 32.0):
    """labkit (A, B, C streamed, one thread) and each built peer on the same shapes and
    batch sizes, alternating round by round. A tidy DataFrame: one row per (shape, side,
    round) with ``gflops`` and ``agrees``; peers that are not built are left out."""
    import pandas as pd

    from labkit.smm.streaming import bench

    present = [kind for kind in kinds if built(kind)]
    rows = []
    for m, n, k in shapes:
        for r in range(rounds):
            lab = bench(m, n, k, repeat=repeat, check=r == 0, footprint_mb=footprint_mb)
            rows.append({"shape": f"{m}x{n}x{k}", "side": "labkit", "round": r,
                         "gflops": lab["gflops"],
                         "agrees": lab["max_error"] is None or lab["max_error"] < 1e-12})
            for kind in present:
                peer = run(kind, m, n, k, lab["batch"], repeat)
                rows.append({"shape": f"{m}x{n}x{k}", "side": kind, "round": r,
                             "gflops": peer["gflops"], "agrees": peer["agrees"]})
    return pd.DataFrame(rows)


def ratios(frame, peer: str):
    """labkit / ``peer`` speed per shape: the median over rounds of the per-round ratios."""
    wide = frame.pivot_table(index=["shape", "round"], columns="side", values="gflops")
    return (wide["labkit"] / wide[peer]).groupby("shape").median()
