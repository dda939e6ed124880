import pandas as pd
import pytest

from labkit.lab.errors import InputError
from labkit.lab.sweep import expand_grid, run_sweep
from tests.conftest import LAB_NOTEBOOKS


def test_expand_grid_is_the_cartesian_product():
    points = expand_grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(points) == 6 and points[0] == {"a": 1, "b": "x"} and points[-1] == {"a": 2, "b": "z"}
    with pytest.raises(InputError):
        expand_grid({})


def test_sweep_on_two_worker_cluster_keeps_failures(tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        frame = run_sweep(LAB_NOTEBOOKS / "square.ipynb", {"x": [2, "boom", 5]},
                          out_dir=tmp_path, client=client, progress=False)
    assert list(frame["x"]) == [2, "boom", 5]
    assert list(frame["ok"]) == [True, False, True]
    assert frame.loc[frame["ok"], "square"].tolist() == [4, 25]
    assert "TypeError" in frame.loc[1, "error"]
    saved = pd.read_csv(tmp_path / "sweep-square" / "sweep.csv")
    assert len(saved) == 3


def test_sweep_refuses_unknown_parameter_before_starting(tmp_path):
    with pytest.raises(InputError, match="has no parameter 'y'"):
        run_sweep(LAB_NOTEBOOKS / "square.ipynb", {"y": [1]}, out_dir=tmp_path)
