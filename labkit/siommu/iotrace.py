"""Recorded I/O traces: the file format, its checks, and the view the simulation plays.

A trace file is a CSV (or a Parquet file, ``.parquet``) with the columns
``pasid,file,op,offset,length``: one row per read
or write an application issued, in order; ``file`` names the file (e.g. ``main.db`` and
``main.db-journal``), ``op`` is ``read`` or ``write``, ``offset`` and ``length`` are bytes.
:mod:`labkit.siommu.record` writes such files from real runs (SQLite through apsw's VFS,
file scans). :func:`to_blocks` maps each file to its own region of virtual blocks (the
region the SIOMMU's page tables would map on open) and each request to the blocks it
touches, giving the ``pasid, block, write, size, pages`` trace of :mod:`labkit.siommu.sim`.
"""

from __future__ import annotations

import numpy as np

from labkit.lab.errors import InputError
from labkit.siommu.request import MAX_PASID, PAGE_SIZE

COLUMNS = ("pasid", "file", "op", "offset", "length")
OPS = ("read", "write")
FILE_REGION_BLOCKS = 1 << 24     # 64 GiB of virtual blocks per file; 4096 files fit in 36 bits


def is_io_trace(frame) -> bool:
    """Whether a DataFrame has the recorded-trace columns (``op`` and ``offset``)."""
    return {"op", "offset"} <= set(frame.columns)


def _first_bad(mask, what: str, column, message: str):
    if mask.any():
        row = int(np.flatnonzero(np.asarray(mask))[0])
        value = column.iloc[row]
        value = value.item() if hasattr(value, "item") else value     # 5, not np.int64(5)
        raise InputError(f"{what} row {row}: {column.name}={value!r} {message}")


def check(frame, what: str = "I/O trace"):
    """Validate a recorded trace; return it with clean dtypes (InputError naming the row)."""
    import pandas as pd

    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{what} is missing column(s): {', '.join(missing)} "
                         f"(header must be {','.join(COLUMNS)})")
    if len(frame) == 0:
        raise InputError(f"{what} has no requests")
    out = pd.DataFrame({"file": frame["file"].astype(str)})
    op = frame["op"].astype(str).str.strip().str.lower()
    _first_bad(~op.isin(OPS), what, frame["op"], f"is not an operation ({' or '.join(OPS)})")
    out["op"] = op
    for col, low, rule in (("pasid", 0, "a PASID (0..2^20-1)"),
                           ("offset", 0, "a non-negative byte offset"),
                           ("length", 1, "a positive byte count")):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values % 1 != 0) | (values < low)
        if col == "pasid":
            bad |= values > MAX_PASID
        _first_bad(bad, what, frame[col], f"is not {rule}")
        out[col] = values.astype(np.int64)
    end_block = (out["offset"] + out["length"] - 1) // PAGE_SIZE
    _first_bad(end_block >= FILE_REGION_BLOCKS, what, frame["offset"],
               f"reaches beyond a file's {FILE_REGION_BLOCKS}-block region")
    return out[list(COLUMNS)]


def load_table(path):
    """The raw table of a trace file, CSV or (``.parquet``) Parquet, either trace form;
    InputError if it is missing or malformed. Parquet loads 10 M rows in well under a
    second, CSV in several."""
    import pandas as pd
    import pyarrow

    try:
        if str(path).endswith(".parquet"):
            return pd.read_parquet(path)
        return pd.read_csv(path, engine="pyarrow")     # multi-threaded
    except FileNotFoundError:
        raise InputError(f"trace file {str(path)!r} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            pyarrow.ArrowException, OSError) as exc:
        raise InputError(f"trace file {str(path)!r} is malformed: {exc}".splitlines()[0]) from None


def read(path):
    """A recorded trace from a CSV file in the format above."""
    return check(load_table(path), f"trace file {str(path)!r}")


def write(frame, path) -> None:
    """Write a recorded trace in the file format above (Parquet if ``path`` ends in
    ``.parquet``, else CSV)."""
    frame = check(frame)
    if str(path).endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def to_blocks(frame, *, block_size: int = PAGE_SIZE):
    """The simulation's view: one row per request with its first virtual block, the
    number of blocks it touches (an unaligned request may touch one more) and its size."""
    import pandas as pd

    frame = check(frame)
    codes, _ = pd.factorize(frame["file"])
    first = frame["offset"].to_numpy() // block_size
    last = (frame["offset"].to_numpy() + frame["length"].to_numpy() - 1) // block_size
    return pd.DataFrame({"pasid": frame["pasid"].to_numpy(),
                         "block": codes.astype(np.int64) * FILE_REGION_BLOCKS + first,
                         "write": (frame["op"] == "write").to_numpy(),
                         "size": frame["length"].to_numpy(),
                         "pages": last - first + 1})


def describe(frame) -> dict:
    """Counts of a recorded trace: requests, reads, writes, files, bytes, distinct blocks."""
    frame = check(frame)
    blocks = to_blocks(frame)
    return {"requests": len(frame), "reads": int((frame.op == "read").sum()),
            "writes": int((frame.op == "write").sum()), "files": int(frame.file.nunique()),
            "bytes": int(frame.length.sum()),
            "distinct_start_blocks": int(blocks.drop_duplicates(["pasid", "block"]).shape[0]),
            "median_length": float(frame.length.median())}
