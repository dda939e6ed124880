"""Every notebook runs under the quick profile and checks every claim it declares."""

import pytest

from labkit.lab.claims import claims_for
from labkit.lab.notebooks import list_notebooks
from labkit.lab.runner import run_notebook
from labkit.lab.scorecard import COLUMNS

NOTEBOOKS = list_notebooks()


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_quick_and_checks_its_claims(path, tmp_path):
    result = run_notebook(path, profile="quick", out_dir=tmp_path)
    assert result.ok, result.error
    checked = {row["id"] for row in result.claims}
    declared = {c.id for c in claims_for(path.stem)}
    assert declared <= checked, f"declared but not checked: {sorted(declared - checked)}"
    for row in result.claims:
        assert set(COLUMNS) <= set(row)
        assert isinstance(row["ok"], bool) or (row["ok"] is None and row["note"].startswith("not run: "))
        assert row["notebook"] == path.stem
