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
