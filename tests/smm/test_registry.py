"""The code registry: specialised kernels agree with numpy, are generated once, are
found again (counters), survive on disk across processes, and refuse bad arrays."""

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from labkit import InputError
from labkit.smm.registry import Registry, dispatch


def colmajor(rng, rows, cols, ld, dtype="float64"):
    """A column-major matrix with leading dimension ld, as its raw buffer and its values."""
    buf = rng.standard_normal(ld * cols).astype(dtype)
    return buf, buf.reshape(cols, ld).T[:rows]


@pytest.mark.parametrize("m, n, k, lda, ldb, ldc, alpha, beta, ta, tb, dtype", [
    (5, 25, 5, None, None, None, 1.0, 1.0, "N", "N", "float64"),
    (13, 5, 7, 16, 9, 14, 1.0, 0.0, "N", "N", "float64"),
    (3, 4, 11, None, None, None, -1.0, 1.0, "T", "N", "float64"),
    (6, 2, 3, 5, 4, 7, 1.0, 0.0, "T", "T", "float32"),
    (33, 3, 9, None, None, None, 1.0, 1.0, "N", "T", "float64"),
    (8, 24, 8, 10, None, 9, -1.0, 0.0, "T", "N", "float64"),     # A held in locals, 3 column blocks
])
def test_kernel_matches_numpy(m, n, k, lda, ldb, ldc, alpha, beta, ta, tb, dtype):
    kern = dispatch(m, n, k, lda, ldb, ldc, alpha, beta, ta, tb, dtype)
    s = kern.spec
    rng = np.random.default_rng(1)
    a, A = colmajor(rng, *s.a_shape, s.lda, dtype)
    b, B = colmajor(rng, *s.b_shape, s.ldb, dtype)
    c, C = colmajor(rng, m, n, s.ldc, dtype)
    c_before = c.copy()
    opA = A if ta == "N" else A.T
    opB = B if tb == "N" else B.T
    want = alpha * opA.astype(float) @ opB.astype(float) + beta * C.astype(float)
    kern(a, b, c)
    tol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(C, want, rtol=tol, atol=tol)
    # padding rows between ldc and m are never written
    pad = c.reshape(n, s.ldc)[:, m:]
    np.testing.assert_array_equal(pad, c_before.reshape(n, s.ldc)[:, m:])


def test_matching_cases_cover_both_ways_of_reading_a():
    """The cases above exercise A loaded once into locals and A reloaded per block."""
    from labkit.smm import codegen
    from labkit.smm.spec import make_spec

    assert codegen._resident(make_spec(5, 25, 5))
    assert codegen._resident(make_spec(8, 24, 8, lda=10, ldc=9, transa="T", beta=0.0))
    assert not codegen._resident(make_spec(13, 5, 7, lda=16, ldb=9, ldc=14))
    assert not codegen._resident(make_spec(3, 4, 11, transa="T"))


def _c_store_offsets(spec):
    """Offsets of C, in the order one product's generated code stores them (first block)."""
    import re

    from labkit.smm.codegen import gemm_body

    stores = [line for line in gemm_body(spec, indent="") if line.lstrip().startswith("vstore")]
    return [eval(re.match(r"\s*vstore\w*\(c, (.*?), c\d", line).group(1),
                 {"co": 0, "i0": 0, "j0": 0}) for line in stores]


@pytest.mark.parametrize("shape, ldc, in_storage_order", [
    ((13, 5, 7), None, True),          # partial last vector: column after column
    ((25, 5, 5), None, True),
    ((16, 5, 7), 20, True),            # whole vectors, but ldc is not whole cache lines
    ((64, 8, 8), None, False),         # whole lines: vector after vector, across columns
    ((16, 16, 16), None, False),
])
def test_c_is_stored_in_storage_order_when_its_columns_share_lines(shape, ldc, in_storage_order):
    from labkit.smm.spec import make_spec

    offsets = _c_store_offsets(make_spec(*shape, ldc=ldc, beta=0.0))
    assert len(set(offsets)) == len(offsets)
    assert (offsets == sorted(offsets)) == in_storage_order


