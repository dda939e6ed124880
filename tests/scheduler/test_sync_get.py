"""Synchronous get from a plain module body (``event.get_sync``), on both backends.

Expected values are hand computations on the declared times: a module whose body runs
after its own work ``a`` and sync-gets an unrequested producer of work ``p`` ends at
``a + p``, the producer starting at ``a``. Every run is bounded by a timeout, so a
deadlock fails the test instead of hanging it.
"""

import threading
import time

import pytest

from labkit.scheduler.hep.event import ModuleFailure
from labkit.scheduler.hep.examples import sync_get_example
from labkit.scheduler.hep.modules import ONE_AT_A_TIME, REENTRANT, UNSAFE, Filter, Producer
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.hep.study import module_timeline
from labkit.scheduler.runtime import SLEEP, make_runtime

BACKENDS = ["sim", "threads"]
TIMEOUT_S = 20.0
A, P = 0.1, 0.2  # the getter's and the producer's work (seconds)
TOL = {"sim": 1e-12, "threads": 0.07}  # real threads on a loaded machine: sleep overshoot


def runtime(backend, cores=2):
    # threads: a "busy" task sleeps instead of burning the CPU (still holding a core)
    return make_runtime(backend, cores, **({"busy": time.sleep} if backend == "threads" else {}))


def run_bounded(proc, events):
    """``proc.run(events)`` on a helper thread; fails (not hangs) past TIMEOUT_S."""
    out = {}

    def target():
        try:
            out["result"] = proc.run(events)
        except BaseException as exc:  # re-raised below
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIMEOUT_S)
    assert not thread.is_alive(), f"deadlock: the run did not end within {TIMEOUT_S} s"
    if "error" in out:
        raise out["error"]
    return out["result"]


