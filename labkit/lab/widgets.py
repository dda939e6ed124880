"""What-if widgets: controls, a compute function, a chart, and errors shown in place.

The callbacks are plain functions: ``compute(**values) -> DataFrame`` and
``chart(frame) -> altair chart``; both can be unit-tested without a browser. An
:class:`~labkit.lab.errors.InputError` (an impossible setting) is shown as a message in
the dashboard instead of a traceback.
"""

from __future__ import annotations

from typing import Callable

from labkit.lab.errors import InputError


def evaluate_frame(compute: Callable, chart: Callable, values: dict):
    """Run one what-if step: ``(frame, chart, None)``, or ``(None, None, message)`` for
    an impossible setting."""
    try:
        frame = compute(**values)
        return frame, chart(frame), None
    except InputError as exc:
        return None, None, f"Impossible setting: {exc}"


def evaluate(compute: Callable, chart: Callable, values: dict):
    """``(chart, None)``, or ``(None, message)`` for an impossible setting."""
    _frame, drawn, problem = evaluate_frame(compute, chart, values)
    return drawn, problem


def data_html(frame, max_rows: int = 200) -> str:
    """The numbers behind the chart, folded under a "data" disclosure."""
    table = frame.head(max_rows).to_html(index=False, classes="labkit-data-table")
    return f"<details class='labkit-data'><summary>data</summary>{table}</details>"


class WhatIf:
    """Lay out ``controls`` (name -> ipywidget) above an output that redraws on change.

    ``WhatIf(compute, chart, cores=IntSlider(...), ...).show()`` in a notebook; with
    ``continuous_update=False`` on sliders a drag recomputes once, on release.
    """

    def __init__(self, compute: Callable, chart: Callable, **controls):
        import ipywidgets as w

        self.compute, self.chart, self.controls = compute, chart, controls
        self.output = w.Output()
        self.message = w.HTML()
        self.data = w.HTML()
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.box = w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")),
                           self.message, self.output, self.data])

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self):
        self.message.value = "<i>computing…</i>"
        frame, chart, problem = evaluate_frame(self.compute, self.chart, self.values())
        self.message.value = (f"<b class='labkit-problem' style='color:#c0392b'>{problem}</b>"
                              if problem else "")
        self.data.value = data_html(frame) if frame is not None else ""
        # Set the Output widget's state rather than capturing display() calls: capture from
        # a widget callback is lost by Voila, and clear_output(wait=True) stalls it.
        self.output.outputs = ()
        if chart is not None:
            self.output.append_display_data(chart)
        return chart

    def show(self):
        from IPython.display import display

        display(self.box)
        self.update()
        return self
