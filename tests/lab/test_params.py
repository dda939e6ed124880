import pytest

from labkit.lab.errors import InputError
from labkit.lab.params import parse_assignments, parse_grid, parse_value


def test_values_parse_as_json_or_stay_strings():
    assert parse_value("3") == 3
    assert parse_value("0.5") == 0.5
    assert parse_value("true") is True
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("busy") == "busy"


def test_assignments():
    assert parse_assignments(["n=3", "wait=sleep", "path=a=b"]) == {"n": 3, "wait": "sleep",
                                                                    "path": "a=b"}
    assert parse_assignments(None) == {}


@pytest.mark.parametrize("bad", ["x", "=3", "x=", "1x=2", "a b=1"])
def test_malformed_assignment_names_the_item(bad):
    with pytest.raises(InputError, match="malformed parameter"):
        parse_assignments([bad])


def test_repeated_key_is_refused():
    with pytest.raises(InputError, match="given twice"):
        parse_assignments(["n=1", "n=2"])


def test_grid():
    assert parse_grid(["n=1,2,3", "w=busy"]) == {"n": [1, 2, 3], "w": ["busy"]}
    with pytest.raises(InputError, match="empty item"):
        parse_grid(["n=1,,3"])
