"""SPECFEM element kernel: every variant equals numpy's einsum; the table is well formed."""

import numpy as np
import pytest

from labkit import InputError
from labkit.smm import specfem


@pytest.fixture(scope="module")
def element():
    return specfem.Element(7, seed=3)


@pytest.mark.parametrize("variant", specfem.VARIANTS)
def test_variant_matches_numpy(element, variant):
    got = specfem.run(variant, element, threads=2)
    np.testing.assert_allclose(got, specfem.reference(element), rtol=1e-11, atol=1e-11)


def test_reference_is_the_stiffness_operator():
    """Hand check on one element: a constant field has zero gradient when the rows of
    hprime sum to zero, so the result vanishes."""
    el = specfem.Element(1)
    el.hprime -= el.hprime.mean(axis=1, keepdims=True)
    el.u[:] = 2.5
    assert np.abs(specfem.reference(el)).max() < 1e-12


def test_table_and_published():
    frame = specfem.table(elements=5, repeat=2, threads=1, progress=False)
    assert list(frame["variant"]) == list(specfem.VARIANTS)
    assert frame["agrees"].all()
    assert frame.loc[frame["variant"] == "deville", "speedup_pct"].iloc[0] == 0.0
    assert frame["gflops"].to_numpy() == pytest.approx(5 * 22500 / frame["median_s"].to_numpy() / 1e9)
    paper = specfem.published()
    hsw = paper[(paper["machine"].str.startswith("Haswell")) & (paper["threads"] == 1)].set_index("variant")
    assert hsw.loc["static", "speedup_pct"] == pytest.approx(-11.93, abs=0.01)
    assert hsw.loc["unrolled", "speedup_pct"] == pytest.approx(-34.73, abs=0.01)


def test_bad_input():
    with pytest.raises(InputError, match="elements"):
        specfem.Element(0)
    with pytest.raises(InputError, match="variant"):
        specfem.run("fastest", specfem.Element(1))
    with pytest.raises(InputError, match="repeat"):
        specfem.table(elements=2, repeat=0, progress=False)
