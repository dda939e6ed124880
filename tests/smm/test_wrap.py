"""Wrapped GEMM: unmodified numpy calls routed to labkit kernels, bit-for-bit numpy's."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.linalg import blas

from labkit import InputError
from labkit.smm import wrap, wrap_bench

SHAPES = [(5, 5, 5), (3, 7, 4)]          # (m, n, k); the second tells m, n and k apart


def _calls(a, b):
    return {"@": a @ b, "matmul": np.matmul(a, b), "dot": np.dot(a, b),
            "dgemm": blas.dgemm(1.0, a, b),
            "dgemm F": blas.dgemm(1.0, np.asfortranarray(a), np.asfortranarray(b))}


@pytest.mark.parametrize("m, n, k", SHAPES)
def test_every_target_is_routed_and_identical(m, n, k):
    rng = np.random.default_rng(m)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    want = _calls(a, b)
    with wrap.wrapped(SHAPES) as hooks:
        before = hooks.counts()
        got = _calls(a, b)
        after = hooks.counts()
    assert {t: after[t] - before[t] for t in wrap.TARGETS} == {"@": 1, "matmul": 1, "dot": 1, "dgemm": 2}
    for name in want:
        assert np.array_equal(got[name], want[name]), name       # bit for bit
        assert got[name].flags.c_contiguous == want[name].flags.c_contiguous, name
        assert got[name].flags.f_contiguous == want[name].flags.f_contiguous, name
    np.testing.assert_allclose(got["@"], np.einsum("ik,kj->ij", a, b), rtol=1e-13)


class Sub(np.ndarray):
    pass


def test_everything_else_falls_back_to_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    cases = {
        "other shape": lambda: np.ones((4, 4)) @ np.ones((4, 4)),
        "float32": lambda: a.astype(np.float32) @ b.astype(np.float32),
        "strided": lambda: np.ones((5, 10))[:, ::2] @ b,
        "transposed view": lambda: a.T @ b,
        "vector": lambda: a @ np.arange(5.0),
        "list operand": lambda: a @ ([[1.0] * 5] * 5),
        "out=": lambda: np.matmul(a, b, out=np.empty((5, 5))),
        "dgemm alpha": lambda: blas.dgemm(2.0, a, b),
        "dgemm beta": lambda: blas.dgemm(1.0, a, b, beta=0.0),
        "integers": lambda: np.dot(np.ones((5, 5), int), np.ones((5, 5), int)),
        "subclass": lambda: a.view(Sub) @ b.view(Sub),
    }
    want = {name: f() for name, f in cases.items()}
    with wrap.wrapped([(5, 5, 5)]) as hooks:
        before = hooks.counts()
        got = {name: f() for name, f in cases.items()}
        after = hooks.counts()
    for name in cases:
        assert type(got[name]) is type(want[name]) and np.array_equal(got[name], want[name]), name
    assert sum(after[t] - before[t] for t in wrap.TARGETS) == 0
    # a subclass defined before the switch has its own copy of the slot: numpy's, untouched
    assert after["fallback"] - before["fallback"] == len(cases) - 1


def test_numpy_errors_come_through():
    with wrap.wrapped([(5, 5, 5)]):
        with pytest.raises(ValueError, match="mismatch"):
            np.ones((5, 5)) @ np.ones((4, 5))
        with pytest.raises(TypeError):
            np.ones((5, 5)) @ "text"


def test_switched_off_after_the_block_even_on_error():
    a = np.ones((5, 5))
    with pytest.raises(ZeroDivisionError):
        with wrap.wrapped([(5, 5, 5)]) as hooks:
            1 / 0
    assert np.matmul is not hooks.builtins["matmul"] and isinstance(np.matmul, np.ufunc)
    assert blas.dgemm is hooks.originals["dgemm"]
    before = hooks.counts()
    a @ a, np.dot(a, a)
    assert hooks.counts() == before                       # the slot is numpy's again


def test_workload_speeds_up_and_stays_identical():
    out = wrap_bench.speedup(products=2000, rounds=1)
    assert out["identical"] and out["routed"] == 2000
    A, B = wrap_bench.operands(5, 5, 5, 50)
    np.testing.assert_array_equal(wrap_bench.small_products(A, B), np.matmul(A, B))


@pytest.mark.parametrize("bad, word", [("5x5", "(m, n, k)"), ("0x5x5", "m must"), ("5x5x65", "not small"),
                                       ("axbxc", "look like"), ("", "at least one")])
def test_bad_shapes(bad, word):
    with pytest.raises(InputError, match=word.replace("(", r"\(").replace(")", r"\)")):
        wrap.parse_shapes(bad)


def test_bad_targets_and_nesting():
    with pytest.raises(InputError, match="targets"):
        with wrap.wrapped(targets=("gemv",)):
            pass
    with wrap.wrapped():
        with pytest.raises(InputError, match="already"):
            with wrap.wrapped():
                pass


def test_environment_switch_runs_an_unmodified_script(tmp_path):
    script = tmp_path / "user_code.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
        np.save(__import__("sys").argv[1], sum(a @ b for _ in range(10)))
    """))
    outs = {}
    for value in ("0", "6x6x6"):
        out = tmp_path / f"out_{value}.npy"
        env = {**os.environ, wrap.ENV: value}
        proc = subprocess.run([sys.executable, "-m", "labkit.smm.wrap", str(script), str(out)],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs[value] = (np.load(out), proc.stderr)
    assert np.array_equal(outs["0"][0], outs["6x6x6"][0])
    assert "'@': 10" in outs["6x6x6"][1] and outs["0"][1] == ""
    bad = subprocess.run([sys.executable, "-m", "labkit.smm.wrap", str(script), "x"],
                         capture_output=True, text=True, env={**os.environ, wrap.ENV: "5x5"})
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_cli(capsys):
    import json

    from labkit.cli import main

    assert main(["smm", "wrap", "--products", "500", "--rounds", "1", "--op", "dot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["identical"] and out["routed"] == 500 and out["shape"] == "5x5x5"
    for argv in (["--op", "gemv"], ["--mnk", "5,0"], ["--products", "0"], ["--mnk", "65"]):
        assert main(["smm", "wrap", *argv, "--json"]) == 2
        err = capsys.readouterr().err.strip()
        assert err and "\n" not in err
