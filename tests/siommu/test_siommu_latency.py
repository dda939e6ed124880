"""The latency model against hand computations, and the command line."""

import json
import math

import pytest

from labkit import InputError
from labkit.cli import main
from labkit.siommu import latency, params


def test_linux_4k_breakdown_by_hand():
    b = latency.breakdown("linux", 4096)
    dev = params.DEVICES["optane"]
    assert b["filesystem"] == 2.006 and b["syscall"] == 0.351
    assert b["copy"] == pytest.approx(4096 / 10e3)
    assert b["transfer"] == pytest.approx(4096 / 7.2e3)
    # the device's 512 B time is XRP's 3.224 us
    assert dev.service_us(512) == pytest.approx(3.224)
    total = 0.351 + 0.199 + 2.006 + 0.379 + 0.113 + 1.0 + 0.4096 + dev.service_us(4096)
    s = latency.summary("linux", 4096)
    assert s["total_us"] == pytest.approx(total)
    assert s["os_share"] == pytest.approx((total - dev.service_us(4096)) / total)


def test_siommu_walk_cost_by_hand():
    full_miss = latency.breakdown("siommu", 4096, hit_rate=0.0, walk_levels=4, memory_us=0.1)
    assert full_miss["page_walk"] == pytest.approx(4 * 0.1)
    big = latency.breakdown("siommu", 8 * 4096, hit_rate=0.0, walk_levels=4, memory_us=0.1)
    assert big["page_walk"] == pytest.approx((4 + 7) * 0.1)       # first walk + 7 leaves
    assert big["tlb"] == pytest.approx(2 * 8 * params.SIOMMU["tlb_lookup"][0])
    hit = latency.breakdown("siommu", 4096, hit_rate=1.0)
    assert hit["page_walk"] == 0
    assert latency.summary("siommu", 4096)["os_share"] == 0


def test_default_hit_rate_is_entries_over_working_set():
    assert latency.uniform_hit_rate(64, 262144) == pytest.approx(64 / 262144)
    assert latency.uniform_hit_rate(10**6, 100) == 1.0
    a = latency.breakdown("siommu", 4096, tlb_entries=131072)
    assert a["page_walk"] == pytest.approx(0.5 * 4 * params.MEMORY_US[0])


def test_spdk_is_device_plus_submit_and_poll():
    s = latency.summary("spdk", 65536, device="flash")
    dev = params.DEVICES["flash"]
    assert s["total_us"] == pytest.approx(0.15 + 0.10 + dev.service_us(65536))


def test_headline_is_consistent_with_totals():
    h = latency.headline()
    assert h["siommu_cut_vs_linux"] == pytest.approx(1 - h["siommu_us"] / h["linux_us"])
    t = latency.totals(sizes=[4096]).set_index("path")
    assert t.loc["spdk", "total_us"] == pytest.approx(h["spdk_us"])
    f = latency.frame(sizes=[512, 4096])
    assert set(f["kind"]) == {"os", "user", "translation", "device"}


@pytest.mark.parametrize("kwargs,match", [
    ({"path": "windows", "size": 4096}, "unknown I/O path"),
    ({"path": "linux", "size": 0}, "positive"),
    ({"path": "linux", "size": -5}, "positive"),
    ({"path": "linux", "size": 4096, "device": "tape"}, "unknown device"),
    ({"path": "siommu", "size": 4096, "tlb_entries": 0}, "TLB entries"),
    ({"path": "siommu", "size": 4096, "hit_rate": 1.5}, "hit_rate"),
    ({"path": "linux", "size": 4096, "overrides": {"warp": 1}}, "unknown latency components"),
])
def test_bad_latency_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        latency.summary(**kwargs)


def test_cli_latency_json(capsys):
    assert main(["siommu", "latency", "--size", "4096", "--path", "siommu", "--tlb-entries",
                 "262144", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"total_us", "breakdown_us", "os_share"}
    assert out["breakdown_us"]["page_walk"] == 0
    assert math.isclose(out["total_us"], sum(out["breakdown_us"].values()))


@pytest.mark.parametrize("argv,match", [
    (["--size", "4096", "--path", "nfs"], "unknown I/O path"),
    (["--size", "0", "--path", "linux"], "positive"),
    (["--size", "abc", "--path", "linux"], "invalid int"),
    (["--size", "4096", "--path", "siommu", "--tlb-entries", "-1"], "TLB entries"),
])
def test_cli_bad_input_exits_2(argv, match, capsys):
    assert main(["siommu", "latency", *argv, "--json"]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_cli_simulate_bad_trace(tmp_path, capsys):
    bad = tmp_path / "t.csv"
    bad.write_text("pasid,block\n1,5\n1,-3\n")
    assert main(["siommu", "simulate", "--trace", str(bad), "--json"]) == 2
    assert "row 1" in capsys.readouterr().err
    assert main(["siommu", "simulate", "--trace", str(tmp_path / "nope.csv"), "--json"]) == 2
    assert "not found" in capsys.readouterr().err


def test_os_time_needed_reaches_the_share_exactly():
    extra = latency.os_time_needed(0.60, "linux", 4096)
    base = latency.summary("linux", 4096)
    assert base["os_share"] < 0.60 and extra > 0
    # the same time added to a kernel component gives exactly 60%
    irq = latency.breakdown("linux", 4096)["interrupt"]
    after = latency.summary("linux", 4096, overrides={"interrupt": irq + extra})
    assert after["os_share"] == pytest.approx(0.60)
    assert latency.os_time_needed(0.10, "linux", 4096) == 0.0       # already above
    for bad in (1.0, -0.1, "0.6"):
        with pytest.raises(InputError, match="share"):
            latency.os_time_needed(bad)


def test_sensitivity_rows_are_headlines_with_one_cost_set():
    sens = latency.sensitivity("translation_request", [0.0, 0.3], 4096, hit_rates=(0.0, 1.0))
    assert list(sens["translation_request_us"]) == [0.0, 0.0, 0.3, 0.3]
    assert list(sens["hit_rate"]) == ["0.0", "1.0", "0.0", "1.0"]
    row = sens.iloc[3]
    want = latency.headline(4096, hit_rate=1.0, overrides={"translation_request": 0.3})
    assert row["siommu_over_spdk"] == pytest.approx(want["siommu_over_spdk"])
    # a dearer translation request moves SIOMMU away from SPDK
    assert sens.iloc[2]["siommu_over_spdk"] > sens.iloc[0]["siommu_over_spdk"]
    model = latency.sensitivity("interrupt", [2.0])
    assert model["hit_rate"].tolist() == ["model"]
    assert model["linux_os_share"].iloc[0] > latency.headline(4096)["linux_os_share"]
    with pytest.raises(InputError, match="component"):
        latency.sensitivity("warp_drive", [1.0])
