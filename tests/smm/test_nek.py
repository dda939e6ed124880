"""NEK stpm and rstr: every strategy equals numpy; the reference equals a direct loop."""

import numpy as np
import pytest

from labkit import InputError
from labkit.smm import nek


@pytest.mark.parametrize("strategy", nek.STRATEGIES)
def test_stpm(strategy):
    p = nek.Stpm(4, 5, 3, 6, seed=1)
    np.testing.assert_allclose(p.run(strategy, threads=2), p.reference(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("strategy", nek.STRATEGIES)
def test_rstr(strategy):
    p = nek.Rstr(5, 4, 3, 3, 2, 4, 6, seed=2)
    np.testing.assert_allclose(p.run(strategy, threads=2), p.reference(), rtol=1e-11, atol=1e-11)


def test_references_against_explicit_sums():
    p = nek.Stpm(3, 2, 2, 1)
    u = p.u[0].reshape(2, 2, 3)            # [z, y, x]
    c = np.zeros_like(u)
    for z in range(2):
        for y in range(2):
            for x in range(3):
                t1 = sum(p.dx[x, a] * u[z, y, a] for a in range(3))
                t2 = sum(u[z, a, x] * p.dy[a, y] for a in range(2))
                t3 = sum(u[a, y, x] * p.dz[a, z] for a in range(2))
                i = x + 3 * y + 6 * z
                c[z, y, x] = p.g1[0, i] * t1 + p.g2[0, i] * t2 + p.g3[0, i] * t3
    np.testing.assert_allclose(p.reference()[0], c.ravel(), rtol=1e-12)
    r = nek.Rstr(2, 2, 2, 1, 1, 1, 1)
    want = np.einsum("a,b,c,cba->", r.ax[0], r.ay[0], r.az[0], r.u[0].reshape(2, 2, 2))
    assert r.reference()[0, 0] == pytest.approx(want)


def test_sample_entry_points_and_sweep():
    row = nek.stpm(4, 4, 4, "labkit", 5, repeat=1)
    assert row["agrees"] and row["gflops"] > 0
    row = nek.rstr(4, 4, 4, 3, 3, 3, "loops", 5, repeat=1)
    assert row["agrees"]
    frame = nek.sweep([4], elements=3, repeat=1, progress=False)
    assert len(frame) == 6 and frame["agrees"].all()


def test_bad_input():
    with pytest.raises(InputError, match="size"):
        nek.Stpm(4, 4, 4, 0)
    with pytest.raises(InputError, match="mm"):
        nek.Rstr(4, 4, 4, 0, 2, 2, 3)
    with pytest.raises(InputError, match="strategy"):
        nek.Stpm(2, 2, 2, 1).run("cuda")
