"""The HEP framework on the runtime: once-per-event producers, paths, thread safety,
run boundaries, failures, and timings checked against hand computations."""

import numpy as np
import pytest

from labkit import InputError
from labkit.scheduler.hep.examples import rejecting_example
from labkit.scheduler.hep.modules import (ONE_AT_A_TIME, UNSAFE, Filter, OutputModule,
                                          Producer, Source)
from labkit.scheduler.hep.paths import EndPath, Path
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.runtime import make_runtime


def run(modules, paths, end_paths=(), *, cores=4, inflight=1, events=3, backend="sim",
        **options):
    rt = make_runtime(backend, cores, **({"busy": lambda s: None} if backend == "threads" else {}))
    proc = EventProcessor(rt, modules, paths, end_paths, inflight=inflight, **options)
    return proc.run(events if isinstance(events, Source) else Source(events))


def modules_run(result):
    tr = result.trace
    return tr[tr.task == "module"]


def test_rejecting_example_latencies_match_hand_computation():
    config, ends = rejecting_example()
    res = run(config.modules, config.paths, ends, cores=8, events=2)
    # event 0: A .1 -> B .2 -> D .1 -> F3 .05, then O .1 on the EndPath = 0.55
    # event 1: A .1 -> C .25 -> D .1 -> F3 .05 -> O .1 = 0.60
    lat = (res.events.end - res.events.start).to_numpy()
    assert lat == pytest.approx([0.55, 0.60])
    assert res.events.status.tolist() == ["ok", "ok"]


def test_producer_once_per_event_only_when_needed_and_shared_filter_once():
    calls = []

    def track(label):
        return lambda event: calls.append((label, event.index)) or True

    mods = [Producer("P", times=[0.1], body=track("P")),
            Producer("unused", times=[5.0], body=track("unused")),
            Filter("F", get=["P"], times=[0.1], body=track("F")),
            Filter("G", get=["P"], times=[0.1], body=track("G"))]
    paths = [Path("p1", ["F", "G"]), Path("p2", ["F"]), Path("p3", ["G"])]
    res = run(mods, paths, events=3, inflight=2)
    for label in ("P", "F", "G"):
        assert sorted(e for l, e in calls if l == label) == [0, 1, 2]
    assert not [c for c in calls if c[0] == "unused"]
    assert res.module_runs == 9


def test_rejecting_filter_stops_its_path_and_endpath_waits_for_paths():
    mods = [Producer("P", times=[0.2]),
            Filter("F", times=[0.1], body=lambda e: e.index == 0),
            Producer("X", times=[1.0]),
            Filter("G", get=["X"], times=[0.1]),
            OutputModule("O", get=["P"], times=[0.1])]
    res = run(mods, [Path("p", ["F", "G"])], [EndPath("e", ["O"])], events=2, cores=4)
    runs = modules_run(res)
    assert sorted(runs[runs.module == "X"].event) == [0]  # event 1 rejected by F: no X
    for e in (0, 1):
        ev = runs[runs.event == e]
        o = ev[ev.module == "O"].start.iloc[0]
        assert o >= ev[ev.module != "O"].end.max() - 1e-12


@pytest.mark.parametrize("kind", [ONE_AT_A_TIME, UNSAFE])
def test_thread_safety_queues_serialise(kind):
    mods = [Producer("A", times=[1.0], thread_type=kind),
            Producer("B", times=[1.0], thread_type=kind),
            Filter("F", get=["A", "B"], times=[0.0])]
    res = run(mods, [Path("p", ["F"])], cores=8, inflight=4, events=4)
    runs = modules_run(res)
    groups = [runs] if kind == UNSAFE else [runs[runs.module == m] for m in "AB"]
    for g in groups:
        iv = sorted(zip(g.start, g.end))
        assert all(b[0] >= a[1] - 1e-12 for a, b in zip(iv, iv[1:]))
    # one-at-a-time: A and B overlap each other (4 events x 1 s each -> 4 s);
    # unsafe: all 8 runs share one queue -> 8 s
    assert res.sim_time_s == pytest.approx(4.0 if kind == ONE_AT_A_TIME else 8.0)


def test_reentrant_module_runs_events_concurrently():
    mods = [Filter("F", times=[1.0])]
    res = run(mods, [Path("p", ["F"])], cores=8, inflight=4, events=4)
    assert res.sim_time_s == pytest.approx(1.0)


def test_serial_output_limits_throughput():
    mods = [Producer("P", times=[1.0]), OutputModule("O", get=["P"], times=[0.5])]
    res = run(mods, [Path("o", ["O"])], cores=16, inflight=8, events=40, serial_io=True)
    assert res.throughput == pytest.approx(2.0, rel=0.05)  # 1 / 0.5 s per event


