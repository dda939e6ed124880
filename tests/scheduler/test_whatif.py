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


@pytest.fixture(scope="module")
def mixed():
    """A configuration whose modules are of all three thread types."""
    from dataclasses import replace

    from labkit.scheduler.hep.config import _copy_module
    from labkit.scheduler.hep.modules import ONE_AT_A_TIME, THREAD_TYPES, UNSAFE

    base = synthetic(producers=24, layers=4, mean_time=0.01, sigma=0.5, seed=5)
    kinds = [UNSAFE, ONE_AT_A_TIME, THREAD_TYPES[0]]
    modules = [_copy_module(m, thread_type=kinds[i % 3]) for i, m in enumerate(base.modules)]
    return replace(base, modules=modules)


def test_zero_shares_keep_every_configured_thread_type(mixed):
    same = whatif.mix_safety(mixed, 0.0, 0.0)
    assert [m.thread_type for m in same.modules] == [m.thread_type for m in mixed.modules]


def test_unchosen_modules_keep_their_thread_type(mixed):
    from labkit.scheduler.hep.modules import UNSAFE

    changed = whatif.mix_safety(mixed, 0.3, 0.0, seed=1)
    kept = [(a.thread_type, b.thread_type) for a, b in zip(mixed.modules, changed.modules)
            if b.thread_type != UNSAFE]
    assert kept and all(before == after for before, after in kept)


def test_zero_shares_what_if_equals_the_configuration_with_unsafe_modules(mixed):
    frame = whatif.compute(mixed, cores=4, inflight=4, events=10)
    base = frame[frame.curve == "as configured"].throughput.to_numpy()
    same = frame[frame.curve == "what if"].throughput.to_numpy()
    assert (base == same).all()


def test_real_minbias_unsafe_modules_survive_zero_shares():
    from labkit.lab import find_data
    from labkit.scheduler.hep.config import load

    path = find_data("cms/reco_minbias_sleeping.config")
    if path is None:
        pytest.skip("CMS data not available")
    config = load(path)
    same = whatif.mix_safety(config, 0.0, 0.0)
    assert sum(m.thread_type == "ThreadUnsafe" for m in same.modules) == 4
    assert [m.thread_type for m in same.modules] == [m.thread_type for m in config.modules]
