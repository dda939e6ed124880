"""The runtime API on both backends: queues, groups, cores, sleeping tasks."""

import pytest

from labkit import InputError
from labkit.scheduler.runtime import BUSY, SLEEP, Task, make_runtime


def overlapping_max(rows):
    """Most intervals open at once (independent sweep over start/end points)."""
    points = sorted([(s, 1) for s, e in rows] + [(e, -1) for s, e in rows],
                    key=lambda p: (p[0], p[1]))
    best = cur = 0
    for _, d in points:
        cur += d
        best = max(best, cur)
    return best


@pytest.mark.parametrize("cores", [1, 3])
def test_sim_cores_bound_busy_work_and_makespan(cores):
    rt = make_runtime("sim", cores)
    for i in range(7):
        rt.concurrent.async_(Task(lambda: None, 1.0, BUSY, "t", "m", i))
    rt.run()
    tr = rt.trace()
    assert overlapping_max(list(zip(tr.start, tr.end))) == cores
    assert rt.now() == pytest.approx(-(-7 // cores) * 1.0)  # ceil(7 / cores) rounds


def test_sleeping_tasks_hold_no_core():
    rt = make_runtime("sim", 1)
    for i in range(5):
        rt.concurrent.async_(Task(lambda: None, 2.0, SLEEP, "t", "m", i))
    rt.run()
    assert rt.now() == pytest.approx(2.0)
    assert set(rt.trace().core) == {-1}


def test_serial_queue_runs_in_order_one_at_a_time():
    rt = make_runtime("sim", 4)
    q = rt.serial_queue("s")
    seen = []
    for i in range(5):
        q.async_(Task(lambda i=i: seen.append(i), 0.5, BUSY, "t", "m", i))
    rt.run()
    tr = rt.trace()
    assert seen == list(range(5))
    assert overlapping_max(list(zip(tr.start, tr.end))) == 1
    assert rt.now() == pytest.approx(2.5)


def test_group_notify_after_all_leave_and_wait():
    rt = make_runtime("sim", 2)
    g = rt.group()
    done = []
    for i in range(3):
        g.enter()
        rt.concurrent.async_(Task(g.leave, 1.0 + i, BUSY))
    g.notify(rt.concurrent, Task(lambda: done.append(rt.now())))
    g.wait()
    rt.run()
    assert done == [pytest.approx(4.0)]  # 1 s and 2 s start at 0; the 3 s task at 1 s
    with pytest.raises(RuntimeError):
        g.leave()


def test_time_scale_and_bad_arguments():
    rt = make_runtime("sim", 1, time_scale=0.5)
    rt.concurrent.async_(Task(lambda: None, 4.0))
    rt.run()
    assert rt.now() == pytest.approx(2.0)
    with pytest.raises(InputError, match="cores"):
        make_runtime("sim", 0)
    with pytest.raises(InputError, match="backend"):
        make_runtime("gpu", 1)
    with pytest.raises(InputError, match="time scale"):
        make_runtime("sim", 1, time_scale=-1)


def test_millions_of_serial_queues_are_cheap():
    import sys

    rt = make_runtime("sim", 1)
    queue = rt.serial_queue("q")
    # an idle queue is a small slots object (its deque is made on first contention)
    assert sys.getsizeof(queue) + sys.getsizeof(queue.pending) < 100
    queues = [rt.serial_queue(f"q{i}") for i in range(100_000)]
    for i, q in enumerate(queues[:1000]):
        q.async_(Task(lambda: None, 1.0, "sleep", "t", "m", i))
    rt.run()
    assert rt.now() == pytest.approx(1.0) and rt.tasks_run == 1000


def test_threads_serial_queue_and_group():
    rt = make_runtime("threads", 2, busy=lambda s: None)
    q = rt.serial_queue("s")
    seen = []
    for i in range(50):
        q.async_(Task(lambda i=i: seen.append(i), 0.0))
    g = rt.group()
    for _ in range(20):
        g.enter()
        rt.concurrent.async_(Task(g.leave, 0.0))
    g.wait()
    rt.run()
    assert seen == list(range(50))
    assert g.count == 0


def test_threads_busy_tasks_really_run_in_parallel():
    rt = make_runtime("threads", 2)
    for i in range(2):
        rt.concurrent.async_(Task(lambda: None, 0.15, BUSY, "t", "m", i))
    rt.run()
    tr = rt.trace()
    assert sorted(tr.core) == [0, 1]
    (s0, e0), (s1, e1) = zip(tr.start, tr.end)
    assert s0 < e1 and s1 < e0  # the two busy-waits overlapped in time


def test_threads_sleeping_tasks_and_errors_surface():
    rt = make_runtime("threads", 1, busy=lambda s: None)
    for i in range(4):
        rt.concurrent.async_(Task(lambda: None, 0.05, SLEEP, "t", "m", i))

    def boom():
        raise ValueError("boom")

    rt.concurrent.async_(Task(boom))
    with pytest.raises(ValueError, match="boom"):
        rt.run()
    tr = rt.trace()
    assert (tr[tr.module == "m"].core == -1).all()
    assert len(tr) == 5
