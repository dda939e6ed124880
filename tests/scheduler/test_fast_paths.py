"""The simulation's fast paths change nothing: a precomputed prefetch plan replays the
prefetch work list exactly, and tasks ending at the same instant keep FIFO order, also
when a run stops early or a task raises."""

import heapq
from itertools import count

import pytest

from labkit.scheduler.hep.examples import rejecting_example, synthetic
from labkit.scheduler.hep.modules import Source
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.runtime import BUSY, SLEEP, Task, make_runtime


def _run(config, end_paths=(), *, plans: bool, cores=3, inflight=4, events=12, **options):
    applied = []
    runtime = make_runtime("sim", cores)
    processor = EventProcessor(runtime, config.modules, config.paths, end_paths,
                               inflight=inflight, **options)
    if not plans:  # force the general work list everywhere (the reference)
        unplanned = processor.prefetch_plan

        def no_plan(label):
            plan = unplanned(label)
            plan.members = None
            return plan

        processor.prefetch_plan = no_plan
    else:  # count the plans applied: the fast path must really be taken
        planned = processor.prefetch_plan

        def counted(label):
            plan = planned(label)
            if plan.members is not None:
                applied.append(label)
            return plan

        processor.prefetch_plan = counted
    result = processor.run(Source(events, events_per_run=5))
    assert bool(applied) == plans
    return result, runtime.trace()


@pytest.mark.parametrize("options", [{}, {"safety": "one-at-a-time"}, {"serial_io": True},
                                     {"safety": "unsafe"}])
def test_prefetch_plan_replays_the_work_list_exactly(options):
    config = synthetic(60, layers=6, fan_in=4, seed=5)
    planned, planned_trace = _run(config, plans=True, **options)
    reference, reference_trace = _run(config, plans=False, **options)
    assert planned.module_runs == reference.module_runs > 0
    assert planned.events.equals(reference.events)
    assert planned_trace.equals(reference_trace)  # same tasks, same order, same times


def test_prefetch_plan_with_filters_rejections_and_end_paths():
    config, end_paths = rejecting_example()
    planned, planned_trace = _run(config, end_paths, plans=True, cores=2, inflight=3)
    reference, reference_trace = _run(config, end_paths, plans=False, cores=2, inflight=3)
    assert planned.events.equals(reference.events)
    assert planned_trace.equals(reference_trace)
    assert set(planned.events.status) == {"ok"}


def reference_order(works, cores):
    """Independent model: a heap of (end, submission number) on ``cores`` cores."""
    heap, seq, free, order = [], count(), cores, []
    waiting = list(enumerate(works))
    now = 0.0
    while waiting and free:
        i, w = waiting.pop(0)
        heapq.heappush(heap, (now + w, next(seq), i))
        free -= 1
    while heap:
        now, _, i = heapq.heappop(heap)
        order.append((i, now))
        if waiting:
            j, w = waiting.pop(0)
            heapq.heappush(heap, (now + w, next(seq), j))
    return order


def test_equal_end_times_keep_fifo_order():
    works = [1.0, 0.5, 0.5, 1.0, 0.25, 0.25, 0.5, 1.0, 0.0, 0.0]
    rt = make_runtime("sim", 2)
    ran = []
    for i, w in enumerate(works):
        rt.concurrent.async_(Task(lambda i=i: ran.append((i, rt.now())), w, BUSY))
    rt.run()
    assert ran == reference_order(works, 2)


def test_stopping_mid_instant_and_a_raising_task_lose_and_repeat_nothing():
    rt = make_runtime("sim", 1)
    ran = []
    group = rt.group()
    for i in range(6):  # all end at t = 1
        group.enter() if i < 3 else None
        rt.concurrent.async_(Task(lambda i=i: (ran.append(i), group.leave() if i < 3 else None),
                                  1.0, SLEEP))
    group.wait()  # stops after the third task of the instant
    assert ran == [0, 1, 2]
    rt.concurrent.async_(Task(lambda: ran.append("late"), 0.0, SLEEP))  # t = 1, last
    rt.run()
    assert ran == [0, 1, 2, 3, 4, 5, "late"]
    bad = make_runtime("sim", 1)
    seen = []
    bad.concurrent.async_(Task(lambda: seen.append("a"), 1.0, SLEEP))
    bad.concurrent.async_(Task(lambda: 1 / 0, 1.0, SLEEP))
    bad.concurrent.async_(Task(lambda: seen.append("c"), 1.0, SLEEP))
    with pytest.raises(ZeroDivisionError):
        bad.run()
    bad.run()  # the rest of the instant, nothing twice
    assert seen == ["a", "c"]
    assert bad.tasks_run == 3
