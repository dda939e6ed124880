"""Side by side on this machine: a plain ``pread`` through the host's kernel file system
against the emulated direct path (SIOMMU model translation + ``pread`` of the translated
blocks from an ext4 image), as latency distributions, and where the emulation's own time
goes (:class:`labkit.siommu.direct.Stages`). Both sides use O_DIRECT when the host allows
it (so neither is served by the page cache), and the two sides alternate request by request.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from labkit.siommu import direct, image
from labkit.siommu.request import PAGE_SIZE
from labkit.siommu.validate import positive_int

SIZES_KIB = (4, 8, 16, 32, 64, 128)


def setup(workdir, *, file_mib: int = 8, seed: int = 0) -> dict:
    """A random-bytes file ``data.bin`` in ``workdir/src`` and an ext4 image holding it."""
    workdir = Path(workdir)
    (workdir / "src").mkdir(parents=True, exist_ok=True)
    source = workdir / "src" / "data.bin"
    source.write_bytes(np.random.default_rng(seed).bytes(positive_int("file_mib", file_mib) << 20))
    img = image.build(workdir / "src", workdir / "image.ext4")
    return {"source": source, "image": img, "file": "/data.bin"}


def measure(source, image_path, file: str, *, sizes_kib=SIZES_KIB, reads: int = 200,
            seed: int = 0, tlb_entries: int = 64):
    """``(latencies, stages)``: one row per read (``path``, ``size_kib``, ``latency_us``)
    and the emulation's median time per stage per read size; every emulated read is also
    compared with the kernel read's bytes (``same_bytes`` must be all True)."""
    import pandas as pd

    reads = positive_int("reads per size", reads)
    rng = np.random.default_rng(seed)
    kernel_fd, kernel_direct = direct.open_direct(source)
    rows, stage_rows = [], []
    try:
        with direct.DirectImage(image_path, tlb_entries=tlb_entries) as emu:
            fd = emu.open(1, file)
            size = os.fstat(kernel_fd).st_size
            for kib in sizes_kib:
                length = positive_int("read size (KiB)", kib) * 1024
                offsets = rng.integers(0, (size - length) // PAGE_SIZE + 1, reads) * PAGE_SIZE
                same, per_read = True, []
                for offset in offsets.tolist():
                    t0 = time.perf_counter_ns()
                    want = (direct.aligned_pread(kernel_fd, length, offset) if kernel_direct
                            else os.pread(kernel_fd, length, offset))
                    emu.stages = direct.Stages()
                    t1 = time.perf_counter_ns()
                    got = emu.read(1, fd, offset, length)
                    t2 = time.perf_counter_ns()
                    per_read.append(emu.stages.as_dict())
                    same &= got == want
                    rows += [{"path": "kernel pread", "size_kib": kib, "latency_us": (t1 - t0) / 1e3},
                             {"path": "emulated direct", "size_kib": kib, "latency_us": (t2 - t1) / 1e3}]
                stages = pd.DataFrame(per_read).drop(columns="reads").median()
                stage_rows += [{"size_kib": kib, "stage": k, "us_per_read": v / 1e3}
                               for k, v in stages.items()]
                stage_rows.append({"size_kib": kib, "stage": "same_bytes", "us_per_read": float(same)})
    finally:
        os.close(kernel_fd)
    lat = pd.DataFrame(rows).assign(o_direct=kernel_direct)
    return lat, pd.DataFrame(stage_rows)


def distribution(latencies):
    """Median, 10th and 90th percentile per path and size (microseconds)."""
    grouped = latencies.groupby(["size_kib", "path"]).latency_us
    return grouped.quantile([0.1, 0.5, 0.9]).unstack().rename(
        columns={0.1: "p10_us", 0.5: "median_us", 0.9: "p90_us"}).reset_index()
