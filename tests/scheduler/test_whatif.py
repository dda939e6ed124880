"""The scheduler dashboard's callbacks, without a browser."""

import pytest

from labkit import InputError
from labkit.scheduler.hep import whatif
from labkit.scheduler.hep.examples import synthetic


@pytest.fixture(scope="module")
def config():
    return synthetic(producers=30, layers=5, mean_time=0.01, sigma=0.5, seed=3)


def test_unchanged_what_if_matches_the_configuration(config):
    frame = whatif.compute(config, cores=4, inflight=4, events=10)
    assert list(frame.columns) == ["curve", "inflight", "throughput", "speedup"]
    base = frame[frame.curve == "as configured"].set_index("inflight")
    same = frame[frame.curve == "what if"].set_index("inflight")
    assert list(base.index) == [1, 2, 4]
    assert (base.throughput == same.throughput).all()
    assert base.speedup.iloc[-1] > base.speedup.iloc[0]  # more events in flight use more cores


def test_faster_slowest_modules_raise_throughput(config):
    frame = whatif.compute(config, cores=4, inflight=2, slowest=5, speedup=4.0, events=10)
    base = frame[frame.curve == "as configured"].throughput.to_numpy()
    faster = frame[frame.curve == "what if"].throughput.to_numpy()
    assert (faster > base).all()


def test_scale_slowest_divides_only_the_slowest(config):
    scaled = whatif.scale_slowest(config, 2, 2.0)
    mean = {m.label: sum(m.times) / m.n_times for m in config.modules}
    slowest = sorted(mean, key=mean.get, reverse=True)[:2]
    for before, after in zip(config.modules, scaled.modules):
        factor = 2.0 if before.label in slowest else 1.0
        assert after.times[0] == pytest.approx(before.times[0] / factor)


def test_progress_is_reported_per_simulation(config):
    calls = []
    whatif.compute(config, cores=2, inflight=2, events=5,
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("kwargs,message", [
    ({"inflight": 0}, "events in flight"),
    ({"speedup": 0.5, "slowest": 1}, "speedup must be >= 1"),
    ({"unsafe_share": 0.8, "one_at_a_time_share": 0.5}, "sum to at most 1"),
])
def test_impossible_settings_are_input_errors(config, kwargs, message):
    with pytest.raises(InputError, match=message):
        whatif.compute(config, cores=2, events=5, **kwargs)


def test_chart_draws_both_curves(config):
    frame = whatif.compute(config, cores=2, inflight=2, events=5)
    spec = whatif.chart(frame).to_dict()
    assert "What if?" in str(spec)
