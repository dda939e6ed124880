import json
import re

import pytest

from labkit.lab.compare import compare_runs, format_changes
from labkit.lab.errors import InputError
from labkit.lab.report import format_table, reproduce
from tests.conftest import LAB_NOTEBOOKS


def test_reproduce_writes_scorecard_and_index(tmp_path):
    summary = reproduce(profile="quick", out_dir=tmp_path, progress=False,
                        names=[LAB_NOTEBOOKS / "claims_demo.ipynb", LAB_NOTEBOOKS / "square.ipynb"])
    assert summary["ok"]
    (claim,) = summary["claims"]
    assert claim["id"] == "lab.demo.answer" and claim["ok"] and claim["measured"] == 42
    saved = json.loads((tmp_path / "scorecard.json").read_text())
    assert saved["claims"] == summary["claims"] and saved["machine"]["cores"] >= 1
    page = (tmp_path / "index.html").read_text()
    links = set(re.findall(r"href='([^']+)'", page))
    assert links == {"claims_demo.html", "square.html"}
    assert all((tmp_path / link).is_file() for link in links)
    assert page.count("data:image/png;base64,") == 1  # the demo's key chart
    assert "1 of 1 claims hold" in page and "scheduler: claims_demo" in page
    assert "1 of 1 claims hold" in format_table(summary)


def _fake_run(folder, measured, ok, y):
    folder.mkdir()
    claims = [{"id": "a", "measured": measured, "ok": ok}, {"id": "same", "measured": 1, "ok": True}]
    (folder / "scorecard.json").write_text(json.dumps({"claims": claims}))
    spec = {"data": {"values": [{"y": y}]}, "mark": "line"}
    nb = {"cells": [{"outputs": [{"data": {"application/vnd.vegalite.v5+json": spec}}]}]}
    (folder / "nb.ipynb").write_text(json.dumps(nb))


def test_compare_names_changed_claims_and_figures(tmp_path):
    _fake_run(tmp_path / "old", 1.0, True, 1)
    _fake_run(tmp_path / "new", 2.0, False, 2)
    changes = compare_runs(tmp_path / "old", tmp_path / "new")
    assert changes["claims"] == [{"id": "a", "change": "no longer holds", "old_measured": 1.0,
                                  "new_measured": 2.0, "old_ok": True, "new_ok": False}]
    assert changes["figures"] == [{"notebook": "nb", "chart": 0, "change": "data changed"}]
    assert "claim a: no longer holds (1.0 -> 2.0)" in format_changes(changes)
    same = compare_runs(tmp_path / "old", tmp_path / "old")
    assert same["claims"] == [] and same["figures"] == []


def test_compare_refuses_a_folder_without_scorecard(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        compare_runs(tmp_path / "missing", tmp_path)
    with pytest.raises(InputError, match="no scorecard.json"):
        compare_runs(tmp_path, tmp_path)
