"""The tiled GEMM against numpy on the same operands: every BLAS argument, edge tiles,
threads, and bad input refused before any work."""

import json

import numpy as np
import pytest

from labkit.cli import main
from labkit.lab.errors import InputError
from labkit.smm.tiles import GemmTiles
from labkit.smm.xgemm import compare_blas, numpy_view, random_operands, summary, xgemm

SMALL = GemmTiles(mc=48, kc=8, nc=20)   # the default micro-tile, many ragged cache tiles


def _case(m, n, k, transa, transb, pad, dtype="float64"):
    rows_a, cols_a = (k, m) if transa == "T" else (m, k)
    rows_b, cols_b = (n, k) if transb == "T" else (k, n)
    shapes = ((rows_a + pad, cols_a), (rows_b + 2 * pad, cols_b), (m + 3 * pad, n))
    a, b, c = random_operands(shapes, dtype, seed=m + n + k)
    return a, b, c, [s[0] for s in shapes], rows_a, rows_b


@pytest.mark.parametrize("transa", "NT")
@pytest.mark.parametrize("transb", "NT")
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (-0.75, 1.0), (2.5, -0.5)])
def test_matches_numpy_every_argument(transa, transb, alpha, beta):
    m, n, k = 37, 29, 41
    a, b, c, (lda, ldb, ldc), rows_a, rows_b = _case(m, n, k, transa, transb, pad=3)
    before = c.copy(order="F")
    want = alpha * (numpy_view(a, rows_a, transa) @ numpy_view(b, rows_b, transb)) + beta * before[:m]
    xgemm(m, n, k, a, lda, b, ldb, c, ldc, alpha, beta, transa, transb, threads=2, tiles=SMALL)
    np.testing.assert_allclose(c[:m], want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(c[m:], before[m:])          # rows between m and ldc untouched


@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (16, 12, 8), (17, 13, 9), (5, 40, 3), (64, 3, 33)])
@pytest.mark.parametrize("threads", [1, 2])
def test_edge_tiles_and_threads(m, n, k, threads):
    a, b, c, (lda, ldb, ldc), _, _ = _case(m, n, k, "N", "N", pad=0)
    want = a @ b
    xgemm(m, n, k, a, lda, b, ldb, c, ldc, 1.0, 0.0, threads=threads, tiles=SMALL)
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-12)


def test_default_tiles_on_a_big_product_and_float32():
    frame, error = compare_blas(300, 200, 257, threads=2, repeat=1)
    assert error < 1e-13
    assert set(frame.side) == {"labkit", "numpy"} and (frame.seconds > 0).all()
    frame, error = compare_blas(65, 70, 300, threads=1, repeat=1, dtype="float32")
    assert error < 1e-5


def test_beta_zero_ignores_nan_in_c():
    a, b, c, (lda, ldb, ldc), _, _ = _case(20, 20, 20, "N", "N", pad=0)
    c[:] = np.nan
    xgemm(20, 20, 20, a, lda, b, ldb, c, ldc, 1.0, 0.0, tiles=SMALL)
    np.testing.assert_allclose(c, a @ b, rtol=1e-12)


@pytest.mark.parametrize("change, word", [
    (dict(m=0), "m must be"), (dict(k=-2), "k must be"), (dict(lda=4), "lda=4"),
    (dict(ldc=9), "ldc=9"), (dict(transa="X"), "transa"), (dict(alpha=float("nan")), "alpha"),
    (dict(m=11), "a holds"), (dict(beta="x"), "beta"),
])
def test_bad_arguments(change, word):
    a, b, c, (lda, ldb, ldc), _, _ = _case(10, 10, 10, "N", "N", pad=0)
    args = dict(m=10, n=10, k=10, a=a, lda=lda, b=b, ldb=ldb, c=c, ldc=ldc)
    args.update(change)
    if "m" in change and change["m"] == 11:
        args.update(lda=11, ldc=11)
    with pytest.raises(InputError, match=word):
        xgemm(**args)


def test_overlap_and_layout_refused():
    a, b, c, (lda, ldb, ldc), _, _ = _case(8, 8, 8, "N", "N", pad=0)
    with pytest.raises(InputError, match="overlaps"):
        xgemm(8, 8, 8, a, lda, b, ldb, a, 8)
    with pytest.raises(InputError, match="Fortran"):
        xgemm(8, 8, 8, np.ascontiguousarray(a), lda, b, ldb, c, ldc)


def test_cli_json(capsys):
    assert main(["smm", "xgemm", "--mnk", "200,150,100", "--lda", "210", "--transb", "T",
                 "--alpha", "2", "--beta", "0.5", "--threads", "2", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_rel_error"] < 1e-13 and out["labkit_gflops"] > 0 and out["ratio"] > 0


@pytest.mark.parametrize("argv, word", [
    (["--mnk", "200,0,100"], "n must be"),
    (["--mnk", "200,100"], "--mnk"),
    (["--mnk", "200,100,100", "--ldb", "50"], "ldb=50"),
    (["--mnk", "200,100,100", "--ldc", "0"], "--ldc: must be"),
    (["--mnk", "200,100,100", "--transa", "Q"], "transa"),
    (["--mnk", "32768,32768,32768"], "of memory; the limit is"),
    (["--mnk", "9,9,9", "--lda", "10000000000000"], "of memory; the limit is"),
])
def test_cli_bad_input_exit_2(argv, word, capsys):
    assert main(["smm", "xgemm", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err and "Traceback" not in err


def test_summary_ratio_is_numpy_over_labkit():
    import pandas as pd

    frame = pd.DataFrame([{"m": 4, "n": 4, "k": 4, "threads": 1, "run": r, "side": s,
                           "seconds": t, "gflops": 128 / t / 1e9}
                          for r, (tl, tn) in enumerate([(2.0, 1.0), (1.0, 1.0), (1.0, 3.0)])
                          for s, t in (("labkit", tl), ("numpy", tn))])
    out = summary(frame, 0.0)
    assert out["ratio"] == 1.0 and out["ratio_min"] == 0.5 and out["ratio_max"] == 3.0
