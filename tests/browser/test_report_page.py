"""The reproduction report opens in a browser: every link resolves, every chart renders."""

from labkit.lab.report import reproduce
from tests.conftest import LAB_NOTEBOOKS


def test_index_links_resolve_and_charts_render(page, tmp_path):
    reproduce(profile="quick", out_dir=tmp_path, progress=False,
              names=[LAB_NOTEBOOKS / "claims_demo.ipynb", LAB_NOTEBOOKS / "square.ipynb"])
    page.goto((tmp_path / "index.html").as_uri())
    assert page.locator("#scorecard tr").count() == 2  # header + one claim
    images = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth])")
    assert images and all(done and width > 0 for done, width in images)
    links = page.evaluate("() => [...document.links].map(a => a.href)")
    assert len(links) == 3  # the claim's notebook, and both notebooks in the timing table
    for href in links:
        response = page.goto(href)
        assert response is not None and response.ok, href
        assert page.locator("body").inner_text().strip()
