"""GemmSpec validation: every bad argument is an InputError that names it."""

import numpy as np
import pytest

from labkit import InputError
from labkit.smm.spec import make_spec, parse_mnk


def test_defaults_follow_blas_leading_dimensions():
    s = make_spec(5, 25, 5)
    assert (s.lda, s.ldb, s.ldc) == (5, 5, 5)
    t = make_spec(4, 3, 2, transa="t", transb="T")
    assert (t.lda, t.ldb, t.ldc) == (2, 3, 4)
    assert t.a_shape == (2, 4) and t.b_shape == (3, 2)
    assert s.flops == 2 * 5 * 25 * 5 and s.pseudo_flops == 2 * 5 * 25 * 5 - 5 * 25


@pytest.mark.parametrize("kwargs, word", [
    (dict(m=0, n=1, k=1), "m"),
    (dict(m=1, n=-2, k=1), "n"),
    (dict(m=1, n=1, k=1.5), "k"),
    (dict(m=4, n=1, k=1, lda=3), "lda"),
    (dict(m=4, n=2, k=3, ldb=2), "ldb"),
    (dict(m=4, n=1, k=1, ldc=1), "ldc"),
    (dict(m=1, n=1, k=1, alpha=2.0), "alpha"),
    (dict(m=1, n=1, k=1, beta=0.5), "beta"),
    (dict(m=1, n=1, k=1, transa="C"), "transa"),
    (dict(m=1, n=1, k=1, dtype="int32"), "dtype"),
    (dict(m=1, n=1, k=1, dtype="complex128"), "dtype"),
    (dict(m=1, n=1, k=1, prefetch="all"), "prefetch"),
])
def test_bad_arguments_are_named(kwargs, word):
    with pytest.raises(InputError, match=word):
        make_spec(**kwargs)


def test_dtype_spellings():
    assert make_spec(1, 1, 1, dtype=np.float32).dtype == "float32"
    assert make_spec(1, 1, 1, dtype="f8").dtype == "float64"


def test_parse_mnk():
    assert parse_mnk("5,25,5") == (5, 25, 5)
    assert parse_mnk("13x5x7") == (13, 5, 7)
    for bad in ("5,5", "a,b,c", "5,0,5"):
        with pytest.raises(InputError):
            parse_mnk(bad)
