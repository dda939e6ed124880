"""The compiled simulation against the Python TLB and against queueing by hand."""

import numpy as np
import pandas as pd
import pytest

from labkit import InputError
from labkit.siommu import latency, params, sim, workloads
from labkit.siommu.tlb import TLB


@pytest.mark.parametrize("entries,ways,pages", [(16, 16, 1), (16, 4, 1), (8, 2, 3)])
def test_numba_tlb_matches_python_tlb(entries, ways, pages):
    trace = workloads.generate("zipf", 3000, blocks=200, processes=3, seed=4)
    misses = sim.tlb_misses(trace.pasid.to_numpy(), trace.block.to_numpy(), pages,
                            entries // ways, ways)
    tlb = TLB(entries, ways, "lru")
    expected = []
    for p, b in zip(trace.pasid, trace.block):
        m = 0
        for k in range(pages):
            if tlb.lookup(1, int(p), 0, int(b) + k) is None:
                tlb.fill(1, int(p), 0, int(b) + k, "e")
                m += 1
        expected.append(m)
    assert misses.tolist() == expected


def test_qd1_latency_equals_the_analytic_breakdown():
    trace = workloads.generate("uniform", 500, seed=1)
    for path in latency.PATHS:
        r = sim.simulate(trace, path=path, tlb_entries=1)
        want = latency.summary(path, 4096, hit_rate=0.0 if path == "siommu" else None)
        assert r.latency_us.mean() == pytest.approx(want["total_us"], rel=1e-3)
        assert r.iops == pytest.approx(1e6 / want["total_us"], rel=1e-3)   # Little's law, N=1


def test_saturation_matches_the_bottleneck():
    trace = workloads.generate("uniform", 20000, seed=2)
    dev = params.DEVICES["optane"]
    r = sim.simulate(trace, path="spdk", threads=4, queue_depth=16)
    assert r.iops == pytest.approx(dev.channels / dev.service_us(4096) * 1e6, rel=0.01)
    linux = sim.simulate(trace, path="linux", threads=1, queue_depth=16)
    cpu = sum(v for k, v in latency.breakdown("linux", 4096).items()
              if latency.KIND[k] == "os")
    assert linux.iops == pytest.approx(1e6 / cpu, rel=0.01)
    # Little's law: mean outstanding = throughput x mean latency
    assert r.iops / 1e6 * r.latency_us.mean() == pytest.approx(64, rel=0.01)


def test_hit_rate_of_a_loop_that_fits_and_one_that_does_not():
    fits = pd.DataFrame({"pasid": 1, "block": np.tile(np.arange(32), 100)})
    assert sim.simulate(fits, tlb_entries=32).hit_rate == pytest.approx(1 - 32 / 3200)
    thrash = pd.DataFrame({"pasid": 1, "block": np.tile(np.arange(33), 100)})
    assert sim.simulate(thrash, tlb_entries=32).hit_rate == 0.0     # LRU on a cyclic scan


def test_shared_file_under_many_pasids_lowers_hit_rate():
    one = workloads.generate("shared", 20000, blocks=4096, processes=1, seed=3)
    many = workloads.generate("shared", 20000, blocks=4096, processes=8, seed=3)
    assert (sim.simulate(many, tlb_entries=256).hit_rate
            < sim.simulate(one, tlb_entries=256).hit_rate)


def test_zipf_frequencies_follow_the_law():
    rng = np.random.default_rng(0)
    draws = workloads.zipf_blocks(rng, 200000, 50, 1.0)
    counts = np.sort(np.bincount(draws, minlength=50))[::-1]
    expected = (1 / np.arange(1, 51)) / (1 / np.arange(1, 51)).sum() * 200000
    assert np.allclose(counts[:5], expected[:5], rtol=0.05)


def test_sequential_runs_are_contiguous():
    t = workloads.generate("sequential", 640, blocks=10**6, run=64, seed=0)
    steps = np.diff(t.block.to_numpy().reshape(10, 64), axis=1)
    assert (steps == 1).all()


@pytest.mark.parametrize("trace,match", [
    (pd.DataFrame({"pasid": [1]}), "missing column"),
    (pd.DataFrame({"pasid": [1, 2], "block": [0, "x"]}), "row 1"),
    (pd.DataFrame({"pasid": [1], "block": [1.5]}), "row 0"),
    (pd.DataFrame({"pasid": [1], "block": [1], "write": ["maybe"]}), "write"),
    (pd.DataFrame({"pasid": [], "block": []}), "no requests"),
    (pd.DataFrame({"pasid": [1 << 21], "block": [0]}), "PASID"),
])
def test_bad_trace(trace, match):
    with pytest.raises(InputError, match=match):
        sim.simulate(trace)


def test_bad_simulation_settings():
    t = workloads.generate("uniform", 10)
    with pytest.raises(InputError, match="ways"):
        sim.simulate(t, tlb_entries=6, ways=4)
    with pytest.raises(InputError, match="queue_depth"):
        sim.simulate(t, queue_depth=0)
    with pytest.raises(InputError, match="pattern"):
        workloads.generate("random-walk", 10)


def test_compiled_tlb_agrees_with_the_functional_siommu():
    """The same trace through the FIG. 4 unit (tables built by open) and the fast pass."""
    from labkit.siommu.request import Request
    from labkit.siommu.system import Machine

    trace = workloads.generate("shared", 4000, blocks=300, processes=3, seed=5)
    m = Machine({0: 1000}, entries=32, tlb="split")
    m.fs.create("shared.dat", [(0, 0, 300)])
    fds = {p: m.kernel.open(p, "shared.dat", "r") for p in (1, 2, 3)}
    functional = []
    for p, b in zip(trace.pasid.tolist(), trace.block.tolist()):
        device, address = m.kernel.address(p, fds[p], b * 4096)
        t = m.unit.translate(Request(1, p, device, address))
        assert t.ok and t.physical_page == b
        functional.append(t.source == "walk")
    fast = sim.tlb_misses(trace.pasid.to_numpy(), trace.block.to_numpy(), 1, 1, 32)
    assert fast.astype(bool).tolist() == functional


def test_cli_simulate_json(capsys):
    from labkit.cli import main
    import json

    assert main(["siommu", "simulate", "--pattern", "zipf", "--requests", "2000",
                 "--queue-depth", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requests"] == 2000 and 0 <= out["tlb_hit_rate"] <= 1 and out["iops"] > 0


def test_sweep_is_one_simulation_per_grid_point():
    trace = workloads.generate("zipf", 3000, blocks=4096, seed=3)
    frame = sim.sweep({"z": trace}, name="pattern", path="siommu", tlb_entries=[16, 256],
                      ways=[1, 16])
    assert list(frame.columns[:4]) == ["pattern", "path", "tlb_entries", "ways"]
    assert len(frame) == 4 and set(frame["pattern"]) == {"z"}
    for row in frame.itertuples():
        want = sim.simulate(trace, path="siommu", tlb_entries=row.tlb_entries, ways=row.ways)
        assert row.tlb_hit_rate == want.hit_rate
        assert row.mean_latency_us == pytest.approx(want.latency_us.mean())
    # a bigger TLB never hits less on the same trace
    fully = frame[frame.ways == 16].set_index("tlb_entries").tlb_hit_rate
    assert fully[256] >= fully[16]
    single = sim.sweep(trace, path=["linux", "spdk"], queue_depth=2)
    assert list(single["path"]) == ["linux", "spdk"] and "trace" not in single
    with pytest.raises(InputError, match="ways"):
        sim.sweep(trace, tlb_entries=16, ways=[3])
    with pytest.raises(InputError, match="trace"):
        sim.sweep({})


@pytest.mark.parametrize("path,threads,qd,entries,ways", [
    ("siommu", 1, 1, 64, None), ("siommu", 3, 4, 16, 4), ("linux", 2, 8, 64, None),
    ("spdk", 4, 16, 64, None), ("siommu", 20, 2, 8, 2)])
def test_compiled_engine_equals_the_python_engine(path, threads, qd, entries, ways):
    """Bit-identical per-request latencies and misses (heap vs scan, numba vs TLB class)."""
    trace = workloads.generate("zipf", 1500, blocks=400, processes=3, write_fraction=0.3,
                               seed=7)
    trace["size"] = np.random.default_rng(1).choice([512, 4096, 8192, 65536], len(trace))
    kw = dict(path=path, threads=threads, queue_depth=qd, tlb_entries=entries, ways=ways)
    fast, slow = sim.simulate(trace, **kw), sim.simulate(trace, engine="python", **kw)
    assert np.array_equal(fast.latency_us, slow.latency_us)
    assert np.array_equal(fast.misses, slow.misses)
    assert fast.makespan_us == slow.makespan_us and fast.pages == slow.pages


def test_per_request_sizes_cost_their_own_breakdown():
    trace = pd.DataFrame({"pasid": 1, "block": [0, 100, 200], "size": [4096, 16384, 131072]})
    r = sim.simulate(trace, path="spdk")
    want = [latency.summary("spdk", s)["total_us"] for s in (4096, 16384, 131072)]
    assert r.latency_us == pytest.approx(want)
    hits = sim.simulate(trace, tlb_entries=64)
    assert hits.pages == 1 + 4 + 32 and hits.misses.tolist() == [1, 4, 32]
    with pytest.raises(InputError, match="size"):
        sim.simulate(trace.assign(size=[4096, 0, 1]))
    with pytest.raises(InputError, match="engine"):
        sim.simulate(trace, engine="fortran")


@pytest.mark.parametrize("entries,ways", [(512, 512), (256, 4), (1024, 1)])
def test_compiled_tlb_under_heavy_eviction_matches_python(entries, ways):
    """Thousands of evictions through the hash table's deletions (backward shifts)."""
    from labkit.siommu import sim_python

    trace = workloads.generate("zipf", 20000, blocks=5000, processes=5, alpha=0.6, seed=9)
    args = (trace.pasid.to_numpy(), trace.block.to_numpy(), 2, entries // ways, ways)
    fast, slow = sim.tlb_misses(*args), sim_python.tlb_misses(*args)
    assert fast.sum() > 10000 and np.array_equal(fast, slow)
