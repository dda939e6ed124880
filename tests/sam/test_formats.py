import numpy as np
import pytest
import scipy.sparse as sp
import sparse

from labkit import InputError
from labkit.lab import locate
from labkit.sam import formats as F
from labkit.sam.mtx import load, read_mtx, read_tns


@pytest.mark.parametrize("fmt", ["dd", "dc", "cd", "cc", "cs", "bc", "cb", "db", "bb"])
@pytest.mark.parametrize("mode_order", [(0, 1), (1, 0)])
def test_matrix_round_trip_every_format(fmt, mode_order):
    rng = np.random.default_rng(3)
    a = rng.random((6, 9)) * (rng.random((6, 9)) < 0.3)
    t = F.from_numpy(a, fmt, mode_order)
    np.testing.assert_array_equal(t.to_numpy(), a)
    np.testing.assert_array_equal(t.to_scipy().toarray(), a)


@pytest.mark.parametrize("fmt", ["ccc", "dcd", "css", "bcc"])
def test_three_tensor_round_trip(fmt):
    x = sparse.random((4, 5, 6), density=0.2, random_state=1).todense()
    for mo in [(0, 1, 2), (2, 0, 1)]:
        if fmt[-1] == "s" and mo != (0, 1, 2):
            continue
        np.testing.assert_allclose(F.from_numpy(x, fmt, mo).to_numpy(), x)


def test_compressed_arrays_by_hand():
    a = np.array([[0, 5, 0, 7], [0, 0, 0, 0], [1, 0, 2, 0]], dtype=float)
    t = F.from_numpy(a, "dc")
    assert t.levels[1].seg.tolist() == [0, 2, 2, 4]
    assert t.levels[1].crd.tolist() == [1, 3, 0, 2]
    assert t.vals.tolist() == [5, 7, 1, 2]
    col = F.from_numpy(a, "cc", (1, 0))   # column-major (CSC-like)
    assert col.levels[0].crd.tolist() == [0, 1, 2, 3]
    assert col.levels[1].crd.tolist() == [2, 0, 2, 0]
    coo = F.from_numpy(a, "cs")
    assert coo.levels[0].crd.tolist() == [0, 0, 2, 2] and coo.levels[1].crd.tolist() == [1, 3, 0, 2]
    bv = F.from_numpy(a, "db")
    assert bv.levels[1].bits[:, 0].tolist() == [0b1010, 0, 0b101]
    assert set(t.describe()["array"]) == {"seg", "crd", "vals"}


def test_conversions_from_scipy_and_pydata():
    m = sp.random(7, 5, density=0.3, random_state=0, format="csr")
    np.testing.assert_allclose(F.as_tensor(m, "dc").to_numpy(), m.toarray())
    s = sparse.COO.from_scipy_sparse(m)
    np.testing.assert_allclose(F.as_tensor(s, "cc", (1, 0)).to_sparse().todense(), m.toarray())


def test_empty_tensor_and_duplicates():
    t = F.from_coo(np.zeros((0, 2)), [], (3, 4), "cc")
    assert t.levels[0].seg.tolist() == [0, 0] and t.to_numpy().sum() == 0
    d = F.from_coo([[1, 1], [1, 1]], [2.0, 3.0], (2, 2), "cc")
    assert d.to_numpy()[1, 1] == 5.0


def test_bad_formats_refused():
    a = np.eye(3)
    with pytest.raises(InputError, match="needs 2 level letters"):
        F.from_numpy(a, "c")
    with pytest.raises(InputError, match="unknown level format"):
        F.from_numpy(a, "cx")
    with pytest.raises(InputError, match="singleton"):
        F.from_numpy(a, "sc")
    with pytest.raises(InputError, match="permutation"):
        F.from_numpy(a, "cc", (0, 0))


def test_mtx_real_symmetric_is_expanded():
    coords, vals, shape = read_mtx(locate("suitesparse/GD97_b.mtx"))
    m = sp.coo_matrix((vals, coords.T), shape=shape).toarray()
    np.testing.assert_array_equal(m, m.T)
    lines = [ln for ln in open(locate("suitesparse/GD97_b.mtx")) if not ln.startswith("%")][1:]
    off = sum(1 for ln in lines if ln.split()[0] != ln.split()[1])
    assert len(vals) == len(lines) + off


def test_mtx_pattern_reads_ones_and_general_keeps_shape():
    coords, vals, shape = read_mtx(locate("suitesparse/ash219.mtx"))
    assert shape == (219, 85) and len(vals) == 438 and set(vals) == {1.0}
    t = load(locate("suitesparse/lp_afiro.mtx"), "dc")
    assert t.shape == (27, 51) and t.nnz == 102


def test_mtx_complex_and_malformed_refused(tmp_path):
    with pytest.raises(InputError, match="complex"):
        read_mtx(locate("suitesparse/w156.mtx"))
    bad = tmp_path / "bad.mtx"
    bad.write_text("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n")
    with pytest.raises(InputError, match="header says 2"):
        read_mtx(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_mtx(tmp_path / "missing.mtx")
    (tmp_path / "x.mtx").write_text("hello\n")
    with pytest.raises(InputError, match="header"):
        read_mtx(tmp_path / "x.mtx")


def test_tns_reader(tmp_path):
    f = tmp_path / "t.tns"
    f.write_text("1 1 1 2.0\n2 3 1 4.5\n")
    coords, vals, shape = read_tns(f)
    assert shape == (2, 3, 1) and coords.tolist() == [[0, 0, 0], [1, 2, 0]]
    assert load(f, "ccc").to_numpy()[1, 2, 0] == 4.5


def test_absurd_dense_levels_refused():
    with pytest.raises(InputError, match="dense level"):
        F.from_coo([[0, 0]], [1.0], (10**6, 10**6), "dd")


def test_suitesparse_loads_what_the_locator_finds_and_names_the_rest():
    from labkit.sam.mtx import suitesparse

    found, missing = suitesparse(["bcsstm02", "GD97_b", "no_such_matrix"])
    assert set(found) == {"bcsstm02", "GD97_b"} and missing == ["no_such_matrix"]
    assert found["GD97_b"].nnz == load(locate("suitesparse/GD97_b.mtx")).nnz
    assert found["bcsstm02"].nnz < found["GD97_b"].nnz
    small, _ = suitesparse(["bcsstm02", "GD97_b"], max_nnz=found["bcsstm02"].nnz)
    assert set(small) == {"bcsstm02"}
    for bad in (0, -3, 2.5, True):
        with pytest.raises(InputError, match="max_nnz"):
            suitesparse(["bcsstm02"], max_nnz=bad)