def rows(trace, module, task="module"):
    return trace[(trace.module == module) & (trace.task == task)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sync_get_runs_unrequested_producer_and_returns_its_value(backend):
    mods = [Producer("P", times=[P], body=lambda e: 41),
            Producer("Q", times=[A], body=lambda e: e.get_sync("P") * 2),
            Filter("F", get=["Q"], body=lambda e: e.product("Q") == 82)]
    proc = EventProcessor(runtime(backend, cores=1), mods, [Path("p", ["F"])])
    res = run_bounded(proc, 1)
    assert res.events.status.tolist() == ["ok"]
    tr = res.trace
    q_start = rows(tr, "Q").start.iloc[0]
    p_start = rows(tr, "P").start.iloc[0]
    # one core: the waiting module gave its core to the producer, started at the get
    assert p_start - q_start == pytest.approx(A, abs=TOL[backend])
    q_end = (rows(tr, "Q", "sync-get-resume") if backend == "sim" else rows(tr, "Q")).end.iloc[0]
    assert q_end >= rows(tr, "P").end.iloc[0]  # Q went on only once P was made
    assert q_end - q_start == pytest.approx(A + P, abs=TOL[backend])
    assert rows(tr, "P").shape[0] == 1  # the producer ran once


@pytest.mark.parametrize("backend", BACKENDS)
def test_already_made_product_is_returned_at_once(backend):
    mods = [Producer("P", times=[P], body=lambda e: 7),
            Filter("F", get=["P"], times=[A], body=lambda e: e.get_sync("P") == 7)]
    proc = EventProcessor(runtime(backend), mods, [Path("p", ["F"])])
    res = run_bounded(proc, 1)
    assert res.events.status.tolist() == ["ok"]
    assert rows(res.trace, "F", "sync-get-resume").empty  # never blocked
    assert res.events.end.iloc[0] - res.events.start.iloc[0] == pytest.approx(
        P + A, abs=TOL[backend])


@pytest.mark.parametrize("backend", BACKENDS)
def test_thread_unsafe_getter_lets_thread_unsafe_producer_run(backend):
    """U and V share the thread-unsafe queue: U's wait must release it (else V could
    never run: a deadlock) and take it back (W, thread-unsafe too, waits for that)."""
    mods = [Producer("V", times=[P], thread_type=UNSAFE, body=lambda e: 3),
            Filter("U", times=[A], thread_type=UNSAFE, body=lambda e: e.get_sync("V") == 3),
            Filter("W", times=[A], thread_type=UNSAFE)]
    proc = EventProcessor(runtime(backend, cores=4), mods,
                          [Path("p1", ["U"]), Path("p2", ["W"])])
    res = run_bounded(proc, 1)
    assert res.events.status.tolist() == ["ok"]
    tr = res.trace
    u, v, w = rows(tr, "U"), rows(tr, "V"), rows(tr, "W")
    t0 = u.start.iloc[0]
    # the queue in FIFO order: U (0..A); at A U waits and releases it, so W (queued
    # behind U) runs A..2A, then V (asked for at A) 2A..2A+P; U takes the queue back
    # after V and ends the event at 2A+P
    assert w.start.iloc[0] - t0 == pytest.approx(A, abs=TOL[backend])
    assert v.start.iloc[0] - t0 == pytest.approx(2 * A, abs=TOL[backend])
    assert v.start.iloc[0] >= w.end.iloc[0]  # the queue still excludes W and V
    assert res.events.end.iloc[0] - t0 == pytest.approx(2 * A + P, abs=TOL[backend])
    resume = rows(tr, "U", "sync-get-resume")
    assert resume.start.iloc[0] >= v.end.iloc[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_event_at_a_time_getter_keeps_its_queue(backend):
    """Two events in flight: event 1's O waits until event 0's O finished its wait."""
    mods = [Producer("P", times=[P], wait=SLEEP, body=lambda e: 1),
            Filter("O", times=[A], wait=SLEEP, thread_type=ONE_AT_A_TIME,
                   body=lambda e: e.get_sync("P") == 1)]
    proc = EventProcessor(runtime(backend, cores=4), mods, [Path("p", ["O"])], inflight=2)
    res = run_bounded(proc, 2)
    assert res.events.status.tolist() == ["ok", "ok"]
    o = rows(res.trace, "O").sort_values("start")
    second_start = o.start.iloc[1] - o.start.iloc[0]
    assert second_start == pytest.approx(A + P, abs=TOL[backend])


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_label_fails_the_event(backend):
    mods = [Filter("F", times=[A], body=lambda e: e.get_sync("nope"))]
    proc = EventProcessor(runtime(backend), mods, [Path("p", ["F"])])
    res = run_bounded(proc, 2)
    assert res.events.status.tolist() == ["failed", "failed"]
    error = res.events.error.iloc[1]
    assert "module 'F' failed on event 1" in error and "'nope': no module labelled" in error


@pytest.mark.parametrize("backend", BACKENDS)
def test_cycle_through_a_declared_get_fails_the_event(backend):
    """A sync-gets B, whose declared get is A: the wait would never end."""
    mods = [Producer("A", times=[A], body=lambda e: e.get_sync("B")),
            Producer("B", times=[P], get=["A"]),
            Filter("F", get=["A"])]
    proc = EventProcessor(runtime(backend), mods, [Path("p", ["F"])])
    res = run_bounded(proc, 1)
    assert res.events.status.tolist() == ["failed"]
    error = res.events.error.iloc[0]
    assert "module 'A' failed" in error and "cycle A -> B -> A" in error


@pytest.mark.parametrize("backend", BACKENDS)
def test_cycle_of_two_sync_gets_fails_the_event(backend):
    """A sync-gets B; B's body sync-gets A (blocked waiting for B)."""
    mods = [Producer("A", times=[A], body=lambda e: e.get_sync("B")),
            Producer("B", times=[P], body=lambda e: e.get_sync("A")),
            Filter("F", get=["A"])]
    proc = EventProcessor(runtime(backend), mods, [Path("p", ["F"])])
    res = run_bounded(proc, 1)
    assert res.events.status.tolist() == ["failed"]
    error = res.events.error.iloc[0]
    assert "module 'B' failed" in error and "cycle B -> A -> B" in error


def test_self_get_is_a_cycle():
    mods = [Filter("F", body=lambda e: e.get_sync("F"))]
    res = run_bounded(EventProcessor(runtime("sim"), mods, [Path("p", ["F"])]), 1)
    assert "cycle F -> F" in res.events.error.iloc[0]


def test_get_sync_outside_a_module_body_is_refused():
    mods = [Producer("P"), Filter("F", get=["P"])]
    proc = EventProcessor(runtime("sim"), mods, [Path("p", ["F"])])
    res = proc.run(1)
    assert res.events.status.tolist() == ["ok"]
    seen = {}

    def body(event):
        seen["event"] = event
        return True

    proc = EventProcessor(runtime("sim"), [Filter("G", body=body)], [Path("p", ["G"])])
    proc.run(1)
    with pytest.raises(RuntimeError, match="outside a module body that may block"):
        seen["event"].get_sync("G")


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_producer_fails_the_getter(backend):
    def broken(event):
        raise ValueError("no hits")

    raised = []

    def getter(event):
        try:
            return event.get_sync("P")
        except ModuleFailure as exc:  # the producer's own failure reaches the getter
            raised.append(exc.module)
            raise

    mods = [Producer("P", times=[P], body=broken), Filter("F", times=[A], body=getter)]
    res = run_bounded(EventProcessor(runtime(backend), mods, [Path("p", ["F"])]), 1)
    assert raised == ["P"]
    assert res.events.status.tolist() == ["failed"]
    assert "module 'P' failed on event 0: ValueError: no hits" in res.events.error.iloc[0]
    assert rows(res.trace, "P").shape[0] == 1


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("thread_type", [REENTRANT, UNSAFE])
def test_example_timeline_matches_hand_computation(backend, thread_type):
    """The notebook's example, one core: F works 0..1, then P runs 1..3 while F waits
    (holding no core, so P can have the only one: busy modules in the sim), and F goes
    on at 3."""
    scale = 1.0 if backend == "sim" else 0.1
    config = sync_get_example(1.0, 2.0, thread_type)
    if backend == "threads":  # a real busy-wait on a loaded machine stretches: sleep
        config = config.with_wait(SLEEP)
    frame = module_timeline(config, backend=backend, time_scale=scale)
    f = frame[(frame.module == "F") & (frame.task == "module")].iloc[0]
    p = frame[frame.module == "P"].iloc[0]
    tol = TOL[backend] / scale
    assert (f.start, p.start, p.end) == (pytest.approx(0.0, abs=tol), pytest.approx(1.0, abs=tol),
                                         pytest.approx(3.0, abs=tol))
    f_end = frame[frame.module == "F"].end.max()
    assert f_end == pytest.approx(3.0, abs=tol) and f_end >= p.end


def _helper_get(event):
    return event.get_sync("P")


@pytest.mark.parametrize("backend", BACKENDS)
def test_sync_get_through_a_helper_needs_the_declaration(backend):
    """A body whose own code does not name get_sync runs as fast as before (not set up
    to block): its get_sync fails the event naming the module; declared, it works."""
    undeclared = [Producer("P", times=[P], body=lambda e: 5),
                  Filter("F", times=[A], body=lambda e: _helper_get(e) == 5)]
    assert not undeclared[1].sync_get and undeclared[0].sync_get is False
    res = run_bounded(EventProcessor(runtime(backend), undeclared, [Path("p", ["F"])]), 1)
    assert res.events.status.tolist() == ["failed"]
    assert "module 'F' failed" in res.events.error.iloc[0]
    assert "sync_get=True" in res.events.error.iloc[0]
    declared = [Producer("P", times=[P], body=lambda e: 5),
                Filter("F", times=[A], body=lambda e: _helper_get(e) == 5, sync_get=True)]
    res = run_bounded(EventProcessor(runtime(backend), declared, [Path("p", ["F"])]), 1)
    assert res.events.status.tolist() == ["ok"]
    assert res.events.end.iloc[0] - res.events.start.iloc[0] == pytest.approx(
        A + P, abs=TOL[backend])


def test_sync_get_is_detected_from_the_body_and_refused_for_coroutines():
    from labkit.lab.errors import InputError

    assert Filter("F", body=lambda e: e.get_sync("P")).sync_get
    assert not Filter("F", body=lambda e: e.product("P")).sync_get
    assert not Filter("F").sync_get

    async def coroutine(event):
        return await event.get("P")

    with pytest.raises(InputError, match="module 'G': sync_get is for a plain"):
        Filter("G", body=coroutine, sync_get=True)
    with pytest.raises(InputError, match="module 'H': sync_get is for a plain"):
        Filter("H", sync_get=True)
