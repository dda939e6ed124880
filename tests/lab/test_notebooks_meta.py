import pytest

from labkit.lab.errors import InputError
from labkit.lab.nbtools import build
from labkit.lab.notebooks import catalog, parameters, resolve


def test_parameters_read_any_literal(tmp_path):
    nb = build(tmp_path / "p.ipynb", [
        ("code", '# parameters\nprofile = "quick"\nexpr = "X(i,j)=B(i,k)*C(k,j)"  # with =\n'
                 "cores: int = 16\nsizes = [1, 2]\nscale = 2 ** 3"),
    ])
    found = parameters(nb)
    assert list(found) == ["profile", "expr", "cores", "sizes", "scale"]
    assert found["expr"] == {"default": '"X(i,j)=B(i,k)*C(k,j)"', "type": "str"}
    assert found["cores"]["type"] == "int" and found["sizes"]["type"] == "list"
    assert found["scale"] == {"default": "2 ** 3", "type": "None"}


def test_parameters_cell_with_bad_syntax_is_named(tmp_path):
    nb = build(tmp_path / "bad.ipynb", [("code", "# parameters\nprofile = (")])
    with pytest.raises(InputError, match="bad: its parameters cell is not valid Python"):
        parameters(nb)


def test_every_project_notebook_has_a_profile_parameter():
    table = catalog()
    assert len(table) >= 1 and "00_tour" in set(table["notebook"])
    for stem in table["notebook"]:
        assert parameters(resolve(stem))["profile"]["default"] == '"quick"', stem
