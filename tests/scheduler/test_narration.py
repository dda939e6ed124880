"""The paper's Figure 2 walk-through, checked on runs of its Figure 1 example."""

import pytest

from labkit import InputError
from labkit.scheduler.hep.examples import figure2
from labkit.scheduler.hep.narration import figure2_order
from labkit.scheduler.hep.paths import Path
from labkit.scheduler.hep.processor import EventProcessor
from labkit.scheduler.runtime import make_runtime


def trace_of(config, end_paths, backend="sim", events=2, **options):
    runtime = make_runtime(backend, 4, **options)
    return EventProcessor(runtime, config.modules, config.paths, end_paths,
                          inflight=1).run(events).trace


def test_the_example_is_the_papers_graph():
    config, end_paths = figure2()
    gets = {m.label: set(m.get) for m in config.modules}
    assert gets == {"A": set(), "B": {"A"}, "C": {"A"}, "D": set(), "F1": {"B", "C"},
                    "F2": {"C"}, "F3": {"D"}, "O": {"C"}}
    assert [(p.name, p.labels) for p in config.paths] == [("Path 1", ("F1", "F3")),
                                                           ("Path 2", ("F2",))]
    assert [(p.name, p.labels) for p in end_paths] == [("EndPath", ("O",))]


def test_simulated_run_follows_the_narration():
    frame = figure2_order(trace_of(*figure2()))
    assert len(frame) == 9
    assert frame.holds.all(), frame[~frame.holds].statement.tolist()


def test_real_threads_follow_the_narration_within_dispatch_latency():
    # sleeping modules: busy-waits on more workers than this machine has cores would stretch
    frame = figure2_order(trace_of(*figure2("sleep"), backend="threads", events=1,
                                   time_scale=0.1),
                          tolerance=0.03)
    assert len(frame) == 8  # one event: no sentence about the next one
    assert frame.holds.all(), frame[~frame.holds].statement.tolist()


def test_a_slow_c_breaks_the_sentence_about_c():
    frame = figure2_order(trace_of(*figure2(times={"C": 3.0}))).set_index("statement")
    assert not frame.loc["C finishes early, which lets F2 start while F1 still waits for B",
                         "holds"]


def test_prefetching_d_early_breaks_the_narration():
    config, end_paths = figure2()
    config.paths.append(Path("Path 3", ["F3"]))  # D no longer waits for Path 1 to reach F3
    frame = figure2_order(trace_of(config, end_paths)).set_index("statement")
    assert not frame.loc["Producer A is the first module to run", "holds"]
    assert not frame.loc["F1 accepts, Path 1 moves on to F3, and D (which F3 needs) is "
                         "started then", "holds"]


def test_a_trace_of_another_graph_is_refused():
    from labkit.scheduler.hep.examples import rejecting_example

    config, end_paths = rejecting_example()
    trace = trace_of(config, end_paths)
    trace = trace[trace.module != "F2"]
    with pytest.raises(InputError, match="no run of F2"):
        figure2_order(trace)
