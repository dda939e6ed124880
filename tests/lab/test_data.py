import pytest

from labkit.lab import data
from labkit.lab.errors import InputError


def test_env_folder_is_searched_first(tmp_path, monkeypatch):
    (tmp_path / "cms").mkdir()
    (tmp_path / "cms" / "test_config.json").write_text("{}")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.search_paths()[0] == tmp_path
    assert data.locate("cms/test_config.json") == tmp_path / "cms" / "test_config.json"


def test_shared_data_is_found_after_project_data(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    root = data.project_root()
    assert data.search_paths() == [root / "data", root.parent / "shared" / "data"]
    found = data.find_data("cms/test_config.json")
    assert found is not None and found.read_text().lstrip().startswith("{")


def test_missing_data_names_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(InputError) as info:
        data.locate("cms/nothing.config")
    message = str(info.value)
    for folder in data.search_paths():
        assert str(folder / "cms/nothing.config") in message
    assert data.find_data("cms/nothing.config") is None


def test_inventory_lists_the_shared_data_sets(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    inv = data.inventory()
    rows = inv.set_index("dataset")
    assert {"cms", "suitesparse"} <= set(rows.index)
    shared = data.project_root().parent / "shared" / "data"
    assert rows.loc["cms", "files"] == sum(1 for p in (shared / "cms").iterdir() if p.is_file())
