"""ParallelFor modules (toy-mt-framework's ``nRanges``): one module's time in parallel pieces."""

import pytest

from labkit import InputError
from labkit.lab import find_data
from labkit.scheduler.hep.modules import ONE_AT_A_TIME, REENTRANT, Filter, Producer
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.runtime import make_runtime


def run(module, *, cores, inflight=1, events=1, backend="sim", scale=1.0):
    runtime = make_runtime(backend, cores, time_scale=scale)
    result = EventProcessor(runtime, [module], [Path("p", [module.label])],
                            inflight=inflight).run(events)
    return result


@pytest.mark.parametrize("n, cores, wait, expected", [
    (4, 4, "busy", 0.25),   # four pieces on four cores
    (4, 2, "busy", 0.5),    # two cores: two rounds of pieces
    (1, 4, "busy", 1.0),    # one range: the plain module
    (8, 1, "sleep", 0.125),  # sleeping pieces hold no core
    (None, 4, "busy", 1.0),  # not a ParallelFor module
])
def test_event_time_is_the_split_time(n, cores, wait, expected):
    module = Filter("tracking", times=[1.0], wait=wait, n_ranges=n)
    assert run(module, cores=cores).sim_time_s == pytest.approx(expected)


def test_pieces_are_traced_as_ranges_of_the_module():
    result = run(Filter("tracking", times=[1.0], n_ranges=4), cores=4)
    ranges = result.trace[result.trace.task == "range"]
    assert len(ranges) == 4 and set(ranges.module) == {"tracking"}
    assert ranges.end.max() - ranges.start.min() == pytest.approx(0.25)


def test_a_one_at_a_time_parallel_for_keeps_its_queue_while_its_pieces_run():
    """Two events, eight cores: a re-entrant module overlaps both events' pieces; a
    one-event-at-a-time module starts the second event's pieces after the first's."""
    free = run(Filter("t", times=[1.0], n_ranges=4, thread_type=REENTRANT), cores=8,
               inflight=2, events=2)
    held = run(Filter("t", times=[1.0], n_ranges=4, thread_type=ONE_AT_A_TIME), cores=8,
               inflight=2, events=2)
    assert free.sim_time_s == pytest.approx(0.25)
    assert held.sim_time_s == pytest.approx(0.5)
    ranges = held.trace[held.trace.task == "range"]
    first, second = (ranges[ranges.event == e] for e in sorted(set(ranges.event)))
    assert second.start.min() >= first.end.max() - 1e-12


def test_threads_backend_holds_the_queue_too():
    held = run(Filter("t", times=[1.0], wait="sleep", n_ranges=4, thread_type=ONE_AT_A_TIME),
               cores=4, inflight=2, events=2, backend="threads", scale=0.04)
    ranges = held.trace[held.trace.task == "range"]
    first, second = (ranges[ranges.event == e] for e in sorted(set(ranges.event)))
    assert second.start.min() >= first.end.max() - 1e-3


def test_a_parallel_for_producer_feeds_its_dependents():
    producer = Producer("P", times=[1.0], n_ranges=2)
    consumer = Filter("F", get=["P"], times=[0.5])
    runtime = make_runtime("sim", 2)
    result = EventProcessor(runtime, [producer, consumer], [Path("p", ["F"])]).run(1)
    assert result.sim_time_s == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_bad_n_ranges_name_the_module(bad):
    with pytest.raises(InputError, match="module 'x': nRanges must be a positive integer"):
        Filter("x", times=[1.0], n_ranges=bad)


def test_the_real_imt_configuration_reads_and_runs():
    from labkit.scheduler.hep.config import load

    path = find_data("cms/reco_minbias_sleeping_imt.config")
    if path is None:
        pytest.skip("CMS data not available")
    config = load(path)
    split = [m for m in config.modules if m.n_ranges]
    assert [(m.label, m.n_ranges) for m in split] == [("output", 100)]
    runtime = make_runtime("sim", 16, record=False)
    result = EventProcessor(runtime, config.modules, config.paths, inflight=4).run(20)
    assert len(result.events) == 20 and (result.events.status == "ok").all()
