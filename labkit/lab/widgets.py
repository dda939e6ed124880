"""What-if widgets: controls, a compute function, a chart, and errors shown in place.

The callbacks are plain functions: ``compute(**values) -> DataFrame`` and
``chart(frame) -> altair chart``; both can be unit-tested without a browser. An
:class:`~labkit.lab.errors.InputError` (an impossible setting) is shown as a message in
the dashboard instead of a traceback.
"""

from __future__ import annotations

from typing import Callable

from labkit.lab.errors import InputError


def evaluate(compute: Callable, chart: Callable, values: dict):
    """Run one what-if step: ``(chart, None)`` or ``(None, message)`` for a bad setting."""
    try:
        frame = compute(**values)
        return chart(frame), None
    except InputError as exc:
        return None, f"Impossible setting: {exc}"


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
        for control in controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.box = w.VBox([w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")),
                           self.message, self.output])

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self):
        from IPython.display import display

        self.message.value = "<i>computing…</i>"
        chart, problem = evaluate(self.compute, self.chart, self.values())
        self.message.value = f"<b style='color:#c0392b'>{problem}</b>" if problem else ""
        self.output.clear_output(wait=True)
        if chart is not None:
            with self.output:
                display(chart)
        return chart

    def show(self):
        from IPython.display import display

        display(self.box)
        self.update()
        return self
