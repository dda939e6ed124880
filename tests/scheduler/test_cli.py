"""``labkit cms``: the JSON contract and one-line errors with exit code 2."""

import json

import pytest

from labkit.cli import main
from labkit.lab import find_data


def call(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_critical_path_json(capsys, hipileup):
    path = str(find_data("cms/reco_hipileup_5_2_0_busywait_perfectIO.config"))
    code, out, _ = call(capsys, "cms", "critical-path", "--config", path, "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"speedup_bound", "mean_event_work_s", "mean_critical_path_s"}
    assert data["speedup_bound"] == pytest.approx(data["mean_event_work_s"]
                                                  / data["mean_critical_path_s"])
    assert data["mean_critical_path_s"] == pytest.approx(18.41, abs=0.01)


def test_simulate_json_on_demo_config(capsys):
    path = str(find_data("cms/test_config.json"))
    code, out, _ = call(capsys, "cms", "simulate", "--config", path, "--cores", "2",
                        "--inflight", "2", "--events", "10", "--safety", "unsafe", "--json")
    data = json.loads(out)
    assert code == 0 and data["events"] == 10
    assert data["module_runs"] == 10 * 6
    # all thread-unsafe on one shared queue: no faster than single-threaded
    assert data["speedup_vs_serial"] == pytest.approx(1.0, rel=0.01)
    assert data["sim_time_s"] == pytest.approx(10 * 0.03)


def test_simulate_threads_backend_scaled(capsys):
    path = str(find_data("cms/test_config.json"))
    code, out, _ = call(capsys, "cms", "simulate", "--config", path, "--cores", "2",
                        "--inflight", "2", "--events", "6", "--backend", "threads",
                        "--time-scale", "0.05", "--wait", "sleep", "--json")
    assert code == 0 and json.loads(out)["events"] == 6


@pytest.mark.parametrize("argv, message", [
    (["--config", "/no/such.config"], "not found"),
    (["--cores", "0"], "--cores: must be a positive integer"),
    (["--time-scale", "-1"], "--time-scale: must be a positive number"),
    (["--safety", "maybe"], "invalid choice"),
])
def test_simulate_bad_input_exit_2(capsys, argv, message):
    base = {"--config": str(find_data("cms/test_config.json")), "--cores": "1",
            "--inflight": "1", "--events": "2"}
    args = ["cms", "simulate"]
    for key, value in base.items():
        if key not in argv:
            args += [key, value]
    code, out, err = call(capsys, *args, *argv, "--json")
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_config_file_exit_2(capsys, tmp_path):
    bad = tmp_path / "cycle.json"
    bad.write_text(json.dumps({"process": {"producers": [
        {"@label": "a", "@type": "demo::BusyWaitProducer", "averageTime": 0.1,
         "toGet": [{"label": "b", "product": ""}]},
        {"@label": "b", "@type": "demo::BusyWaitProducer", "averageTime": 0.1,
         "toGet": [{"label": "a", "product": ""}]}], "paths": {}}}))
    code, _, err = call(capsys, "cms", "critical-path", "--config", str(bad), "--json")
    assert code == 2 and "dependency cycle" in err


def _parallel_for_config(tmp_path, n_ranges, mtype="demo::EventTimesSleepingParallelForPassFilter"):
    spec = {"@label": "tracking", "@type": mtype, "eventTimes": [0.01],
            "threadType": "ThreadSafeBetweenModules", "toGet": []}
    if n_ranges is not None:
        spec["nRanges"] = n_ranges
    path = tmp_path / "imt.json"
    path.write_text(json.dumps({"process": {"filters": [spec], "paths": {"p": ["tracking"]}}}))
    return str(path)


@pytest.mark.parametrize("n_ranges, message", [
    (0, "process.filters[0].nRanges (module 'tracking'): must be a positive integer, got 0"),
    (-3, "nRanges (module 'tracking'): must be a positive integer, got -3"),
    ("4", "nRanges (module 'tracking'): must be a positive integer, got '4'"),
    (2.5, "nRanges (module 'tracking'): must be a positive integer, got 2.5"),
    (True, "nRanges (module 'tracking'): must be a positive integer, got true"),
    (None, "process.filters[0] (module 'tracking'): type "
           "'demo::EventTimesSleepingParallelForPassFilter' needs 'nRanges'"),
])
def test_bad_n_ranges_exit_2(capsys, tmp_path, n_ranges, message):
    code, out, err = call(capsys, "cms", "simulate", "--config",
                          _parallel_for_config(tmp_path, n_ranges), "--cores", "2",
                          "--inflight", "1", "--events", "2", "--json")
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_unknown_module_type_names_module_and_type(capsys, tmp_path):
    path = _parallel_for_config(tmp_path, 4, mtype="demo::EventTimesQuantumFilter")
    code, out, err = call(capsys, "cms", "simulate", "--config", path, "--cores", "2",
                          "--inflight", "1", "--events", "2", "--json")
    assert code == 2 and out == ""
    assert ("process.filters[0].@type (module 'tracking'): unknown module type "
            "'demo::EventTimesQuantumFilter'") in err
    assert len(err.strip().splitlines()) == 1


def test_parallel_for_configuration_simulates(capsys, tmp_path):
    code, out, _ = call(capsys, "cms", "simulate", "--config", _parallel_for_config(tmp_path, 4),
                        "--cores", "4", "--inflight", "1", "--events", "3", "--json")
    assert code == 0 and json.loads(out)["events"] == 3
