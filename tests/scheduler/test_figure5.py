"""Figure 5: the long low-concurrency periods named by the modules that run in them."""

import pytest

from labkit.scheduler.hep.analysis import dominant_family, family_of, typical_event
from labkit.scheduler.hep.config import Configuration
from labkit.scheduler.hep.figure5 import family_summary, periods_by_event
from labkit.scheduler.hep.modules import OutputModule, Producer
from labkit.scheduler.hep.paths import Path


@pytest.mark.parametrize("label, family", [
    ("pixelLessStepTrackCandidates", "tracking"), ("initialStepSeeds", "tracking"),
    ("generalTracks", "tracking"), ("convTrackCandidates", "photon conversions"),
    ("allConversions", "photon conversions"), ("muons1stStep", "other"),
    ("ecalRecHit", "other"),
])
def test_families_from_labels(label, family):
    assert family_of(label) == family


def test_dominant_family_by_hand():
    family, share = dominant_family({"initialStepTracks": 3.0, "generalTracks": 1.0,
                                     "convTrackCandidates": 2.0, "x": 2.0})
    assert family == "tracking" and share == pytest.approx(4.0 / 8.0)


def _two_period_config():
    """A burst of 6 parallel modules, a lone tracking module (4 s), another burst, a lone
    conversion module (3 s), a last burst; times per event index (event 1 has no
    conversion period: its conversion module takes 0.1 s)."""
    burst = lambda name, get: [Producer(f"{name}{i}", get=get, times=[0.5]) for i in range(6)]
    first = burst("a", [])
    tracking = Producer("initialStepTracks", get=[m.label for m in first], times=[4.0])
    second = burst("b", ["initialStepTracks"])
    conv = Producer("convTrackCandidates", get=[m.label for m in second], times=[3.0, 0.1])
    third = burst("c", ["convTrackCandidates"])
    out = OutputModule("output", get=[m.label for m in third], times=[0.0])
    modules = first + [tracking] + second + [conv] + third + [out]
    return Configuration("two-periods", modules, [Path("o", ["output"])], events=2, inflight=1,
                         busy_wait_scale=2.2e7)


def test_periods_are_named_in_time_order_with_their_share():
    frame = periods_by_event(_two_period_config(), events=[0, 1], cores=8, min_duration=1.0)
    first = frame[frame.event == 0]
    assert list(first.family) == ["tracking", "photon conversions"]
    assert list(first.duration) == pytest.approx([4.0, 3.0])
    assert first.event_s.iloc[0] == pytest.approx(0.5 * 3 + 4.0 + 3.0)
    assert list(first.share_of_event) == pytest.approx([4.0 / 8.5, 3.0 / 8.5])
    assert list(frame[frame.event == 1].family) == ["tracking"]
    summary = family_summary(frame).set_index("family")
    assert summary.loc["photon conversions", "which"] == [0]
    assert summary.loc["tracking", "events"] == 2


def test_typical_event_is_the_median_work_event(hipileup):
    import numpy as np

    from labkit.scheduler.hep.analysis import event_times

    _, times = event_times(hipileup, 100)
    work = times.sum(axis=1)
    distance = np.abs(work - np.median(work))
    assert distance[typical_event(hipileup)] == distance.min()


def test_paper_naming_holds_only_for_tracking_then_conversions():
    from labkit.scheduler.hep.figure5 import paper_naming

    frame = periods_by_event(_two_period_config(), events=[0, 1], cores=8, min_duration=1.0)
    summary = family_summary(frame)
    holds, note = paper_naming(0, frame[frame.event == 0], summary)
    assert holds and "as the paper names them" in note
    holds, note = paper_naming(1, frame[frame.event == 1], summary)
    assert not holds
    assert note == ("typical event 1 has tracking; a photon-conversion period appears in "
                    "events [0] of the cycle, taking 35% of their time on average")
