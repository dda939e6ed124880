"""Measure this machine's kernel costs and plug them into the Linux path.

Two measurements, each the median of several timed batches: a bare system call
(``os.getppid``) and ``os.pread`` of a small file that sits in the page cache, at a
few sizes. A linear fit of pread time against size gives the per-call cost (syscall +
VFS + page-cache lookup) and the kernel-to-user copy bandwidth. The interpreter's own
per-call overhead (timing a trivial builtin the same way) is subtracted. The Linux path
then uses the measured ``syscall``, ``vfs`` (per-call cost minus the syscall) and copy
bandwidth instead of the published defaults; the file system, block layer, driver and
device keep theirs, because a page-cache hit never reaches them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from labkit.lab.errors import InputError
from labkit.siommu.validate import positive_int


def _per_call_us(fn, calls: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter_ns() - start) / calls / 1e3)
    return statistics.median(samples)


def measure(sizes=(512, 4096, 16384, 65536), calls: int = 2000, repeats: int = 5):
    """Tidy rows ``what, size, us`` (interpreter overhead already subtracted)."""
    import pandas as pd

    positive_int("calibration calls", calls)
    positive_int("calibration repeats", repeats)
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) < 1:
        raise InputError(f"calibration sizes must be positive byte counts, got {sizes!r}")
    baseline = _per_call_us(lambda: len(()), calls, repeats)
    rows = [{"what": "python_call", "size": 0, "us": baseline},
            {"what": "syscall", "size": 0,
             "us": max(_per_call_us(os.getppid, calls, repeats) - baseline, 0.0)}]
    with tempfile.NamedTemporaryFile() as f:
        f.write(os.urandom(max(sizes)))
        f.flush()
        fd = f.fileno()
        os.pread(fd, max(sizes), 0)       # now in the page cache
        for size in sizes:
            us = _per_call_us(lambda: os.pread(fd, size, 0), calls, repeats)
            rows.append({"what": "pread", "size": size, "us": max(us - baseline, 0.0)})
    return pd.DataFrame(rows, columns=["what", "size", "us"])


def fit(measured) -> dict:
    """``syscall_us``, ``pread_fixed_us`` and ``copy_gbps`` from :func:`measure` rows."""
    import numpy as np

    pread = measured[measured.what == "pread"]
    if len(pread) < 2:
        raise InputError("calibration needs pread timings at two sizes or more")
    slope, intercept = np.polyfit(pread["size"].to_numpy(float), pread["us"].to_numpy(float), 1)
    syscall = float(measured.loc[measured.what == "syscall", "us"].iloc[0])
    return {"syscall_us": syscall, "pread_fixed_us": float(max(intercept, syscall)),
            "copy_gbps": float(1e-3 / slope) if slope > 0 else float("inf")}


def linux_overrides(fitted: dict) -> dict:
    """Keyword arguments for :func:`labkit.siommu.latency.breakdown` on this machine."""
    copy = fitted["copy_gbps"]
    return {"overrides": {"syscall": fitted["syscall_us"],
                          "vfs": max(fitted["pread_fixed_us"] - fitted["syscall_us"], 0.0)},
            "copy_gbps": copy if copy != float("inf") else 1e6}


def compare(fitted: dict, sizes=(512, 4096, 65536), device="optane"):
    """Linux path totals with published defaults vs with this machine's costs."""
    import pandas as pd

    from labkit.siommu import latency

    published = latency.totals(["linux"], sizes, device=device).assign(costs="published")
    here = latency.totals(["linux"], sizes, device=device,
                          **linux_overrides(fitted)).assign(costs="this machine")
    return pd.concat([published, here], ignore_index=True)
