"""The dispatch sample, complete: non-cached lookups, contention, try-lock, the registry report."""

import json

import numpy as np
import pandas as pd
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.smm import dispatch_cost, registry_report, trylock
from labkit.smm.registry import Registry
from labkit.smm.spec import make_spec


def test_noncached_lookups_find_the_kernels():
    out = dispatch_cost.noncached_lookup_ns(calls=300)
    assert out["cached"] > 0 and out["non-cached"] > 0


def test_contention_rows_and_serialization():
    frame = dispatch_cost.contention((1, 2), lookups=200)
    assert set(zip(frame["operation"], frame["threads"])) == {
        ("lookup", 1), ("lookup", 2), ("generation", 1), ("generation", 2)}
    lookups = frame[frame["operation"] == "lookup"].set_index("threads")
    assert lookups.loc[2, "per_op_ns"] == pytest.approx(lookups.loc[2, "wall_s"] / 400 * 1e9)
    made = pd.DataFrame({"operation": ["generation"] * 2, "threads": [1, 2], "wall_s": [1.0, 1.9]})
    assert dispatch_cost.serialization(made) == pytest.approx(0.95)


def test_fallback_equals_numpy_for_every_option():
    rng = np.random.default_rng(0)
    for ta, tb, beta, alpha in (("N", "N", 0.0, 1.0), ("T", "N", 1.0, -1.0), ("N", "T", 1.0, 1.0)):
        spec = make_spec(3, 4, 5, lda=6, transa=ta, transb=tb, beta=beta, alpha=alpha)
        a, b = rng.standard_normal(spec.a_size), rng.standard_normal(spec.b_size)
        c0 = rng.standard_normal(spec.c_size)
        want, got = c0.copy(), c0.copy()
        Registry().dispatch(3, 4, 5, lda=6, transa=ta, transb=tb, beta=beta, alpha=alpha)(a, b, want)
        trylock.fallback(spec)(a, b, got)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_trylock_loser_falls_back_at_once():
    frame = trylock.race(2, trylock=True)
    assert sorted(frame["source"]) == ["fallback", "kernel"] and frame["agrees"].all()
    lost = frame.set_index("source")["latency_s"]
    assert lost["fallback"] < lost["kernel"]
    waiting = trylock.race(2, trylock=False)
    assert list(waiting["source"]) == ["kernel", "kernel"] and waiting["agrees"].all()


def test_try_dispatch_returns_none_while_the_lock_is_held():
    reg = Registry()
    spec = make_spec(2, 3, 4, beta=0.0)
    kern = reg.try_dispatch(2, 3, 4, beta=0.0)
    assert kern is reg.dispatch(2, 3, 4, beta=0.0)
    other = make_spec(2, 3, 5, beta=0.0)
    reg._locks[other] = lock = __import__("threading").Lock()
    lock.acquire()
    assert reg.try_dispatch(2, 3, 5, beta=0.0) is None
    lock.release()
    assert reg.try_dispatch(2, 3, 5, beta=0.0).spec == other
    assert spec != other


def test_registry_report_counts_hits_per_kernel():
    reg = Registry()
    for _ in range(3):
        reg.dispatch(4, 4, 4)
    reg.dispatch(4, 4, 2, beta=0.0)
    frame = registry_report.kernels(reg).set_index("size")
    assert frame.loc["4x4x4", "hits"] == 2 and frame.loc["4x4x2", "hits"] == 0
    assert (frame["kind"] == "gemm").all() and (frame["code_bytes"] > 0).all()
    head = registry_report.summary(reg)
    assert head["kernels"] == 2 and head["by_kind"] == {"gemm": 2} and head["hits"] == 2
    text = registry_report.report(reg)
    assert text.startswith("Registry: ") and "gemm=2" in text and "hits=2" in text


def test_cli(capsys):
    assert main(["smm", "contention", "--threads", "1,2", "--lookups", "100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["rows"]) == 4 and out["generation_serialization"] > 0
    assert main(["smm", "trylock", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(r["source"] for r in out["rows"]) == ["fallback", "kernel"]
    for argv in (["contention", "--threads", "0"], ["contention", "--threads", "a"],
                 ["trylock", "--threads", "0"], ["contention", "--lookups", "-1"]):
        assert main(["smm", *argv, "--json"]) == 2
        err = capsys.readouterr().err.strip()
        assert err and "\n" not in err
