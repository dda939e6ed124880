"""The compiled Eigen/Blaze peers' plumbing: the checksum their results are checked
against, what happens when a peer is not built, and (where built) a run that agrees."""

import numpy as np
import pytest

from labkit.lab.errors import InputError
from labkit.smm import peers


def test_last_checksum_by_hand():
    assert peers.last_checksum(1, 1, 1, 1) == pytest.approx(0.25)
    assert peers.last_checksum(1, 1, 1, 2) == pytest.approx((1 / 17 - 0.5) * (1 / 13 - 0.5))
    a = (np.arange(6, 12) % 17 / 17 - 0.5).reshape(3, 2).T       # 2x3, second item
    b = (np.arange(12, 24) % 13 / 13 - 0.5).reshape(4, 3).T      # 3x4, second item
    assert peers.last_checksum(2, 4, 3, 2) == pytest.approx((a @ b).sum())


def test_missing_peer_and_bad_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(peers, "folder", lambda: tmp_path)
    assert peers.built("eigen") is None
    with pytest.raises(InputError, match="not built"):
        peers.run("eigen", 5, 5, 5, 10)
    with pytest.raises(InputError, match="peer must be"):
        peers.built("armadillo")
    with pytest.raises(InputError, match="headers"):
        peers.build("blaze", tmp_path)
    assert peers.compare([(5, 5, 5)], rounds=1, repeat=1).side.unique().tolist() == ["labkit"]


def test_ratios_are_medians_of_round_ratios():
    import pandas as pd

    frame = pd.DataFrame([{"shape": "5x5x5", "side": s, "round": r, "gflops": g, "agrees": True}
                          for r, (lab, eig) in enumerate([(2.0, 1.0), (3.0, 1.0), (1.0, 1.0)])
                          for s, g in (("labkit", lab), ("eigen", eig))])
    assert peers.ratios(frame, "eigen")["5x5x5"] == 2.0


@pytest.mark.skipif(peers.built("eigen") is None, reason="the Eigen peer is not built (CI builds no peers)")
def test_built_eigen_peer_agrees_with_numpy():
    out = peers.run("eigen", 13, 5, 7, 100, repeat=1)
    assert out["agrees"] and out["seconds"] > 0
