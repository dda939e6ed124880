"""The BypassD-setup studies against XRP's published total and hand-computed queueing."""

import pytest

from labkit import InputError
from labkit.siommu import bypassd, params

DEV = params.DEVICES["optane"]


def test_psync_at_512_bytes_is_xrps_measured_total():
    assert bypassd.total("psync", 512) == pytest.approx(params.XRP_TOTAL_512_US[0], abs=0.005)


def test_latency_by_hand_at_4k():
    device = DEV.read_us + 4096 / 7200
    assert bypassd.total("spdk", 4096) == pytest.approx(0.15 + 0.10 + device)
    assert bypassd.total("siommu", 4096) == pytest.approx(0.25 + 0.15 + 0.55 + 0.10 + device)
    assert bypassd.total("siommu_emulated", 4096) == pytest.approx(0.25 + 0.15 + 1.0 + 0.10 + device)
    assert bypassd.total("libaio", 4096) == pytest.approx(
        0.351 + 0.20 + 2.006 + 0.379 + 0.113 + 0.45 + device)
    frame = bypassd.latency_vs_size()
    assert set(frame.size_kib) == {4, 8, 16, 32, 64, 128} and set(frame.path) == set(bypassd.PATHS)
    one = frame[(frame.path == "psync") & (frame.size_kib == 128)]
    assert one.us.sum() == pytest.approx(one.total_us.iloc[0])
    assert one.set_index("component").us["transfer"] == pytest.approx(131072 / 7200)


def test_throughput_is_cpu_bound_then_device_bound():
    frame = bypassd.throughput(threads=[1, 20], requests_per_thread=500).set_index(["path", "threads"])
    cap = DEV.channels / (DEV.read_us + 4096 / 7200) * 1e3          # kIOPS
    for path in bypassd.PATHS:
        assert frame.kiops[(path, 1)] == pytest.approx(1e3 / bypassd.total(path, 4096), rel=1e-3)
        assert frame.kiops[(path, 20)] == pytest.approx(cap, rel=0.01)


def test_background_readers_queue_at_the_device():
    frame = bypassd.background(readers=[0, 16], paths=["spdk"], requests_per_reader=500)
    alone, crowded = frame.latency_us.tolist()
    assert alone == pytest.approx(bypassd.total("spdk", 4096))
    cap = DEV.channels / (DEV.read_us + 4096 / 7200)                # requests per us
    assert crowded == pytest.approx(17 / cap, rel=0.01)             # Little's law, 17 readers


def test_what_the_failing_claims_would_need():
    need = bypassd.what_claims_need()
    psync = bypassd.layers("psync", 4096)
    os_us = sum(v for k, v in psync.items() if k not in ("device", "transfer"))
    x = need["os_share_60_extra_kernel_us"]
    assert (os_us + x) / (sum(psync.values()) + x) == pytest.approx(0.60)
    bypass = bypassd.layers("siommu", 4096)
    with_max = sum(bypass.values()) - bypass["translation"] + need["near_spdk_10_max_translation_us"]
    assert with_max / bypassd.total("spdk", 4096) == pytest.approx(1.10)
    assert need["siommu_over_spdk"] > 0.10 and need["psync_os_share"] < 0.60


def test_bad_inputs():
    with pytest.raises(InputError, match="path"):
        bypassd.layers("aio", 4096)
    with pytest.raises(InputError, match="size"):
        bypassd.layers("psync", 0)
    with pytest.raises(InputError, match="background"):
        bypassd.background(readers=[-1])
    with pytest.raises(InputError, match="threads"):
        bypassd.throughput(threads=[0])


def test_o_direct_and_spdk_need_whole_sectors():
    for path in bypassd.WHOLE_SECTORS:
        with pytest.raises(InputError, match="multiple of 512"):
            bypassd.layers(path, 4000)
        assert bypassd.layers(path, 4608)["transfer"] == pytest.approx(4608 / 7200)
    assert bypassd.total("siommu", 4000) < bypassd.total("siommu", 4096)
