"""Record the I/O of real programs on this machine, as traces (:mod:`labkit.siommu.iotrace`).

``sqlite``: a small OLTP run (bulk insert in transactions, a secondary index, random point
lookups, an index range scan, updates) on a real SQLite database through apsw, with a VFS
layered on the default one that logs every ``xRead``/``xWrite`` SQLite issues: file,
offset, length, exactly the block-level requests a user-space I/O library such as BypassD's
userLib would see. SQLite's page cache is kept small, so lookups reach the file.
``sequential-scan`` / ``random-scan``: a file of random bytes read whole with ``os.pread``
in order or in a shuffled order of requests, each call logged with what it returned.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from labkit.lab.errors import InputError
from labkit.siommu.validate import positive_int

KINDS = ("sqlite", "sequential-scan", "random-scan")


class _Log:
    """Rows ``(pasid, file, op, offset, length)`` in the order the calls were made."""

    def __init__(self, pasid: int):
        self.pasid, self.rows = pasid, []

    def add(self, file: str, op: str, offset: int, length: int) -> None:
        self.rows.append((self.pasid, file, op, offset, length))

    def frame(self):
        import pandas as pd

        from labkit.siommu import iotrace

        return iotrace.check(pd.DataFrame(self.rows, columns=list(iotrace.COLUMNS)))


def _tracing_vfs(log: _Log, name: str):
    """An apsw VFS that passes every call to the default VFS and logs reads and writes."""
    import apsw

    class TracedFile(apsw.VFSFile):
        def __init__(self, filename, flags):
            path = filename.filename() if isinstance(filename, apsw.URIFilename) else filename
            self.label = os.path.basename(path) if path else "temporary"
            super().__init__("", filename, flags)

        def xRead(self, amount, offset):
            log.add(self.label, "read", offset, amount)
            return super().xRead(amount, offset)

        def xWrite(self, data, offset):
            log.add(self.label, "write", offset, len(data))
            super().xWrite(data, offset)

    class TracingVFS(apsw.VFS):
        def __init__(self):
            super().__init__(name, "")

        def xOpen(self, filename, flags):
            return TracedFile(filename, flags)

    return TracingVFS()


def sqlite(workdir, *, rows: int = 20_000, lookups: int = 5_000, cache_kib: int = 256,
           seed: int = 0, pasid: int = 1):
    """Trace a SQLite OLTP run in ``workdir`` (a new database ``main.db``)."""
    import apsw

    rows, lookups = positive_int("sqlite rows", rows), positive_int("sqlite lookups", lookups)
    cache_kib = positive_int("sqlite cache_kib", cache_kib)
    path = Path(workdir) / "main.db"
    if path.exists():
        path.unlink()
    log = _Log(pasid)
    vfs_name = f"labkit-trace-{id(log)}"
    vfs = _tracing_vfs(log, vfs_name)
    rng = np.random.default_rng(seed)
    db = apsw.Connection(str(path), vfs=vfs_name)
    try:
        db.execute(f"PRAGMA page_size=4096; PRAGMA cache_size=-{cache_kib}; "
                   "CREATE TABLE item(id INTEGER PRIMARY KEY, category INTEGER, body TEXT)")
        for start in range(0, rows, 1000):
            with db:
                db.executemany("INSERT INTO item VALUES (?, ?, ?)",
                               [(i, int(rng.integers(0, 100)), "x" * int(rng.integers(50, 400)))
                                for i in range(start, min(rows, start + 1000))])
        db.execute("CREATE INDEX item_category ON item(category)")
        for key in rng.integers(0, rows, lookups).tolist():
            db.execute("SELECT body FROM item WHERE id = ?", (key,)).fetchall()
        db.execute("SELECT count(*), sum(length(body)) FROM item WHERE category BETWEEN 10 AND 20").fetchall()
        with db:
            for key in rng.integers(0, rows, max(1, lookups // 10)).tolist():
                db.execute("UPDATE item SET body = ? WHERE id = ?", ("y" * 200, key))
    finally:
        db.close()
        vfs.unregister()
    return log.frame()


def scan(workdir, *, order: str = "sequential", file_mib: int = 16, request: int = 4096,
         seed: int = 0, pasid: int = 1):
    """Trace a whole-file read of a ``file_mib`` MiB file in ``request``-byte preads."""
    if order not in ("sequential", "random"):
        raise InputError(f"scan order must be sequential or random, got {order!r}")
    request = positive_int("scan request size", request)
    size = positive_int("scan file_mib", file_mib) << 20
    rng = np.random.default_rng(seed)
    path = Path(workdir) / "scan.dat"
    if not path.exists() or path.stat().st_size != size:
        path.write_bytes(rng.bytes(size))
    offsets = np.arange(0, size, request)
    if order == "random":
        offsets = rng.permutation(offsets)
    log = _Log(pasid)
    fd = os.open(path, os.O_RDONLY)
    try:
        for offset in offsets.tolist():
            got = len(os.pread(fd, request, offset))
            log.add(path.name, "read", offset, got)
    finally:
        os.close(fd)
    return log.frame()


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown trace kind {kind!r}: one of {', '.join(KINDS)}")
    return kind


def record(kind: str, workdir, **options):
    """A trace of ``kind`` (one of :data:`KINDS`) recorded in ``workdir``."""
    check_kind(kind)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return sqlite(workdir, **options)
    return scan(workdir, order=kind.split("-")[0], **options)


def real_traces(workdir, *, sqlite_rows: int = 20_000, lookups: int = 5_000,
                scan_mib: int = 16, seed: int = 0) -> dict:
    """The three recorded workloads, as the simulation's block traces, keyed by kind
    (the default workloads of notebook 41)."""
    from labkit.siommu import iotrace

    options = {"sqlite": dict(rows=sqlite_rows, lookups=lookups),
               "sequential-scan": dict(file_mib=scan_mib),
               "random-scan": dict(file_mib=scan_mib)}
    return {kind: iotrace.to_blocks(record(kind, workdir, seed=seed, **options[kind]))
            for kind in KINDS}
