"""What-if widgets: controls, a compute function, a chart, and errors shown in place.

The callbacks are plain functions: ``compute(**values) -> DataFrame`` and
``chart(frame) -> altair chart``; both can be unit-tested without a browser. An
:class:`~labkit.lab.errors.InputError` (an impossible setting) is shown as a message in
the dashboard instead of a traceback. A long ``compute`` may take a ``progress`` keyword:
it is then called as ``progress(done, total)``, which moves the dashboard's progress bar
and raises :class:`Cancelled` once the reader pressed Stop or moved a control again, so
the computation really stops.
"""

from __future__ import annotations

import inspect
import threading
from typing import Callable

from labkit.lab.errors import InputError


class Cancelled(Exception):
    """Raised inside ``compute`` by its ``progress`` callback when the run is abandoned."""


def accepts_progress(compute: Callable) -> bool:
    try:
        return "progress" in inspect.signature(compute).parameters
    except (TypeError, ValueError):
        return False


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

    ``WhatIf(compute, chart, cores=IntSlider(...), ...).show()`` in a notebook. The first
    drawing happens in the cell (so papermill and nbval see it); later ones, triggered by
    a control, run in a background thread so the dashboard stays responsive: a newer
    setting supersedes a running computation, and the Stop button abandons it (its result
    is dropped when it arrives; the chart keeps the last completed setting).
    """

    def __init__(self, compute: Callable, chart: Callable, **controls):
        import ipywidgets as w

        self.compute, self.chart, self.controls = compute, chart, controls
        self.output = w.Output()
        self.message = w.HTML()
        self.data = w.HTML()
        self.stop = w.Button(description="Stop", icon="stop", disabled=True,
                             tooltip="abandon the running computation")
        self.stop.on_click(lambda _button: self.cancel())
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                   layout=w.Layout(visibility="hidden"))
        self._generation = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        for control in controls.values():
            control.observe(lambda _change: self.update(background=True), names="value")
        self.box = w.VBox([w.HBox([*controls.values(), self.stop, self.bar],
                                  layout=w.Layout(flex_flow="row wrap")),
                           self.message, self.output, self.data])

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self, background: bool = False):
        """Recompute for the controls' current values (in a thread if ``background``)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self.message.value = "<i class='labkit-busy'>computing…</i>"
        self.stop.disabled = False
        if not background:
            return self._run(generation, self.values())
        self._thread = threading.Thread(target=self._run, args=(generation, self.values()),
                                        daemon=True)
        self._thread.start()
        return None

    def _progress(self, generation: int):
        def report(done: int, total: int) -> None:
            if generation != self._generation:
                raise Cancelled()
            self.bar.layout.visibility = "visible"
            self.bar.value = min(1.0, done / total) if total else 1.0
        return report

    def _run(self, generation: int, values: dict):
        if accepts_progress(self.compute):
            values = {**values, "progress": self._progress(generation)}
        try:
            frame, chart, problem = evaluate_frame(self.compute, self.chart, values)
        except Cancelled:
            return None
        with self._lock:
            if generation != self._generation:  # superseded or stopped meanwhile
                return None
            self.stop.disabled = True
        self.bar.layout.visibility = "hidden"
        self.message.value = (f"<b class='labkit-problem' style='color:#c0392b'>{problem}</b>"
                              if problem else "")
        self.data.value = data_html(frame) if frame is not None else ""
        # Set the Output widget's state rather than capturing display() calls: capture from
        # a widget callback is lost by Voila, and clear_output(wait=True) stalls it.
        self.output.outputs = ()
        if chart is not None:
            self.output.append_display_data(chart)
        return chart

    def cancel(self) -> None:
        """Abandon the running computation; the chart keeps the last completed result."""
        with self._lock:
            self._generation += 1
        self.stop.disabled = True
        self.bar.layout.visibility = "hidden"
        self.message.value = "<i class='labkit-stopped'>stopped: showing the last completed setting</i>"

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background computation (if any) has finished."""
        if self._thread is not None:
            self._thread.join(timeout)

    def show(self):
        from IPython.display import display

        display(self.box)
        self._shown = True
        self.update()
        return self

    def _ipython_display_(self):
        """A cell ending in ``WhatIf(...)`` shows it; one ending in ``.show()`` adds nothing."""
        if not getattr(self, "_shown", False):
            self.show()
