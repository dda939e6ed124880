import json

import nbformat
import pytest

from labkit.lab.errors import InputError
from labkit.lab.nbtools import build
from labkit.lab.runner import run_notebook, run_tag
from tests.conftest import LAB_NOTEBOOKS


def test_run_writes_notebook_html_and_results(tmp_path):
    result = run_notebook(LAB_NOTEBOOKS / "square.ipynb", parameters={"x": 7}, out_dir=tmp_path)
    assert result.ok and result.error is None
    assert result.records == {"square": 49, "profile": "quick"}
    saved = json.loads((tmp_path / "square.results.json").read_text())
    assert saved["records"]["square"] == 49 and saved["parameters"] == {"x": 7}
    assert (tmp_path / "square.ipynb").is_file()
    assert "square" in (tmp_path / "square.html").read_text()


def test_profile_reaches_the_notebook(tmp_path):
    result = run_notebook(LAB_NOTEBOOKS / "square.ipynb", profile="paper", out_dir=tmp_path)
    assert result.records["profile"] == "paper"


def test_failing_cell_is_named_and_results_are_kept(tmp_path):
    nb = build(tmp_path / "broken.ipynb", [
        ("code", "# parameters\nprofile = 'quick'"),
        ("code", "x = 1"),
        ("code", "1 / 0"),
    ])
    result = run_notebook(nb, out_dir=tmp_path / "out")
    assert not result.ok and result.ename == "ZeroDivisionError"
    assert "broken" in result.error and "cell" in result.error
    assert "ZeroDivisionError" in result.error and not result.input_error
    saved = json.loads((tmp_path / "out" / "broken.results.json").read_text())
    assert saved["ok"] is False and saved["error"] == result.error
    assert (tmp_path / "out" / "broken.html").is_file()


def test_missing_data_set_in_a_notebook_is_an_input_error(tmp_path):
    result = run_notebook(LAB_NOTEBOOKS / "needs_data.ipynb", out_dir=tmp_path,
                          parameters={"dataset": "cms/no_such.config"})
    assert not result.ok and result.input_error and "no_such.config" in result.error


@pytest.mark.parametrize("kwargs,message", [
    ({"profile": "fast"}, "unknown profile"),
    ({"parameters": {"y": 1}}, "has no parameter 'y'"),
])
def test_bad_input_is_refused_before_running(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        run_notebook(LAB_NOTEBOOKS / "square.ipynb", out_dir=tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_unknown_notebook():
    with pytest.raises(InputError, match="unknown notebook 'nope'.*00_tour"):
        run_notebook("nope")


def test_notebook_without_parameters_cell(tmp_path):
    nb = build(tmp_path / "plain.ipynb", [("code", "x = 1")])
    with pytest.raises(InputError, match="no cell tagged 'parameters'"):
        run_notebook(nb, out_dir=tmp_path)


def test_run_tag_is_file_safe():
    assert run_tag({"b": "x/y", "a": 1.5}) == "a=1.5_b=x-y"


def test_a_stuck_cell_times_out_instead_of_hanging(tmp_path):
    nb = build(tmp_path / "stuck.ipynb", [
        ("code", "# parameters\nprofile = 'quick'"),
        ("code", "import time\ntime.sleep(120)"),
    ])
    result = run_notebook(nb, out_dir=tmp_path / "out", timeout_s=3, html=False)
    assert not result.ok and "stuck" in result.error
    assert "timed out" in result.error.lower() or "timeout" in result.error.lower()
    assert result.duration_s < 60
