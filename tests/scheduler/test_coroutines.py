"""Coroutine modules and tasks: awaiting data, hopping queues, cancellation."""

import pytest

from labkit.scheduler.coro import Cancelled, spawn, work
from labkit.scheduler.hep import study
from labkit.scheduler.hep.examples import rejecting_example
from labkit.scheduler.hep.modules import Filter, Producer
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.runtime import SLEEP, make_runtime


def runtime(backend, cores=2):
    return make_runtime(backend, cores, **({"busy": lambda s: None} if backend == "threads" else {}))


@pytest.mark.parametrize("backend", ["sim", "threads"])
def test_await_get_work_and_queue_hop(backend):
    rt = runtime(backend)
    serial = rt.serial_queue("unsafe-part")
    seen = []

    async def a(event):
        await work(0.01)
        return 20

    async def b(event):
        x = await event.get("A")  # pulls A: nobody else asked for it
        await serial  # the thread-unsafe sub-part of the module
        seen.append(("hop", event.index))
        await work(0.01)
        return x + 1

    mods = [Producer("A", body=a), Producer("B", body=b),
            Filter("F", get=["B"], body=lambda e: e.product("B") == 21)]
    proc = EventProcessor(rt, mods, [Path("p", ["F"])], inflight=2)
    res = proc.run(4)
    assert res.events.status.tolist() == ["ok"] * 4
    assert all(v for v in res.events.status == "ok")
    assert sorted(e for _, e in seen) == [0, 1, 2, 3]
    tr = res.trace
    assert {"work", "resume"} <= set(tr.task)


@pytest.mark.parametrize("backend", ["sim", "threads"])
def test_cancellation_when_a_filter_rejects(backend):
    rt = runtime(backend)
    progress = []

    async def slow(event):
        try:
            for step in range(5):
                await work(0.02, SLEEP)
                progress.append(step)
        except Cancelled:
            progress.append("cancelled")
            raise
        return 1

    mods = [Producer("S", body=slow), Filter("F", times=[0.03], wait=SLEEP, cancels=True,
                                             body=lambda e: False),
            Filter("G", get=["S"])]
    proc = EventProcessor(rt, mods, [Path("p1", ["F"]), Path("p2", ["G"])])
    res = proc.run(1)
    assert progress[-1] == "cancelled" and len(progress) < 6
    assert res.events.status.tolist() == ["cancelled"]


def test_failure_inside_coroutine_names_module():
    async def bad(event):
        await work(0.1)
        raise KeyError("no tracks")

    rt = runtime("sim")
    proc = EventProcessor(rt, [Producer("trk", body=bad), Filter("F", get=["trk"])],
                          [Path("p", ["F"])])
    res = proc.run(2)
    assert res.events.status.tolist() == ["failed", "failed"]
    assert "module 'trk' failed on event 1" in res.events.error.iloc[1]


def test_awaiting_something_else_is_reported():
    rt = runtime("sim")

    async def odd():
        await _Yield()

    fut = spawn(rt, odd())
    rt.run()
    assert isinstance(fut.error, TypeError)


class _Yield:
    def __await__(self):
        yield 42


def test_coroutine_style_reproduces_callbacks(hipileup):
    cfg = study.prepare(hipileup, "sleep")
    a = study.run_framework(cfg, cores=4, inflight=4, events=8, safety="reentrant")
    b = study.run_framework(cfg, cores=4, inflight=4, events=8, safety="reentrant",
                            coroutines=True)
    assert a.module_runs == b.module_runs
    assert a.events.end.tolist() == pytest.approx(b.events.end.tolist())
    config, ends = rejecting_example()
    assert config.modules  # the example also runs as coroutines


@pytest.mark.parametrize("backend", ["sim", "threads"])
def test_async_generator_source_reads_one_at_a_time(backend):
    async def source():
        for index in range(5):
            await work(0.02, SLEEP)  # reading time
            yield index, 0

    rt = runtime(backend, cores=4)
    proc = EventProcessor(rt, [Filter("F", times=[0.05], wait=SLEEP)], [Path("p", ["F"])],
                          inflight=3)
    res = proc.run(source())
    ev = res.events
    assert ev.event.tolist() == [0, 1, 2, 3, 4] and (ev.status == "ok").all()
    starts = sorted(ev.start)
    assert all(b - a >= 0.02 - 1e-3 for a, b in zip(starts, starts[1:]))  # serial reads
    if backend == "sim":
        # three slots read back to back; event 0 frees its slot at 0.07 -> read ends 0.09
        assert starts == pytest.approx([0.02, 0.04, 0.06, 0.09, 0.11])


def test_plain_generator_source():
    def source():
        yield from ((i, i // 2) for i in range(4))

    rt = runtime("sim")
    proc = EventProcessor(rt, [Filter("F", times=[1.0])], [Path("p", ["F"])], inflight=2)
    ev = proc.run(source()).events
    assert ev.run.tolist() == [0, 0, 1, 1]
    assert ev[ev.run == 1].start.min() >= ev[ev.run == 0].end.max()


def _overlaps(intervals):
    """Pairs of (start, end) intervals that overlap in time (touching is not overlapping)."""
    ordered = sorted(intervals)
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b[0] < a[1] - 1e-9]


def _section_run(backend, use_shared_queue):
    """Thread-unsafe producers U1, U2 and a re-entrant coroutine module M whose middle
    step (0.7 s) is its thread-unsafe sub-part; 4 events in flight on 8 cores."""
    scale = 1.0 if backend == "sim" else 0.02
    rt = make_runtime(backend, 8, time_scale=scale)
    private = rt.serial_queue("private")

    async def m(event):
        await work(0.3, SLEEP)
        await (event.unsafe_queue if use_shared_queue else private)
        await work(0.7, SLEEP)  # the thread-unsafe section
        await event.processor.runtime.concurrent
        await work(0.2, SLEEP)
        return 1

    mods = [Producer("U1", times=[0.5], wait=SLEEP, thread_type="ThreadUnsafe"),
            Producer("U2", times=[0.4], wait=SLEEP, thread_type="ThreadUnsafe"),
            Producer("M", body=m),
            Filter("F", get=["U1", "U2", "M"], times=[0.0])]
    res = EventProcessor(rt, mods, [Path("p", ["F"])], inflight=4).run(6)
    tr = res.trace
    unsafe = tr[tr.module.isin(["U1", "U2"]) & (tr.task == "module")]
    work_rows = tr[(tr.module == "M") & (tr.task == "work")]
    work_rows = work_rows.sort_values("start")
    steps = work_rows.groupby("event").cumcount()  # per event: 0 before, 1 section, 2 after
    section, other = work_rows[steps == 1], work_rows[steps != 1]
    return res, list(zip(unsafe.start, unsafe.end)), list(zip(section.start, section.end)), \
        list(zip(other.start, other.end))


@pytest.mark.parametrize("backend", ["sim", "threads"])
def test_unsafe_section_excludes_every_thread_unsafe_module(backend):
    res, unsafe, section, other = _section_run(backend, use_shared_queue=True)
    assert (res.events.status == "ok").all()
    assert len(section) == 6 and len(unsafe) == 12
    assert not _overlaps(unsafe + section)  # nothing thread-unsafe ran beside a section
    # ... while the re-entrant parts of M did run beside the sections
    assert any(s[0] < o[1] and o[0] < s[1] for s in section for o in other)


def test_a_private_queue_would_not_exclude_them():
    """The check above can fail: hopping onto a queue of its own, the section overlaps the
    thread-unsafe modules."""
    _, unsafe, section, _ = _section_run("sim", use_shared_queue=False)
    assert _overlaps(unsafe + section)