def test_run_boundaries():
    mods = [Filter("F", times=[1.0, 3.0])]
    res = run(mods, [Path("p", ["F"])], cores=8, inflight=4,
              events=Source(6, events_per_run=3))
    ev = res.events
    assert ev[ev.run == 1].start.min() >= ev[ev.run == 0].end.max() - 1e-12
    assert len(ev) == 6


@pytest.mark.parametrize("backend", ["sim", "threads"])
def test_module_exception_fails_only_that_event(backend):
    def body(event):
        if event.index == 2:
            raise ValueError("bad hit")
        return 1

    mods = [Producer("reco", times=[0.001], body=body),
            Producer("after", get=["reco"], times=[0.001]),
            Filter("F", get=["after"], times=[0.0])]
    res = run(mods, [Path("p", ["F"])], inflight=3, events=6, backend=backend, cores=2)
    ev = res.events.set_index("event")
    assert ev.loc[2, "status"] == "failed"
    assert "module 'reco' failed on event 2" in ev.loc[2, "error"]
    assert (ev.drop(index=2).status == "ok").all()
    assert len(ev) == 6


def test_bad_processor_arguments():
    with pytest.raises(InputError, match="events in flight"):
        EventProcessor(make_runtime("sim", 1), [], [], inflight=0)
    with pytest.raises(InputError, match="safety"):
        EventProcessor(make_runtime("sim", 1), [], [], safety="sometimes")
    with pytest.raises(InputError, match="events"):
        Source(0)


def test_sim_latency_equals_critical_path_with_unlimited_cores(hipileup):
    """Independent reference: longest path by memoised recursion over the raw graph."""
    import functools

    by = hipileup.by_label
    res = run(hipileup.modules, hipileup.paths, cores=10_000, events=3)
    for e in range(3):
        @functools.lru_cache(None)
        def finish(label):
            m = by[label]
            return m.work(e) + max((finish(d) for d in m.get), default=0.0)

        expected = max(finish(label) for p in hipileup.paths for label in p.labels)
        row = res.events[res.events.event == e].iloc[0]
        assert row.end - row.start == pytest.approx(expected)
    assert res.module_runs == 3 * 489  # two modules feed nothing a path needs


def test_threads_backend_runs_the_same_events():
    config, ends = rejecting_example()
    sim = run(config.modules, config.paths, ends, cores=2, inflight=2, events=6)
    thr = run(config.modules, config.paths, ends, cores=2, inflight=2, events=6,
              backend="threads")
    assert sim.module_runs == thr.module_runs
    assert sim.events.status.tolist() == thr.events.status.tolist()
    np.testing.assert_array_equal(sim.events.event, thr.events.event)


def test_deep_dependency_chain_does_not_recurse():
    depth = 3000  # deeper than Python's recursion limit
    mods = [Producer("p0", times=[0.001])]
    mods += [Producer(f"p{i}", get=[f"p{i - 1}"], times=[0.001]) for i in range(1, depth)]
    mods.append(Filter("F", get=[f"p{depth - 1}"]))
    res = run(mods, [Path("p", ["F"])], events=1)
    assert res.module_runs == depth + 1
    assert res.sim_time_s == pytest.approx(depth * 0.001)


@pytest.mark.parametrize("backend,scale", [("sim", 1.0), ("threads", 0.05)])
def test_output_modules_of_an_endpath_run_in_parallel(backend, scale):
    sleep = {"wait": "sleep"}
    mods = [Producer("P", times=[0.5], **sleep), Filter("F", get=["P"], times=[0.0]),
            *[OutputModule(f"O{i}", get=["P"], times=[1.0], **sleep) for i in (1, 2, 3)]]
    runtime = make_runtime(backend, 4, time_scale=scale)
    res = EventProcessor(runtime, mods, [Path("p", ["F"])],
                         [EndPath("e", ["O1", "O2", "O3"])]).run(1)
    runs = modules_run(res).set_index("module")
    starts = runs.loc[["O1", "O2", "O3"], "start"]
    # together, not one after another (on real threads a new pool thread may take a few ms)
    assert starts.max() - starts.min() <= 0.2 * scale
    ends = runs.loc[["O1", "O2", "O3"], "end"]
    assert (ends.min() > starts.max()).all()  # all three were running at the same time
    if backend == "sim":
        assert res.events.end.iloc[0] == pytest.approx(1.5)


def test_output_modules_share_one_core_when_there_is_only_one():
    mods = [Producer("P", times=[0.5]), Filter("F", get=["P"], times=[0.0]),
            OutputModule("O1", get=["P"], times=[1.0]), OutputModule("O2", get=["P"], times=[1.0])]
    res = run(mods, [Path("p", ["F"])], [EndPath("e", ["O1", "O2"])], events=1, cores=1)
    assert res.events.end.iloc[0] == pytest.approx(2.5)
