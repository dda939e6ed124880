"""Configurations of the wrong shape or with impossible values are refused by
``labkit cms`` before anything is built, naming the JSON path of the bad field; every
shipped configuration still loads."""

import json

import pytest

from labkit.cli import main
from labkit.lab import find_data
from labkit.scheduler.hep.config import MAX_TIME_S, load, validate_config

from .test_cli_inputs import refused, simulate_args


def base():
    return {"process": {
        "options": {"nSimultaneousEvents": 2},
        "source": {"@type": "demo::SimpleSource", "iterations": 5},
        "producers": [{"@label": "a", "@type": "demo::EventTimesBusyWaitProducer",
                       "eventTimes": [0.1, 0.2], "toGet": []}],
        "filters": [{"@label": "f", "@type": "demo::PassFilter",
                     "toGet": [{"label": "a", "product": ""}]},
                    {"@label": "g", "@type": "demo::BusyWaitPassFilter", "averageTime": 0.5}],
        "paths": {"p1": ["f"], "p2": ["g"], "p3": ["f", "g"]},
    }}


def write(tmp_path, data, name="c.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def critical_path(path):
    return ["cms", "critical-path", "--config", path, "--json"]


def mutated(change):
    data = base()
    change(data["process"])
    return data


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(options=[1]), "process.options: must be an object, got a list of numbers"),
    (lambda p: p.update(source="x"), "process.source: must be an object, got 'x'"),
    (lambda p: p["paths"].update(p3=[["f"], ["g"]]),
     "process.paths.p3: must be a list of module labels (strings), got a list of lists"),
    (lambda p: p.update(paths=[["f"]]), "process.paths: must be an object, got a list of lists"),
    (lambda p: p.update(producers={"a": 1}), "process.producers: must be a list, got an object"),
    (lambda p: p["filters"].append(7), "process.filters[2]: must be an object, got 7"),
    (lambda p: p["filters"][1].update(averageTime=1e308),
     f"process.filters[1].averageTime (module 'g'): must be a time in 0..{MAX_TIME_S:g} s, "
     "got 1e+308"),
    (lambda p: p["producers"][0]["eventTimes"].append(-0.5),
     "process.producers[0].eventTimes[2] (module 'a'): must be a time in 0..1e+06 s, got -0.5"),
    (lambda p: p["producers"][0].update(eventTimes=[]),
     "process.producers[0].eventTimes (module 'a'): is empty"),
    (lambda p: p["producers"][0].update(eventTimes=[0.1, None]),
     "process.producers[0].eventTimes[1] (module 'a'): must be a time in seconds (a number), "
     "got null"),
    (lambda p: p["filters"][1].pop("averageTime"),
     "process.filters[1].averageTime (module 'g'): missing"),
    (lambda p: p["filters"][0].update(toGet=["a"]),
     "process.filters[0].toGet[0] (module 'f'): must be an object {label, product}"),
    (lambda p: p["producers"][0].update({"@label": 3}),
     "process.producers[0].@label: every module needs a non-empty string label, got 3"),
    (lambda p: p["options"].update(nSimultaneousEvents=0),
     "process.options.nSimultaneousEvents: must be a positive integer, got 0"),
    (lambda p: p["options"].update(busyWaitScaleFactor=-1),
     "process.options.busyWaitScaleFactor: must be a positive number, got -1"),
    (lambda p: p["options"].update(nThreads=True),
     "process.options.nThreads: must be a positive integer, got true"),
    (lambda p: p["source"].update(iterations="many"),
     "process.source.iterations: must be a positive integer, got 'many'"),
])
def test_bad_shapes_name_the_json_path(capsys, tmp_path, change, message):
    refused(capsys, critical_path(write(tmp_path, mutated(change))),
            f"--config c.json: {message}")


def test_bad_shapes_are_refused_by_simulate_too(capsys, tmp_path):
    data = mutated(lambda p: p["paths"].update(p3=[["f"]]))
    refused(capsys, simulate_args(write(tmp_path, data)), "process.paths.p3:")


def test_the_top_level_must_be_an_object(capsys, tmp_path):
    refused(capsys, critical_path(write(tmp_path, [1, 2])),
            "top level: must be an object with a 'process' object, got a list of numbers")


def test_deep_nesting_is_refused_without_recursion_error(capsys, tmp_path):
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    refused(capsys, critical_path(path), "--config c.json: nested deeper than 64 levels")


def test_nan_literal_is_refused(capsys, tmp_path):
    text = json.dumps(base()).replace('"averageTime": 0.5', '"averageTime": NaN')
    refused(capsys, critical_path(write(tmp_path, text)), "NaN is not a number JSON allows")


def test_malformed_json_names_the_file_and_place(capsys, tmp_path):
    refused(capsys, critical_path(write(tmp_path, '{"process": [}', name="broken.config")),
            "--config broken.config: not valid JSON (", "line 1, column 14")


def zero_times(process):
    process["producers"][0]["eventTimes"] = [0.0, 0.0]
    process["filters"][1]["averageTime"] = 0


def test_a_configuration_without_work_has_no_speedup_bound(capsys, tmp_path):
    refused(capsys, critical_path(write(tmp_path, mutated(zero_times))),
            "every module time is 0", "speedup bound (work / critical path) is undefined")


def test_a_configuration_without_work_cannot_be_simulated(capsys, tmp_path):
    refused(capsys, simulate_args(write(tmp_path, mutated(zero_times))),
            "the modules do no work on these 10 events",
            "throughput and speedup over single-threaded are undefined")


def test_zero_work_with_an_overhead_model_is_defined(capsys, tmp_path):
    args = simulate_args(write(tmp_path, mutated(zero_times)))
    code = main([*args[:-1], "--overhead", "0.001,0,0,0", "--json"])
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert code == 0 and data["throughput_ev_per_s"] > 0 and "nonfinite" not in data


def test_a_good_configuration_gives_a_finite_bound(capsys, tmp_path):
    code = main(critical_path(write(tmp_path, base())))
    out, _ = capsys.readouterr()
    data = json.loads(out)
    # by hand: events 0 and 1 (a's cycle); f waits on a, g stands alone on 0.5 s
    work = [0.1 + 0.5, 0.2 + 0.5]
    assert code == 0
    assert data["mean_event_work_s"] == pytest.approx(sum(work) / 2)
    assert data["mean_critical_path_s"] == pytest.approx(0.5)


def test_validate_config_returns_the_process_and_is_the_one_schema():
    data = base()
    assert validate_config(data, "x") is data["process"]
    with pytest.raises(ValueError, match=r"^x: process\.paths\.p1: must be a list of module"):
        validate_config(mutated(lambda p: p["paths"].update(p1="f")), "x")


def test_every_shipped_configuration_passes_the_schema():
    folder = find_data("cms")
    if folder is None:
        pytest.skip("CMS data not available")
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".config", ".json"))
    assert len(paths) >= 11
    for path in paths:
        raw = json.loads(path.read_text())
        assert validate_config(raw, path.name) is raw["process"]
        assert load(path, "--config").name == path.name
