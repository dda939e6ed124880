"""Dashboards as a person uses them: open, drag a control, see the chart's data change."""


import pytest

from labkit.lab.dashboard import Dashboard
from tests.conftest import LAB_NOTEBOOKS

LOAD_TIMEOUT_MS = 150_000


def open_board(page, target):
    board = Dashboard(target, 0).start()
    page.goto(board.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector(".labkit-data", state="attached", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector(".vega-embed", timeout=LOAD_TIMEOUT_MS)
    return board


def nudge_first_slider(page, key="ArrowRight"):
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press(key)


def table_column(page, column: str) -> list[float]:
    """A column of the data table under the chart, as numbers."""
    rows = page.evaluate("""() => {
        const t = document.querySelector('.labkit-data table');
        const head = [...t.querySelectorAll('thead th')].map(th => th.textContent.trim());
        return [...t.querySelectorAll('tbody tr')].map(tr =>
            Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [head[i], td.textContent])));
    }""")
    return [float(r[column]) for r in rows]


def test_demo_dashboard_redraws_and_reports_impossible_settings(page):
    board = open_board(page, LAB_NOTEBOOKS / "whatif_demo.ipynb")
    try:
        assert table_column(page, "y") == [0, 2, 4, 6, 8]
        nudge_first_slider(page)
        page.wait_for_function("() => document.querySelector('.labkit-data td:nth-child(2)') && "
                               "[...document.querySelectorAll('.labkit-data tbody tr td:nth-child(2)')]"
                               ".map(td => td.textContent).join(',') === '0,3,6,9,12'",
                               timeout=60_000)
        assert table_column(page, "y") == [0, 3, 6, 9, 12]
        # the chart is a live Vega view again (vega-embed renders after the data table lands)
        page.wait_for_selector(".vega-embed", timeout=60_000)
        assert page.locator(".vega-embed").count() == 1
        for _ in range(3):  # 3 -> 0: an impossible setting
            nudge_first_slider(page, "ArrowLeft")
        page.wait_for_selector(".labkit-problem", timeout=60_000)
        assert "slope 0 is not allowed" in page.locator(".labkit-problem").inner_text()
        assert "Traceback" not in page.content()
    finally:
        board.stop()


def test_every_area_has_a_dashboard():
    from labkit.lab.claims import AREAS
    from labkit.lab.dashboard import whatif_notebook

    assert all(whatif_notebook(area).is_file() for area in AREAS)


@pytest.mark.parametrize("area", ["scheduler", "sam", "smm", "siommu"])
def test_area_dashboard_redraws_when_a_slider_moves(page, area):
    from labkit.lab.dashboard import whatif_notebook

    board = open_board(page, whatif_notebook(area))
    try:
        before = data_text_content(page)
        assert before, "the dashboard shows no data under its chart"
        slider = page.locator(".widget-slider .noUi-handle").first
        at_max = slider.get_attribute("aria-valuenow") == slider.get_attribute("aria-valuemax")
        nudge_first_slider(page, "ArrowLeft" if at_max else "ArrowRight")
        page.wait_for_function(
            "before => { const d = document.querySelector('.labkit-data');"
            " return d && d.textContent !== before; }", arg=before, timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(".vega-embed", timeout=60_000)      # the chart re-rendered
        assert page.locator(".vega-embed").count() >= 1
        assert "Traceback" not in page.content()
    finally:
        board.stop()


def data_text_content(page) -> str:
    return page.evaluate("() => { const d = document.querySelector('.labkit-data');"
                         " return d ? d.textContent : ''; }")
