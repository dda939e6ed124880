"""Reading toy-mt-framework configurations and refusing bad ones, naming the module."""

import json

import numpy as np
import pytest

from labkit import InputError
from labkit.lab import find_data
from labkit.scheduler.hep.config import load, parse


def good():
    return {"process": {
        "options": {"nSimultaneousEvents": 2},
        "source": {"@type": "demo::SimpleSource", "iterations": 5},
        "producers": [
            {"@label": "a", "@type": "demo::EventTimesBusyWaitProducer",
             "threadType": "ThreadSafeBetweenInstances", "eventTimes": [0.1, 0.2], "toGet": []},
            {"@label": "b", "@type": "demo::EventTimesSleepingProducer",
             "threadType": "ThreadUnsafe", "eventTimes": [0.3],
             "toGet": [{"label": "a", "product": ""}]},
        ],
        "filters": [
            {"@label": "outputX", "@type": "demo::EventTimesBusyWaitPassFilter",
             "threadType": "ThreadSafeBetweenModules", "eventTimes": [0.05],
             "toGet": [{"label": "b", "product": ""}]},
        ],
        "paths": {"o": ["outputX"]},
    }}


def test_parse_good_configuration():
    config = parse(good())
    by = config.by_label
    assert [m.label for m in config.modules] == ["a", "b", "outputX"]
    assert by["b"].wait == "sleep" and by["b"].thread_type == "ThreadUnsafe"
    assert by["outputX"].kind == "output"
    assert by["a"].work(3) == 0.2  # event i uses eventTimes[i % len]
    assert config.events == 5 and config.inflight == 2


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["producers"][0].update({"@type": "demo::Bogus"}), r"producers\[0\]\.@type \(module 'a'\): unknown module type"),
    (lambda p: p["producers"][1]["toGet"].append({"label": "zz", "product": ""}),
     "'b': depends on missing label 'zz'"),
    (lambda p: p["producers"][0]["toGet"].append({"label": "b", "product": ""}),
     "dependency cycle"),
    (lambda p: p["paths"].update({"bad": ["a"]}), "path 'bad': module 'a' is a producer"),
    (lambda p: p["paths"].update({"bad": ["nope"]}), "path 'bad': names missing module"),
    (lambda p: p["producers"][0].update({"eventTimes": [0.1, -2]}), r"producers\[0\]\.eventTimes\[1\] \(module 'a'\): must be a time in 0\.\.1e\+06 s, "
     r"got -2"),
    (lambda p: p["producers"][1].update({"eventTimes": ["fast"]}), r"producers\[1\]\.eventTimes\[0\] \(module 'b'\): must be a time in seconds "
     r"\(a number\), got 'fast'"),
    (lambda p: p["producers"][1].update({"threadType": "Sometimes"}), r"producers\[1\]\.threadType \(module 'b'\): unknown threadType 'Sometimes'"),
    (lambda p: p["producers"].append(dict(p["producers"][0])), "'a': label used twice"),
])
def test_bad_configurations_name_the_module(mutate, message):
    data = good()
    mutate(data["process"])
    with pytest.raises(InputError, match=message):
        parse(data)


def test_cycle_message_names_modules():
    data = good()
    data["process"]["producers"][0]["toGet"].append({"label": "b", "product": ""})
    with pytest.raises(InputError) as info:
        parse(data)
    assert "'a'" in str(info.value) or "'b'" in str(info.value)


def test_malformed_json_and_missing_file(tmp_path):
    bad = tmp_path / "bad.config"
    bad.write_text('{"process": {"producers": [}')
    with pytest.raises(InputError, match=r"bad.config: not valid JSON \(.* at line 1"):
        load(bad)
    with pytest.raises(InputError, match="not found"):
        load(tmp_path / "missing.json")
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps(good()))
    assert load(ok).name == "ok.json"


def test_real_configurations(hipileup):
    assert len(hipileup.modules) == 491
    assert sum(m.kind == "output" for m in hipileup.modules) == 2
    demo = load(find_data("cms/test_config.json"))
    assert [p.labels for p in demo.paths] == [("first", "second", "third", "fourth")]
    assert demo.by_label["beta"].work(7) == 0.02
    minbias = load(find_data("cms/reco_minbias_busywait.config"))
    kinds = [m.thread_type for m in minbias.modules]
    assert kinds.count("ThreadUnsafe") == 4 and kinds.count("ThreadSafeBetweenModules") == 1
    # independent reference: mean summed eventTimes straight from the JSON
    raw = json.loads(find_data("cms/reco_hipileup_5_2_0_busywait_perfectIO.config").read_text())
    mods = raw["process"]["producers"] + raw["process"]["filters"]
    work = np.mean([sum(m["eventTimes"][i % len(m["eventTimes"])] for m in mods)
                    for i in range(100)])
    assert work == pytest.approx(23.88, abs=0.005)


def test_every_shipped_configuration_reads_and_runs():
    """Every configuration of the data folder (the ones the real framework reads) loads and
    simulates a few events, ParallelFor ones included."""
    from labkit.scheduler.hep.processor import EventProcessor
    from labkit.scheduler.runtime import make_runtime

    folder = find_data("cms")
    if folder is None:
        pytest.skip("CMS data not available")
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".config", ".json"))
    assert len(paths) >= 11
    for path in paths:
        config = load(path)
        raw = json.loads(path.read_text())["process"]
        assert len(config.modules) == len(raw.get("producers", [])) + len(raw.get("filters", []))
        result = EventProcessor(make_runtime("sim", 8, record=False), config.modules,
                                config.paths, inflight=2).run(3)
        assert (result.events.status == "ok").all(), path.name


def test_nthreads_is_read_and_checked():
    data = good()
    data["process"]["options"]["nThreads"] = 6
    assert parse(data).threads == 6
    assert parse(good()).threads is None
    for bad in (0, -1, 2.5, "4", True):
        data["process"]["options"]["nThreads"] = bad
        with pytest.raises(InputError, match="process.options.nThreads: must be a positive integer"):
            parse(data)


def test_a_configurations_nthreads_limits_its_pool(tmp_path):
    from labkit.scheduler.hep import study

    data = good()
    for spec in data["process"]["producers"] + data["process"]["filters"]:
        spec["threadType"] = "ThreadSafeBetweenInstances"
        spec["@type"] = spec["@type"].replace("BusyWait", "Sleeping")
    free = study.run_framework(parse(data), cores=1, inflight=8, events=16)
    data["process"]["options"]["nThreads"] = 1
    fixed = study.run_framework(parse(data), cores=1, inflight=8, events=16)
    assert fixed.sim_time_s > 2 * free.sim_time_s  # one thread: the sleeping modules queue
