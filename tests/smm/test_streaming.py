"""The five streaming cases: every strategy computes what numpy computes, one thread or
two, double and single precision; metrics are consistent with the measured time."""

import numpy as np
import pytest

from labkit import InputError
from labkit.smm.cases import CASES
from labkit.smm.operands import check_stack, random_stack
from labkit.smm.spec import make_spec
from labkit.smm.streaming import bench, footprint_ratios, sweep


@pytest.mark.parametrize("stream", list(CASES))
@pytest.mark.parametrize("kernel", ["labkit", "dispatch", "loops", "numpy", "einsum", "blas"])
def test_every_case_and_strategy_matches_numpy(stream, kernel):
    r = bench(5, 7, 3, stream=stream, kernel=kernel, batch=37, threads=2, repeat=1)
    assert r["max_error"] < 1e-12
    assert r["batch"] == 37 and r["stream"] == stream


@pytest.mark.parametrize("stream", ["ABC", "AB", "none"])
def test_single_precision_and_prefetch(stream):
    for kernel in ("labkit", "dispatch"):
        r = bench(13, 5, 7, stream=stream, kernel=kernel, batch=50, dtype="float32",
                  prefetch="next", repeat=1)
        assert r["max_error"] < 1e-5


def test_metrics_follow_from_time():
    r = bench(4, 4, 4, stream="ABC", batch=100, repeat=2)
    assert r["gflops"] == pytest.approx(100 * 2 * 64 / r["seconds"] / 1e9)
    # A, B and C (written once, beta = 0) per product
    assert r["gbps"] == pytest.approx(100 * 8 * 48 / r["seconds"] / 1e9)
    none = bench(4, 4, 4, stream="none", batch=100, repeat=1)
    assert none["gbps"] is None and none["pseudo_flops_per_cycle"] > 0


def test_sweep_is_tidy():
    frame = sweep([(3, 3, 3), (4, 2, 5)], streams=["ABC", "BC"], kernels=["labkit", "numpy"],
                  batch=20, repeat=1, progress=False)
    assert len(frame) == 8
    assert set(frame["shape"]) == {"3x3x3", "4x2x5"}
    assert (frame["max_error"] < 1e-12).all()


@pytest.mark.parametrize("kwargs, word", [
    (dict(stream="ABCD"), "stream"),
    (dict(kernel="mkl"), "kernel"),
    (dict(threads=0), "threads"),
    (dict(threads=99), "threads"),
    (dict(batch=0), "batch"),
    (dict(repeat=0), "repeat"),
    (dict(dtype="float16"), "dtype"),
    (dict(prefetch="all"), "prefetch"),
    (dict(prefetch=None), "prefetch"),
])
def test_bad_bench_input(kwargs, word):
    with pytest.raises(InputError, match=word):
        bench(3, 3, 3, **kwargs)


def test_check_stack_names_the_problem():
    spec = make_spec(3, 4, 5)
    good = random_stack(spec, "a", 2, np.random.default_rng(0))
    assert check_stack("A", good, spec, "a", 2).size == 2 * 5 * 3
    with pytest.raises(InputError, match="shape"):
        check_stack("A", good[:, :4], spec, "a", 2)
    with pytest.raises(InputError, match="C-contiguous"):
        check_stack("A", np.asfortranarray(good), spec, "a", 2)
    with pytest.raises(InputError, match="dtype"):
        check_stack("A", good.astype(np.float32), spec, "a", 2)


def test_thread_limits_restore_numba_setting():
    import numba

    from labkit.smm.streaming import thread_limits

    before = numba.get_num_threads()
    with thread_limits(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_target_ratio_rows():
    from labkit.smm.streaming import ratio

    row = ratio(4, 4, 4, rounds=1, repeat=1, batch=30)
    assert row["shape"] == "4x4x4" and row["ratio"] > 0 and row["labkit_gflops"] > 0
    with pytest.raises(InputError, match="rounds"):
        ratio(4, 4, 4, rounds=0)


def test_footprint_ratios_are_tidy_and_report_the_store_kind():
    frame = footprint_ratios(shapes=[(16, 4, 8), (3, 3, 3)], footprints_mb=[0.05, 0.1],
                             rounds=1, repeat=1, progress=False)
    assert len(frame) == 4
    assert list(frame["footprint_mb"]) == [0.05, 0.1, 0.05, 0.1]
    assert (frame["ratio"] > 0).all() and frame["target"].isna().all()
    # tiny batches stay in cache: plain stores everywhere
    assert not frame["streaming_stores"].any()


def test_bench_reports_streaming_stores_beyond_the_cache():
    from labkit.smm.streaming_stores import last_level_cache_bytes

    mb = 1.6 * last_level_cache_bytes() / 1e6
    big = bench(16, 8, 8, stream="ABC", footprint_mb=mb, repeat=1)
    assert big["streaming_stores"] and big["max_error"] < 1e-12
    odd = bench(13, 8, 8, stream="ABC", footprint_mb=mb, repeat=1, check=False)
    assert not odd["streaming_stores"]
    assert not bench(16, 8, 8, stream="ABC", kernel="numpy", batch=10, repeat=1)["streaming_stores"]
