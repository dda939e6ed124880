"""The paper-setting studies (Figs. 11-14) and their synthetic inputs."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from labkit import InputError
from labkit.sam import paper, synthetic


def test_uniform_pair_has_the_sparsity():
    b, c = synthetic.uniform_pair(2000, 0.975, seed=3)
    assert np.count_nonzero(b) == np.count_nonzero(c) == 50
    assert not np.array_equal(b != 0, c != 0)


def test_runs_interleave_by_hand():
    b, c = synthetic.runs_pair(40, 3, 10)
    assert set(np.flatnonzero(b)) == {0, 1, 2, 3, 7, 8, 9, 10, 11, 15}
    assert set(np.flatnonzero(c)) == {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}


def test_blocks_have_the_length_and_overlap_partly():
    b, c = synthetic.blocks_pair(2000, 50, 400, seed=2)
    assert np.count_nonzero(b) == np.count_nonzero(c) == 400
    edges = np.diff(np.concatenate([[0], (b != 0).astype(int), [0]]))
    lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    assert list(lengths) == [50] * 8
    assert 0 < np.count_nonzero(b * c) <= 400


def test_split_places_coordinates():
    v = np.arange(1.0, 11.0)
    m = synthetic.split(v, 4)
    assert m.shape == (3, 4) and m[2, 1] == 10.0 and m[2, 2] == 0.0
    assert np.array_equal(m.ravel()[:10], v)


@pytest.mark.parametrize("call", [
    lambda: synthetic.uniform_pair(100, 1.5),
    lambda: synthetic.runs_pair(100, 0, 10),
    lambda: synthetic.runs_pair(20, 5, 30),
    lambda: synthetic.blocks_pair(100, 40, 400),
    lambda: synthetic.split(np.ones(4), 0),
    lambda: paper.vector_pair("zigzag", 1, 100, 10),
])
def test_bad_synthetic_settings(call):
    with pytest.raises(InputError):
        call()


def test_vector_formats_small_grid_matches_gold_and_best_split_is_minimal():
    f = paper.vector_formats({"uniform": (0.9,), "runs": (20,)}, (16, 64), n=400, nnz=60)
    assert f.matches_gold.all() and len(f) == 2 * (3 + 3 * 2)
    best = paper.best_split(f)
    split = f[f.format == "bittree"].groupby(["pattern", "setting"]).cycles.min()
    assert (best[best.format == "bittree"].set_index(["pattern", "setting"]).cycles == split).all()
    dense = f[(f.format == "uncompressed")].cycles
    assert (dense >= 400).all()                 # an uncompressed scan visits every coordinate


def test_findings_by_hand():
    orders = pd.DataFrame({"order": ["ijk", "jik", "ikj", "jki", "kij", "kji"],
                           "cycles": [100, 90, 10, 12, 20, 5], "matches_gold": True})
    f12 = paper.fig12_findings(orders)
    assert f12["inner_product_slowest"] and f12["fastest_order"] == "kji"
    assert f12["inner_over_fastest"] == pytest.approx(18.0)
    orders.loc[4, "cycles"] = 95
    assert not paper.fig12_findings(orders)["inner_product_slowest"]
    fusion = pd.DataFrame({"K": [1, 1, 1], "variant": ["unfused", "coiteration", "locate"],
                           "cycles": [100, 50, 60], "matches_gold": True})
    f13 = paper.fig13_findings(fusion)
    assert f13["fused_beats_unfused"] and not f13["locate_no_slower"]
    assert f13["fused_speedup"] == {1: 2.0}


def test_dataflow_orders_and_fusion_run_the_paper_graphs_small():
    f = paper.dataflow_orders((20, 10), (10, 20), 0.8)
    assert list(f.order) == ["ijk", "jik", "ikj", "jki", "kij", "kji"] and f.matches_gold.all()
    g = paper.sddmm_fusion((1, 4), (20, 10), 0.8)
    assert g.matches_gold.all() and len(g) == 6


def test_pick_by_size():
    nnz = {f"m{k:02d}": k for k in range(20)}
    groups = paper.pick_by_size(nnz, 3)
    assert [m for m, g in groups.items() if g == "small"] == ["m00", "m01", "m02"]
    assert [m for m, g in groups.items() if g == "median"] == ["m09", "m10", "m11"]
    assert [m for m, g in groups.items() if g == "large"] == ["m17", "m18", "m19"]
    assert set(paper.pick_by_size({"a": 1, "b": 2, "c": 3}, 5).values()) == {"small", "median", "large"}


def test_stream_breakdown_by_hand():
    # rows hold 2, 0 and 1 nonzeros: Bi streams rows 0 and 2, Bj streams 3 coordinates
    b = sp.coo_matrix(([1.0, 2.0, 3.0], ([0, 0, 2], [1, 3, 0])), shape=(3, 4))
    f = paper.stream_breakdown({"m": b})
    counts = f.pivot_table(index="stream", columns="kind", values="count")
    assert counts.loc["Bi", ["data", "stop", "done"]].tolist() == [2, 1, 1]
    assert counts.loc["Bj", ["data", "stop", "done"]].tolist() == [3, 2, 1]
    cycles = f.cycles.iloc[0]
    assert counts.loc["Bi", "idle"] == cycles - 4
    found = paper.fig14_findings(f)
    assert found["inner_data_median"] == pytest.approx(3 / counts.loc["Bj"].sum())