def test_batched_driver_compiles_on_first_use_once_and_is_counted():
    from labkit.smm import codegen
    from labkit.smm.registry import Kernel

    reg = Registry()
    kern = reg.dispatch(3, 7, 5, beta=0.0, prefetch="next")    # a spec no other test uses
    assert kern.module.run.signatures == []                     # only gemm compiled so far
    before, gemm_s = reg.stats()["generation_s"], kern.generation_s
    assert before == pytest.approx(gemm_s)

    spent = []                                   # a second Kernel on the same module, threads racing
    twin = Kernel(kern.spec, codegen.load(kern.spec), 0.0, account=spent.append)
    barrier = threading.Barrier(4)

    def first_use():
        barrier.wait()
        return twin.run

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(spent) == 1 and twin.generation_s == pytest.approx(spent[0])
    assert len(kern.module.run.signatures) == 1

    assert kern.run is kern.module.run       # compiled by the twin: found, not compiled again
    assert reg.stats()["generation_s"] == pytest.approx(before) and kern.generation_s == gemm_s

    start = reg.stats()["generation_s"]
    fresh = reg.dispatch(3, 7, 6, beta=0.0, prefetch="next")
    gemm_only = fresh.generation_s
    fresh.run                                                   # compiled here, and counted
    assert fresh.generation_s > gemm_only and len(fresh.module.run.signatures) == 1
    assert reg.stats()["generation_s"] - start == pytest.approx(fresh.generation_s)
    fresh.run
    assert reg.stats()["generation_s"] - start == pytest.approx(fresh.generation_s)   # once
    with pytest.raises(TypeError):                              # its one signature only
        kern.run(np.zeros(4, np.float32), np.zeros(4), np.zeros(4), 1, 1, 1, 1, 1, 1, False)


def test_fortran_ordered_arrays_are_accepted():
    rng = np.random.default_rng(2)
    A = np.asfortranarray(rng.standard_normal((4, 3)))
    B = np.asfortranarray(rng.standard_normal((3, 2)))
    C = np.zeros((4, 2), order="F")
    dispatch(4, 2, 3, beta=0.0)(A, B, C)
    np.testing.assert_allclose(C, A @ B, rtol=1e-13)


def test_counters_and_identity():
    reg = Registry()
    first = reg.dispatch(7, 3, 2)
    again = reg.dispatch(7, 3, 2)
    spelled = reg.dispatch(7, 3, 2, 7, 2, 7)          # same spec, explicit leading dims
    assert first is again is spelled
    stats = reg.stats()
    assert stats["misses"] == 1 and stats["hits"] == 2 and stats["kernels"] == 1
    assert stats["generation_s"] > 0


def test_concurrent_generation_happens_once():
    reg = Registry()
    got, barrier = [], threading.Barrier(6)

    def worker():
        barrier.wait()
        got.append(reg.dispatch(9, 2, 3, 11, None, None, 1.0, 0.0))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 6 and all(k is got[0] for k in got)
    assert reg.stats()["misses"] == 1 and reg.stats()["hits"] == 5


def test_bad_arrays_are_refused_before_compiled_code():
    kern = dispatch(4, 4, 4)
    ok = np.zeros(16)
    with pytest.raises(InputError, match="a holds 15"):
        kern(np.zeros(15), ok, ok.copy())
    with pytest.raises(InputError, match="dtype float32"):
        kern(ok, np.zeros(16, np.float32), ok.copy())
    with pytest.raises(InputError, match="not contiguous"):
        kern(np.zeros(32)[::2], ok, ok.copy())
    with pytest.raises(InputError, match="read-only"):
        ro = np.zeros(16)
        ro.flags.writeable = False
        kern(ok, ok, ro)
    with pytest.raises(InputError, match="numpy array"):
        kern([0.0] * 16, ok, ok.copy())
    with pytest.raises(InputError, match="lda"):
        dispatch(4, 4, 4, lda=3)


SCRIPT = """
import json, numpy as np
from labkit.smm.registry import dispatch
k = dispatch(3, 5, 2, beta=0.0)
a = np.arange(6.0); b = np.arange(10.0); c = np.zeros(15)
k(a, b, c)
st, rt = k.gemm.stats, k.run.stats
print(json.dumps({"c": c.tolist(), "hits": sum(st.cache_hits.values()) + sum(rt.cache_hits.values()),
                  "misses": sum(st.cache_misses.values()) + sum(rt.cache_misses.values())}))
"""


def test_disk_cache_across_processes(tmp_path):
    env = dict(os.environ, LABKIT_CACHE=str(tmp_path))
    runs = [json.loads(subprocess.run([sys.executable, "-c", SCRIPT], env=env, check=True,
                                      capture_output=True, text=True).stdout)
            for _ in range(2)]
    want = (np.arange(6.0).reshape(2, 3).T @ np.arange(10.0).reshape(5, 2).T).T.ravel()
    for run in runs:
        np.testing.assert_allclose(run["c"], want)
    assert runs[0]["misses"] == 2 and runs[0]["hits"] == 0     # gemm and run compiled, written
    assert runs[1]["hits"] == 2 and runs[1]["misses"] == 0     # both loaded, not recompiled
    assert list(tmp_path.rglob("smm_*.py"))


def test_kernel_cache_is_keyed_by_the_intrinsics_compiled_into_it(tmp_path, monkeypatch):
    """A change to simd.py or prefetch.py must not load kernels compiled before it."""
    import hashlib
    from pathlib import Path

    from labkit.smm import codegen, prefetch, simd

    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path))
    want = hashlib.sha1(Path(simd.__file__).read_bytes() + Path(prefetch.__file__).read_bytes())
    folder = codegen.cache_dir()
    assert folder.parent == tmp_path / "smm"
    assert folder.name.endswith("_" + want.hexdigest()[:8])
