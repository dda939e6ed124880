"""Request traces for the simulation: who (PASID) touches which block, reading or writing.

A trace is a DataFrame with integer columns ``pasid``, ``block`` (virtual block within the
process's file region) and boolean ``write``. Patterns: ``uniform`` random blocks;
``zipf`` (a few hot blocks, exponent ``alpha``); ``sequential`` scans from random starts;
``shared``: ``processes`` processes reading the same Zipf-hot file, each under its own
PASID (TLB tags include the PASID, so sharing a file does not share TLB entries).
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.siommu.validate import positive_int

PATTERNS = ("uniform", "zipf", "sequential", "shared")


def zipf_blocks(rng: np.random.Generator, n: int, blocks: int, alpha: float) -> np.ndarray:
    """``n`` draws over ``blocks`` with P(rank k) ~ 1/k**alpha; hot blocks scattered."""
    if not alpha > 0:
        raise InputError(f"zipf alpha must be positive, got {alpha!r}")
    weights = 1.0 / np.arange(1, blocks + 1) ** alpha
    cdf = np.cumsum(weights)
    ranks = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    ranks = np.minimum(ranks, blocks - 1)
    return rng.permutation(blocks)[ranks]


def generate(pattern: str, requests: int, *, blocks: int = 262_144, processes: int = 1,
             alpha: float = 0.99, write_fraction: float = 0.0, run: int = 64,
             seed: int = 0):
    """A synthetic trace of ``requests`` rows (see the module docstring for patterns)."""
    import pandas as pd

    if pattern not in PATTERNS:
        raise InputError(f"unknown workload pattern {pattern!r}: one of {', '.join(PATTERNS)}")
    n, blocks, processes = (positive_int("workload requests", requests), positive_int("workload blocks", blocks),
                            positive_int("workload processes", processes))
    if not 0.0 <= write_fraction <= 1.0:
        raise InputError(f"write_fraction must be in [0, 1], got {write_fraction!r}")
    rng = np.random.default_rng(seed)
    pasid = rng.integers(0, processes, n) + 1
    if pattern == "uniform":
        block = rng.integers(0, blocks, n)
    elif pattern in ("zipf", "shared"):
        block = zipf_blocks(rng, n, blocks, alpha)
    else:   # sequential runs of ``run`` blocks per process, from random starts
        run = positive_int("workload run", run)
        starts = rng.integers(0, blocks, n // run + 1)
        block = (np.repeat(starts, run)[:n] + np.tile(np.arange(run), n // run + 1)[:n]) % blocks
        pasid = np.repeat(rng.integers(0, processes, n // run + 1) + 1, run)[:n]
    write = rng.random(n) < write_fraction
    return pd.DataFrame({"pasid": pasid.astype(np.int64), "block": block.astype(np.int64),
                         "write": write})


def check_trace(trace):
    """Validate a trace DataFrame; return it with int64/bool columns."""
    import pandas as pd

    if not isinstance(trace, pd.DataFrame):
        raise InputError("a trace must be a DataFrame with columns pasid, block[, write]")
    missing = {"pasid", "block"} - set(trace.columns)
    if missing:
        raise InputError(f"trace is missing column(s): {', '.join(sorted(missing))}")
    if len(trace) == 0:
        raise InputError("trace has no requests")
    out = {}
    for col, low in (("pasid", 0), ("block", 0), ("size", 1), ("pages", 1)):
        if col in trace.columns:          # size, pages: optional per-request bytes and pages
            out[col] = _integers(trace[col], col, low)
    if (out["pasid"] >= 1 << 20).any():
        raise InputError("trace has a pasid beyond the 20-bit PASID range")
    if (out["block"] >= 1 << 36).any():
        raise InputError("trace has a block beyond the 36-bit virtual block range")
    if "write" in trace.columns:
        w = trace["write"]
        if w.dtype != bool:
            mapped = w.astype(str).str.strip().str.lower().map(
                {"0": False, "1": True, "false": False, "true": True, "r": False, "w": True})
            if mapped.isna().any():
                row = int(np.flatnonzero(mapped.isna().to_numpy())[0])
                raise InputError(f"trace row {row}: write={w.iloc[row]!r} is not 0/1/true/false/r/w")
            w = mapped.astype(bool)
        out["write"] = w.to_numpy()
    else:
        out["write"] = np.zeros(len(trace), bool)
    return pd.DataFrame(out, copy=False)


def _integers(column, name: str, low: int) -> np.ndarray:
    """``column`` as int64 if every value is an integer >= ``low``, else InputError naming
    the first bad row (integer columns skip the parse: 10 M rows check in milliseconds)."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(column.dtype):
        values = column.to_numpy(np.int64)
        bad = values < low
    else:
        parsed = pd.to_numeric(column, errors="coerce")
        bad = (parsed.isna() | (parsed % 1 != 0) | (parsed < low)).to_numpy()
        values = None if bad.any() else parsed.to_numpy().astype(np.int64)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        rule = "non-negative integer" if low == 0 else "positive integer"
        raise InputError(f"trace row {row}: {name}={column.iloc[row]!r} is not a {rule}")
    return values


def read_trace(path) -> "object":
    """A trace from a CSV or Parquet file: either the block form ``pasid,block[,write[,size,pages]]``
    or a recorded I/O trace ``pasid,file,op,offset,length`` (:mod:`labkit.siommu.iotrace`),
    which is mapped to blocks."""
    from labkit.siommu import iotrace

    trace = iotrace.load_table(path)
    if iotrace.is_io_trace(trace):
        return iotrace.to_blocks(iotrace.check(trace, f"trace file {str(path)!r}"))
    return check_trace(trace)
