import altair as alt
import pandas as pd
import pytest

from labkit.lab import charts
from labkit.lab.errors import InputError


def chart():
    return alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line().encode(x="x", y="y")


def test_theme_and_renderer_are_enabled():
    assert alt.theme.active == "labkit" and alt.renderers.active == "labkit"
    spec = chart().to_dict()
    assert spec["config"]["range"]["category"] == charts.PALETTE


def test_render_bundle_has_spec_and_png(monkeypatch):
    monkeypatch.delenv(charts.PNG_ENV, raising=False)
    bundle = charts._render(chart().to_dict())
    assert bundle[charts.VEGALITE_MIME]["mark"]["type"] == "line"
    assert bundle["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setenv(charts.PNG_ENV, "0")
    assert "image/png" not in charts._render(chart().to_dict())


def test_save_png_and_svg(tmp_path):
    png = charts.save(chart(), tmp_path / "c.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    svg = charts.save(chart(), tmp_path / "c.svg")
    assert svg.read_text().lstrip().startswith("<svg")
    with pytest.raises(InputError, match="use .png or .svg"):
        charts.save(chart(), tmp_path / "c.pdf")
