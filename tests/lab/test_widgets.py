import threading

import altair as alt
import ipywidgets as w
import pandas as pd

from labkit import InputError
from labkit.lab.widgets import WhatIf, data_html, evaluate, evaluate_frame


def line(slope):
    if slope == 0:
        raise InputError("slope 0 is not allowed")
    return pd.DataFrame({"x": [0, 1, 2], "y": [0, slope, 2 * slope]})


def chart(frame):
    return alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q")


def test_evaluate_returns_frame_and_chart():
    frame, spec, problem = evaluate_frame(line, chart, {"slope": 3})
    assert problem is None and frame["y"].tolist() == [0, 3, 6]
    assert spec.to_dict()["mark"]["type"] == "line"
    drawn, problem = evaluate(line, chart, {"slope": 3})
    assert problem is None and drawn.to_dict() == spec.to_dict()


def test_impossible_setting_is_a_message_not_an_exception():
    frame, spec, problem = evaluate_frame(line, chart, {"slope": 0})
    assert frame is None and spec is None
    assert problem == "Impossible setting: slope 0 is not allowed"
    assert evaluate(line, chart, {"slope": 0}) == (None, problem)


def test_whatif_recomputes_when_a_control_changes():
    slider = w.IntSlider(value=1, min=-3, max=3)
    board = WhatIf(line, chart, slope=slider)
    board.update()
    assert "<td>2</td>" in board.data.value and board.message.value == ""
    slider.value = 3  # the observer recomputes in the background, as a drag would
    board.wait(10)
    assert "<td>6</td>" in board.data.value and board.stop.disabled
    slider.value = 0
    board.wait(10)
    assert "slope 0 is not allowed" in board.message.value and board.data.value == ""


def board_held_at_slope_2():
    """A board whose computation for slope 2 blocks until the returned event is set."""
    release = threading.Event()

    def slow(slope):
        if slope == 2:
            release.wait(10)
        return line(slope)

    slider = w.IntSlider(value=1, min=-3, max=3)
    board = WhatIf(slow, chart, slope=slider)
    board.update()
    slider.value = 2
    return board, slider, release


def test_stop_abandons_a_running_computation_and_keeps_the_last_chart():
    board, _slider, release = board_held_at_slope_2()
    assert not board.stop.disabled and "computing" in board.message.value
    board.cancel()
    release.set()
    board.wait(10)
    assert "stopped" in board.message.value
    assert "<td>2</td>" in board.data.value and "<td>4</td>" not in board.data.value


def test_a_newer_setting_supersedes_a_running_one():
    board, slider, release = board_held_at_slope_2()
    first = board._thread
    slider.value = 3           # fast, finishes before the held slope-2 run
    board.wait(10)
    release.set()
    first.join(10)
    assert "<td>6</td>" in board.data.value  # slope 3 wins, the late slope-2 result is dropped


def test_data_html_is_a_disclosure_with_the_table():
    html = data_html(pd.DataFrame({"a": [1]}))
    assert html.startswith("<details class='labkit-data'>") and "<td>1</td>" in html


def test_progress_moves_the_bar_and_stop_really_interrupts():
    started, steps_done = threading.Event(), []

    def long_compute(slope, progress):
        for step in range(1000):
            progress(step, 1000)
            steps_done.append(step)
            started.set()
            threading.Event().wait(0.005)
        return line(slope)

    slider = w.IntSlider(value=1, min=-3, max=3)
    board = WhatIf(long_compute, chart, slope=slider)
    slider.value = 2
    assert started.wait(10)
    assert board.bar.layout.visibility == "visible" and 0 <= board.bar.value < 1
    board.cancel()
    board.wait(10)
    assert not board._thread.is_alive() and len(steps_done) < 1000  # stopped early
    assert board.bar.layout.visibility == "hidden" and "stopped" in board.message.value


def test_a_shown_board_is_not_displayed_twice(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    board = WhatIf(line, chart, slope=w.IntSlider(value=1))
    board._ipython_display_()          # a cell ending in WhatIf(...)
    board._ipython_display_()          # displaying it again adds nothing
    assert shown == [board.box]
