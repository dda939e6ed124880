"""Recorded traces: the apsw VFS log against SQLite's own counters, file scans, the file
format, the mapping to blocks, and bad trace files on the command line."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.siommu import iotrace, record, sim, workloads


def test_vfs_log_matches_sqlites_own_page_counters(tmp_path):
    """Every page SQLite misses in its cache is one 4 KB xRead of the database, every page
    it writes one 4 KB xWrite (SQLite's DBSTATUS counters are the reference)."""
    import apsw

    log = record._Log(pasid=3)
    vfs = record._tracing_vfs(log, "test-trace")
    try:
        db = apsw.Connection(str(tmp_path / "x.db"), vfs="test-trace")
        db.execute("PRAGMA page_size=4096; PRAGMA cache_size=-64; "
                   "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        with db:
            db.executemany("INSERT INTO t VALUES (?, ?)", [(i, "x" * 100) for i in range(3000)])
        for i in range(200):
            db.execute("SELECT v FROM t WHERE k = ?", (i * 37 % 3000,)).fetchall()
        misses = db.status(apsw.SQLITE_DBSTATUS_CACHE_MISS)[0]
        writes = db.status(apsw.SQLITE_DBSTATUS_CACHE_WRITE)[0]
        db.close()
    finally:
        vfs.unregister()
    frame = log.frame()
    page = frame[(frame.file == "x.db") & (frame.length == 4096)]
    assert (page.op == "read").sum() == misses > 100
    assert (page.op == "write").sum() == writes > 50
    assert (page.offset % 4096 == 0).all() and set(frame.pasid) == {3}
    assert page.offset.max() + 4096 <= os.path.getsize(tmp_path / "x.db")


def test_sqlite_workload_reads_and_writes_both_files(tmp_path):
    frame = record.record("sqlite", tmp_path, rows=3000, lookups=500)
    counts = frame.groupby(["file", "op"]).size()
    assert counts[("main.db", "read")] > 200 and counts[("main.db", "write")] > 50
    assert ("main.db-journal", "write") in counts
    db_size = os.path.getsize(tmp_path / "main.db")
    db = frame[frame.file == "main.db"]
    assert ((db.offset + db.length) <= db_size).all()


@pytest.mark.parametrize("kind", ["sequential-scan", "random-scan"])
def test_scans_read_the_whole_file_once(tmp_path, kind):
    frame = record.record(kind, tmp_path, file_mib=1, request=8192, seed=2)
    assert sorted(frame.offset) == list(range(0, 1 << 20, 8192))
    assert (frame.length == 8192).all() and (frame.op == "read").all()
    steps = np.diff(frame.offset.to_numpy())
    assert (steps == 8192).all() == (kind == "sequential-scan")


def test_to_blocks_by_hand():
    frame = pd.DataFrame({"pasid": [1, 1, 2], "file": ["a", "b", "a"], "op": ["read", "write", "READ"],
                          "offset": [0, 4000, 8192], "length": [4096, 200, 1]})
    blocks = iotrace.to_blocks(frame)
    region = iotrace.FILE_REGION_BLOCKS
    assert blocks.block.tolist() == [0, region + 0, 2]
    assert blocks.pages.tolist() == [1, 2, 1]          # 4000..4199 crosses a block boundary
    assert blocks.write.tolist() == [False, True, False]
    assert blocks["size"].tolist() == [4096, 200, 1]


def test_a_recorded_trace_round_trips_and_simulates(tmp_path):
    frame = record.record("sqlite", tmp_path, rows=2000, lookups=300)
    path = tmp_path / "t.csv"
    iotrace.write(frame, path)
    assert iotrace.read(path).equals(frame)
    trace = workloads.read_trace(path)
    r = sim.simulate(trace, tlb_entries=4096)
    # a 4096-entry TLB holds every block of this small database: one miss per distinct block
    distinct = len({(p, b + k) for p, b, n in zip(trace.pasid, trace.block, trace.pages)
                    for k in range(n)})
    assert r.misses.sum() == distinct and r.pages == trace.pages.sum()


def test_cli_records_and_replays_on_every_path(tmp_path, capsys):
    out = tmp_path / "scan.csv"
    assert main(["siommu", "trace", "random-scan", "--out", str(out), "--file-mib", "1",
                 "--workdir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 256
    assert main(["siommu", "simulate", "--trace", str(out), "--path", "all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["by_path"]) == {"linux", "spdk", "siommu"}
    assert result["by_path"]["linux"]["tlb_hit_rate"] is None
    siommu = result["by_path"]["siommu"]
    assert siommu["walks"] == 256 and siommu["tlb_hit_rate"] == 0.0   # each block once


@pytest.mark.parametrize("body,match", [
    ("pasid,file,op,offset,length\n1,a,read,-4096,4096\n", "row 0: offset=-4096"),
    ("pasid,file,op,offset,length\n1,a,read,0,4096\n1,a,trim,0,4096\n", "row 1: op='trim'"),
    ("pasid,file,op,offset,length\n1,a,read,0,0\n", "length=0"),
    ("pasid,file,op,offset,length\n1,a,read,0.5,4096\n", "offset=0.5"),
    ("pasid,file,op,offset\n1,a,read,0\n", "missing column"),
    ("pasid,file,op,offset,length\n1,a,read,0\n", "malformed"),
])
def test_bad_trace_files_exit_2_with_one_line(tmp_path, capsys, body, match):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(InputError, match=match):
        workloads.read_trace(path)
    assert main(["siommu", "simulate", "--trace", str(path), "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("labkit: error:")


def test_bad_record_settings():
    with pytest.raises(InputError, match="kind"):
        record.record("postgres", "/tmp")
    with pytest.raises(InputError, match="order"):
        record.scan("/tmp", order="backwards")


def test_real_traces_are_the_three_kinds_as_block_traces(tmp_path):
    traces = record.real_traces(tmp_path, sqlite_rows=1000, lookups=100, scan_mib=1)
    assert list(traces) == list(record.KINDS)
    assert traces["sequential-scan"].block.tolist() == list(range(256))
    assert sorted(traces["random-scan"].block) == list(range(256))
    assert traces["sqlite"]["write"].any() and not traces["random-scan"]["write"].any()


def test_parquet_trace_equals_csv_trace(tmp_path):
    frame = record.record("random-scan", tmp_path, file_mib=1)
    iotrace.write(frame, tmp_path / "t.parquet")
    iotrace.write(frame, tmp_path / "t.csv")
    assert iotrace.read(tmp_path / "t.parquet").equals(iotrace.read(tmp_path / "t.csv"))
    blocks = workloads.generate("zipf", 500, seed=1)
    blocks.to_parquet(tmp_path / "b.parquet")
    assert workloads.read_trace(tmp_path / "b.parquet").equals(workloads.check_trace(blocks))
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="malformed"):
        workloads.read_trace(tmp_path / "bad.parquet")
