"""Dashboards as a person uses them: open, drag a control, see the chart's data change."""

import json

import pytest

from labkit.lab.dashboard import Dashboard
from tests.conftest import LAB_NOTEBOOKS

LOAD_TIMEOUT_MS = 150_000


def data_text(page) -> str:
    return page.locator(".labkit-data").inner_text() if page.locator(".labkit-data").count() else ""


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
        assert page.locator(".vega-embed").count() == 1  # the chart is a live Vega view
        for _ in range(3):  # 3 -> 0: an impossible setting
            nudge_first_slider(page, "ArrowLeft")
        page.wait_for_selector(".labkit-problem", timeout=60_000)
        assert "slope 0 is not allowed" in page.locator(".labkit-problem").inner_text()
        assert "Traceback" not in page.content()
    finally:
        board.stop()
