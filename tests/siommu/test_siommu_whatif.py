"""The what-if dashboard's plain functions."""

import math

import pytest

from labkit import InputError
from labkit.lab.widgets import evaluate
from labkit.siommu import latency, whatif


def test_compute_matches_the_latency_model_on_a_missing_workload():
    frame = whatif.compute(device_us=3.15, tlb_entries=1, requests=2000)
    totals = frame.groupby("path")["us"].sum()
    for path in latency.PATHS:
        want = latency.summary(path, 4096, hit_rate=0.0, overrides={"device": 3.15})["total_us"]
        assert totals[path] == pytest.approx(want, rel=1e-3)
    assert frame.loc[frame.path == "siommu", "hit_rate"].iloc[0] == 0.0
    assert math.isnan(frame.loc[frame.path == "linux", "hit_rate"].iloc[0])


def test_bigger_tlb_and_zipf_help_only_the_siommu_path():
    small = whatif.compute(tlb_entries=16, locality="zipf", requests=5000).groupby("path").us.sum()
    big = whatif.compute(tlb_entries=65536, locality="zipf", requests=5000).groupby("path").us.sum()
    assert big["siommu"] < small["siommu"]
    assert big["linux"] == pytest.approx(small["linux"])


def test_chart_and_impossible_setting():
    chart, problem = evaluate(whatif.compute, whatif.chart, {"requests": 500})
    assert problem is None and chart.to_dict()["mark"]["type"] == "bar"
    chart, problem = evaluate(whatif.compute, whatif.chart, {"device_us": -1.0})
    assert chart is None and "device latency" in problem
    with pytest.raises(InputError, match="pattern"):
        whatif.compute(locality="diagonal")
