"""Transposes equal numpy's, with leading dimensions, in and out of place."""

import numpy as np
import pytest

from labkit import InputError
from labkit.smm import transpose as tr


@pytest.mark.parametrize("m, n, ldi, ldo", [(5, 7, 5, 7), (33, 40, 35, 41), (1, 9, 2, 9), (70, 3, 70, 5)])
def test_out_of_place(m, n, ldi, ldo):
    a = np.random.default_rng(0).standard_normal(ldi * n)
    out = tr.transpose(a, m, n, ldi, ldo)
    A = a.reshape(n, ldi).T[:m]                       # the stored m x n matrix
    np.testing.assert_array_equal(out.reshape(m, ldo).T[:n], A.T)


@pytest.mark.parametrize("m, n, ld", [(6, 6, 6), (9, 9, 12), (7, 3, 7), (4, 10, 4), (1, 5, 1)])
def test_in_place(m, n, ld):
    a = np.random.default_rng(1).standard_normal(ld * n)
    A = a.reshape(n, ld).T[:m].copy()
    tr.transpose_inplace(a, m, n, ld)
    ldo = ld if m == n else n
    np.testing.assert_array_equal(a.reshape(m, ldo).T[:n], A.T)


def test_bench_reports_bandwidth():
    r = tr.bench(16, 8, 20, 9, repeat=2)
    assert r["agrees"] and r["gbps"] == pytest.approx(2 * 16 * 8 * 8 / r["seconds"] / 1e9)
    assert tr.bench(12, 5, inplace=True, repeat=2)["agrees"]


def test_bad_input():
    a = np.zeros(20)
    with pytest.raises(InputError, match="ldi"):
        tr.transpose(a, 5, 4, 4)
    with pytest.raises(InputError, match="ldo"):
        tr.transpose(a, 5, 4, 5, 3)
    with pytest.raises(InputError, match="elements"):
        tr.transpose(a, 5, 5)
    with pytest.raises(InputError, match="ld == m"):
        tr.transpose_inplace(np.zeros(30), 5, 4, 6)
    with pytest.raises(InputError, match="contiguous"):
        tr.transpose(np.zeros(40)[::2], 5, 4)
    with pytest.raises(InputError, match="m must"):
        tr.transpose(a, 0, 4)


def test_sweep_has_the_three_cases_per_size_all_validated():
    frame = tr.sweep([4, 9], repeat=1)
    assert list(frame["kind"]) == ["out-of-place", "in-place", "in-place m x m/2"] * 2
    assert frame[["m", "n", "ldi", "ldo"]].values.tolist() == [
        [4, 4, 7, 5], [4, 4, 4, 4], [4, 2, 4, 2], [9, 9, 12, 10], [9, 9, 9, 9], [9, 4, 9, 4]]
    assert frame["agrees"].all() and (frame["gbps"] > 0).all()


@pytest.mark.parametrize("m, n", [(64, 64), (67, 45), (8, 200), (130, 16)])
@pytest.mark.parametrize("threads", [1, 2])
def test_threaded_tiles_match_numpy(m, n, threads):
    from labkit.smm.tiles import TransposeTiles

    a = np.random.default_rng(2).standard_normal(m * n)
    for tiles in (TransposeTiles(16, 24), TransposeTiles(8, 8), TransposeTiles(40, 40)):
        out = tr.transpose(a, m, n, threads=threads, tiles=tiles)
        np.testing.assert_array_equal(out.reshape(m, n), a.reshape(n, m).T)
    a32 = a.astype(np.float32)
    np.testing.assert_array_equal(tr.transpose(a32, m, n, threads=threads).reshape(m, n),
                                  a32.reshape(n, m).T)


@pytest.mark.parametrize("m, ld", [(70, 70), (33, 40), (1, 3)])
def test_inplace_square_threaded_blocks(m, ld):
    a = np.random.default_rng(3).standard_normal(ld * m)
    want = a.reshape(m, ld)[:, :m].T.copy()
    tr.transpose_inplace(a, m, m, ld, threads=2, block=16)
    np.testing.assert_array_equal(a.reshape(m, ld)[:, :m], want)


def test_versus_copy_and_copy_equal_numpy():
    frame, agrees = tr.versus_copy(96, 80, threads=2, repeat=2)
    assert agrees and set(frame.side) == {"transpose", "copy"}
    out = tr.copy(np.arange(12.0), 3, 4, ldo=5)
    np.testing.assert_array_equal(out.reshape(4, 5)[:, :3], np.arange(12.0).reshape(4, 3))
    summary = tr.copy_summary(frame, agrees)
    assert summary["ratio"] > 0 and summary["agrees"]


@pytest.mark.parametrize("kind", ["mcopy", "tcopy"])
def test_registry_copy_kernels(kind):
    from labkit.smm.copy_kernels import dispatch_copy
    from labkit.smm.registry import REGISTRY

    m, n, ldi, ldo = 5, 7, 6, 9
    kernel = dispatch_copy(kind, m, n, ldi, ldo)
    hits = REGISTRY.hits
    assert dispatch_copy(kind, m, n, ldi, ldo) is kernel and REGISTRY.hits == hits + 1
    src = np.random.default_rng(4).standard_normal(ldi * n)
    dst = np.zeros(ldo * (n if kind == "mcopy" else m))
    kernel(src, dst)
    A = src.reshape(n, ldi).T[:m]
    if kind == "mcopy":
        np.testing.assert_array_equal(dst.reshape(n, ldo).T[:m], A)
    else:
        np.testing.assert_array_equal(dst.reshape(m, ldo).T[:n], A.T)


def test_copy_kernel_bad_input():
    from labkit.smm.copy_kernels import dispatch_copy

    with pytest.raises(InputError, match="kind"):
        dispatch_copy("zcopy", 3, 3)
    with pytest.raises(InputError, match="ldo=2"):
        dispatch_copy("tcopy", 3, 4, 3, 2)
    with pytest.raises(InputError, match="n must"):
        dispatch_copy("mcopy", 3, 0)
    with pytest.raises(InputError, match="holds"):
        dispatch_copy("mcopy", 3, 3)(np.zeros(8), np.zeros(9))


def test_transpose_tuning_stores_tiles(tmp_path, monkeypatch):
    from labkit.smm import tiles
    from labkit.smm.tile_tuning import tune_transpose

    monkeypatch.setattr(tiles, "store_path", lambda: tmp_path / "tiles.json")
    tuned = tune_transpose(200, 120, trials=3, repeat=1, progress=False)
    assert tuned.seconds <= tuned.default_seconds
    assert tiles.tiles_for("transpose", "float64", 1, 200, 120) == tuned.tiles
    a = np.random.default_rng(5).standard_normal(200 * 120)
    np.testing.assert_array_equal(tr.transpose(a, 200, 120, threads=1).reshape(200, 120),
                                  a.reshape(120, 200).T)


def test_cli_transpose_vs_copy(capsys):
    import json

    from labkit.cli import main

    assert main(["smm", "transpose-vs-copy", "--mn", "64,48", "--repeat", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["agrees"] is True
    for argv, word in ((["--mn", "64"], "M,N"), (["--mn", "64,0"], "n must"),
                       (["--mn", "200000,200000"], "of memory; the limit is")):
        assert main(["smm", "transpose-vs-copy", *argv, "--json"]) == 2
        err = capsys.readouterr().err.strip()
        assert word in err and "\n" not in err
    assert main(["smm", "transpose", "5", "4", "4", "4", "--json"]) == 2
    assert "ldi=4" in capsys.readouterr().err
