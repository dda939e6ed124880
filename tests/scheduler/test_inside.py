"""Parallelizing inside modules: what-if ParallelFor families and the real _imt pair."""

import pytest

from labkit import InputError
from labkit.scheduler.hep.config import Configuration
from labkit.scheduler.hep.inside import imt_comparison, inside_gain, parallelize
from labkit.scheduler.hep.modules import OutputModule, Producer
from labkit.scheduler.hep.paths import Path


def chain():
    """a (1 s) -> initialStepTracks (4 s) -> output (0 s): 5 s of work per event."""
    modules = [Producer("a", times=[1.0]), Producer("initialStepTracks", get=["a"], times=[4.0]),
               OutputModule("output", get=["initialStepTracks"], times=[0.0])]
    return Configuration("chain", modules, [Path("o", ["output"])], events=10, inflight=1,
                         busy_wait_scale=2.2e7)


def test_parallelize_splits_only_the_family():
    split = parallelize(chain(), ["tracking"], 4)
    assert {m.label: m.n_ranges for m in split.modules} == {
        "a": None, "initialStepTracks": 4, "output": None}


def test_gain_by_hand():
    # n pieces on 4 cores: 1 + 4 / min(n, 4) seconds per event instead of 5
    frame = inside_gain(chain(), ranges=(1, 2, 4, 8), cores=4).set_index("n_ranges")
    expected = {1: 5 / 5, 2: 5 / 3, 4: 5 / 2, 8: 5 / 2}
    for n, speedup in expected.items():
        assert frame.loc[n, "speedup_vs_serial"] == pytest.approx(speedup)


def test_a_family_absent_from_the_configuration_is_refused():
    with pytest.raises(InputError, match="no module of \\['photon conversions'\\]"):
        parallelize(chain(), ["photon conversions"], 4)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_n_ranges(bad):
    with pytest.raises(InputError, match="nRanges must be a positive integer"):
        parallelize(chain(), ["tracking"], bad)


def test_imt_comparison_rows():
    plain = chain()
    frame = imt_comparison({"plain": plain, "split": parallelize(plain, ["tracking"], 4)},
                           inflights=(1, 2), cores=4)
    assert list(frame.columns) == ["config", "inflight", "throughput", "speedup_vs_serial"]
    one = frame[frame.inflight == 1].set_index("config").speedup_vs_serial
    assert one["plain"] == pytest.approx(1.0) and one["split"] == pytest.approx(2.5)
