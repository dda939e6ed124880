"""Tiling into fibertree tiles, the tile-level graphs and the memory model, against hand
computations and scipy."""

import numpy as np
import pytest
import scipy.sparse as sp

from labkit import InputError
from labkit.cli import main
from labkit.sam import extensor, tiling
from labkit.sam.memory import MemoryModel


def test_tile_matrix_keys_and_elements_by_hand():
    m = sp.csr_matrix(([1.0, 2.0, 3.0, 4.0], ([0, 0, 1, 4], [0, 1, 4, 4])), shape=(5, 5))
    t = tiling.tile_matrix(m, 3)
    assert t.keys == [(0, 0), (0, 1), (1, 1)]
    # tile (0,0): 2 nonzeros in 1 row -> 2*2 + 2*1 + 3; the others 1 nonzero in 1 row
    assert t.elements.tolist() == [9, 7, 7]
    assert t.tile(1).toarray()[1, 1] == 3.0 and t.tile(2).toarray()[1, 1] == 4.0
    assert [tiling.tile_elements(x) for x in t.tiles] == [9, 7, 7]
    assert t.occupancy.toarray().tolist() == [[1.0, 2.0], [0.0, 3.0]]


def test_tile_pairs_are_the_ikj_tile_products():
    b = sp.random(50, 40, density=0.05, random_state=1, format="csr")
    c = sp.random(40, 30, density=0.05, random_state=2, format="csr")
    tb, tc = tiling.tile_matrix(b, 8), tiling.tile_matrix(c, 8)
    pairs, cycles = tiling.tile_pairs(tb, tc)
    expected = [(x, y) for x, (i, k) in enumerate(tb.keys)
                for y, (k2, j) in enumerate(tc.keys) if k2 == k]
    assert pairs == expected and cycles > 0


def test_fibertree_round_trip():
    m = sp.random(13, 11, density=0.3, random_state=3, format="coo")
    ft = tiling.as_fibertree(m, 4)
    assert ft.shape == (4, 3, 4, 4)
    back = tiling.from_fibertree(ft.coords.T, ft.data, 4, (13, 11))
    assert abs(back - m.tocsr()).max() == 0


def test_memory_model_transfers_by_hand():
    mm = MemoryModel()
    assert mm.glb_side == 2048
    assert mm.glb_transfer(1000) == 200 + 30       # 2000 B at 68.256 B/cycle: 29.3 -> 30
    assert mm.mem_transfer(1000) == 1 + 8          # 2000 B at 256 B/cycle: 7.8 -> 8
    with pytest.raises(InputError, match="exceeds"):
        mm.check_fits(40_000, "mem")               # 80 KB > 70 KB


def test_tiled_run_counts_by_hand():
    """One GLB tile pair of 4x4, memory tiles 2x2 (worked out in the comments)."""
    b = sp.csr_matrix(([1.0, 2.0, 3.0], ([0, 0, 3], [0, 1, 2])), shape=(4, 4))
    c = sp.csr_matrix(([1.0, 1.0, 2.0], ([0, 1, 2], [0, 3, 2])), shape=(4, 4))
    run = extensor.tiled_spmspm(b, c, MemoryModel(glb_tile=2, mem_tile=2))
    n = run.counters
    # GLB: B 13 elements (26 B), C 15 elements (30 B): 200 + 1 cycles each
    assert n.glb_load == 402 and n.glb_pairs == 1
    # memory tiles: pairs (B0,C0) (B0,C1) (B1,C2); five loads of 9/7 elements, 2 cycles each
    assert n.mem_pairs == 3 and n.mem_load == 10
    # write back X (3 nonzeros in rows 0 and 3: 13 elements) and its three 7-element tiles
    assert n.writeback == 201 + 3 * 2
    assert n.glb_bytes == 26 + 30 + 26 and n.mem_bytes == 18 + 14 * 4 + 14 * 3
    assert n.cycles == n.compute + 402 + 10 + 207 and n.compute > 0
    assert n.overlapped == max(n.compute, 402 + 10) + 207
    assert abs(run.result - b @ c).max() == 0


def test_tiled_result_equals_scipy_over_many_tiles():
    b, c = extensor.fixed_nnz_matrix(37, 150, 1), extensor.fixed_nnz_matrix(37, 150, 2)
    run = extensor.tiled_spmspm(b, c, MemoryModel(glb_tile=2, mem_tile=4))
    assert run.counters.glb_pairs > 10
    n = run.counters
    assert n.compute + n.writeback <= n.overlapped <= n.cycles
    assert np.allclose(run.result.toarray(), (b @ c).toarray())


def test_sweep_and_findings():
    frame = extensor.sweep((40, 120), (48, 96), MemoryModel(glb_tile=2, mem_tile=16))
    assert len(frame) == 4 and frame.matches_scipy.all()
    assert (frame.nnz == 40).sum() == 2
    found = extensor.fig15_findings(frame)
    few = frame[frame.nnz == 40].sort_values("dim")
    share = (few.glb_load_cycles + few.mem_load_cycles + few.writeback_cycles) / few.cycles
    assert found["transfer_share_largest_dim"] == pytest.approx(share.iloc[-1])
    assert found["transfer_share_grows"] == bool(share.iloc[-1] > share.iloc[0])
    table = frame.pivot_table(index="dim", columns="nnz", values="cycles")
    assert found["more_nnz_more_cycles"] == bool((table[120] > table[40]).all())


@pytest.mark.parametrize("kwargs", [{"mem_tile": 0}, {"glb_tile": 0}, {"glb_bandwidth": 0},
                                    {"glb_latency": -1}])
def test_bad_memory_model(kwargs):
    with pytest.raises(InputError):
        MemoryModel(**kwargs)


def test_bad_tiling_input():
    with pytest.raises(InputError, match="tile size 0"):
        tiling.tile_matrix(sp.eye(4), 0)
    with pytest.raises(InputError, match="inner dimensions"):
        extensor.tiled_spmspm(sp.eye(4), sp.eye(5))
    with pytest.raises(InputError, match="do not fit"):
        extensor.fixed_nnz_matrix(3, 10)


def test_cli_tiled(capsys):
    assert main(["sam", "tiled", "--dim", "64", "--nnz", "100", "--mem-tile", "16",
                 "--glb-tile", "2", "--json"]) == 0
    import json
    out = json.loads(capsys.readouterr().out)
    assert out["matches_scipy"] and out["glb_pairs"] > 1
    for argv in (["--mem-tile", "0"], ["--glb-tile", "0"]):
        assert main(["sam", "tiled", "--dim", "64", "--nnz", "100", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "tile size 0" in err[0]
