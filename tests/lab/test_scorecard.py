import json

import numpy as np

from labkit.lab.claims import _REGISTRY, define
from labkit.lab.scorecard import MIMETYPE, Scorecard, collect


def setup_module():
    define("lab.test.speedup", area="scheduler", notebook="nb", text="speedup", paper=1.29,
           tolerance=0.05, rule="abs")


def teardown_module():
    _REGISTRY.pop("lab.test.speedup", None)


def test_check_judges_and_keeps_one_row_per_claim():
    card = Scorecard("nb", synthetic=True)
    row = card.check("lab.test.speedup", np.float64(1.40))
    assert row["ok"] is False and row["measured"] == 1.40 and row["synthetic"] is True
    card.check("lab.test.speedup", 1.31, synthetic=False, note="rerun")
    assert len(card.rows) == 1
    assert card.rows[0]["ok"] is True and card.rows[0]["synthetic"] is False
    frame = card.frame()
    assert list(frame["id"]) == ["lab.test.speedup"]


def test_records_are_json_safe():
    card = Scorecard("nb")
    card.record("n", np.int64(3))
    card.record("x", np.float32(0.5))
    card.record("nan", float("nan"))
    assert json.loads(json.dumps(card.payload()))["records"] == {"n": 3, "x": 0.5, "nan": None}


def test_collect_merges_bundles_from_outputs():
    a = {"notebook": "nb", "claims": [{"id": "c1", "ok": True}], "records": {"x": 1}}
    b = {"notebook": "nb", "claims": [{"id": "c1", "ok": False}, {"id": "c2", "ok": True}],
         "records": {"y": 2}}
    nb = {"cells": [{"outputs": [{"data": {MIMETYPE: a}}]},
                    {"outputs": [{"data": {"text/plain": "x"}}, {"data": {MIMETYPE: b}}]},
                    {"cell_type": "markdown"}]}
    found = collect(nb)
    assert found["records"] == {"x": 1, "y": 2}
    assert {c["id"]: c["ok"] for c in found["claims"]} == {"c1": False, "c2": True}


def test_not_run_row_is_neither_held_nor_failed_and_counts_apart():
    from labkit.lab.report import format_table

    card = Scorecard("nb")
    row = card.not_run("lab.test.speedup", "the peer is not built")
    assert row["ok"] is None and row["measured"] is None
    assert row["note"] == "not run: the peer is not built"
    table = format_table({"profile": "quick", "claims": card.rows, "notebooks": []})
    assert "not run" in table and "0 of 1 claims hold; 1 not run" in table
    card.check("lab.test.speedup", 1.29)
    assert [r["ok"] for r in card.rows] == [True]


def test_not_run_needs_a_reason():
    import pytest

    with pytest.raises(ValueError):
        Scorecard("nb").not_run("lab.test.speedup", "")
