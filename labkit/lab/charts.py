"""One look for every chart, and charts that survive into static HTML reports.

Importing this module registers and enables the ``labkit`` altair theme and the
``labkit`` renderer. The renderer emits the Vega-Lite spec (interactive in JupyterLab)
together with a PNG made by vl-convert, so nbconvert's HTML rendering of an executed
notebook shows every chart without JavaScript. :func:`save` exports PNG or SVG files.
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt

from labkit.lab.errors import InputError

PALETTE = ["#1f5fa8", "#e07b22", "#2a9d5c", "#c0392b", "#7d5ba6", "#8c6d31", "#d4589a",
           "#5f6b73"]
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
PNG_ENV = "LABKIT_CHART_PNG"  # "0" turns off the static PNG copy (dashboards set it)


@alt.theme.register("labkit", enable=True)
def labkit_theme() -> alt.theme.ThemeConfig:
    """Readable defaults: a fixed palette, larger labels, no chart border."""
    return {
        "config": {
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "grid": True,
                     "gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
            "title": {"fontSize": 15, "anchor": "start"},
            "line": {"strokeWidth": 2},
            "point": {"filled": True, "size": 50},
        }
    }


def _png(spec: dict) -> bytes | None:
    try:
        import vl_convert as vlc

        return vlc.vegalite_to_png(spec, scale=1.5)
    except Exception:  # a chart that cannot be rasterised still shows interactively
        return None


def _render(spec: dict, **_options):
    bundle = {VEGALITE_MIME: spec, "text/plain": "<labkit chart>"}
    if os.environ.get(PNG_ENV) == "0":  # live dashboards draw the Vega view only
        return bundle
    png = _png(spec)
    if png is not None:
        bundle["image/png"] = png
    return bundle


alt.renderers.register("labkit", _render)
alt.renderers.enable("labkit")


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Export ``chart`` to ``path`` (``.png`` or ``.svg``) with vl-convert."""
    import vl_convert as vlc

    path = Path(path)
    spec = chart.to_dict()
    if path.suffix == ".png":
        path.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    elif path.suffix == ".svg":
        path.write_text(vlc.vegalite_to_svg(spec))
    else:
        raise InputError(f"cannot export a chart to {path.name!r}: use .png or .svg")
    return path


def key_chart(chart: alt.TopLevelMixin) -> None:
    """Display ``chart`` flagged as its area's key chart for ``reports/index.html``."""
    from IPython.display import display

    from labkit.lab.index_page import KEY_CHART

    display(_render(chart.to_dict()), raw=True, metadata={KEY_CHART: True})
