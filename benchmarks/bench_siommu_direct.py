"""The emulated direct path against a plain kernel ``pread``, on this machine.

Reads of 4-128 KB at random aligned offsets of one file: through the host's kernel file
system (``pread``, O_DIRECT when allowed) and through the emulation (SIOMMU model
translation of every block + ``pread`` of the translated blocks of an ext4 image holding
the same file), alternating request by request; every emulated read's bytes are compared
with the kernel's. Prints per size the medians (p10-p90), the ratio, and where the
emulation's own time goes.

    python benchmarks/bench_siommu_direct.py [--reads 300] [--file-mib 64] [--dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile

from labkit.siommu import emulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300, help="reads per size and side")
    parser.add_argument("--file-mib", type=int, default=64)
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as workdir:
        s = emulation.setup(workdir, file_mib=args.file_mib)
        lat, stages = emulation.measure(s["source"], s["image"], s["file"], reads=args.reads)
    dist = emulation.distribution(lat).set_index(["size_kib", "path"])
    per = stages.pivot(index="size_kib", columns="stage", values="us_per_read")
    print(f"O_DIRECT: {bool(lat.o_direct.iloc[0])}; {args.reads} reads per size and side; "
          f"bytes identical: {bool((per.same_bytes == 1).all())}")
    print("size   kernel pread us (p10-p90)   emulated us (p10-p90)   ratio | emulation: "
          "translate  userlib  pread  assemble (medians, us)")
    for kib in per.index:
        k, e = dist.loc[(kib, "kernel pread")], dist.loc[(kib, "emulated direct")]
        print(f"{kib:4d}K  {k.median_us:8.1f} ({k.p10_us:.0f}-{k.p90_us:.0f})"
              f"      {e.median_us:8.1f} ({e.p10_us:.0f}-{e.p90_us:.0f})"
              f"   {e.median_us / k.median_us:5.2f}x | {per.translate[kib]:8.1f} "
              f"{per.userlib[kib]:8.1f} {per.device[kib]:6.1f} {per.assemble[kib]:8.1f}")


if __name__ == "__main__":
    main()
