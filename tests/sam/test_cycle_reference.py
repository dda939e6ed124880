"""The whole-stream cycle model against the per-cycle reference simulator of the
benchmark (token by token, one tick per primitive per cycle): same values, and cycle
counts within a few percent on graphs both implement."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from labkit.sam.custard import compile_expr
from labkit.sam.simulate import bind, execute

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_sam_simulator.py"


@pytest.fixture(scope="module")
def peer():
    spec = importlib.util.spec_from_file_location("bench_sam_simulator", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("expr,formats,shapes", [
    ("x(i)=B(i,j)*c(j)", {"B": "dc", "c": "d"}, {"B": (30, 40), "c": (40,)}),
    ("x(i)=B(i,j)*c(j)", {"B": "cc", "c": "c"}, {"B": (30, 40), "c": (40,)}),
    ("x(i)=b(i)*c(i)", {"b": "c", "c": "c"}, {"b": (500,), "c": (500,)}),
])
def test_cycle_counts_agree_with_per_cycle_reference(peer, expr, formats, shapes, rand):
    tensors = {n: rand(s, 0.2, k) for k, (n, s) in enumerate(shapes.items())}
    program = compile_expr(expr, formats)
    env = bind(program, tensors)
    sim = execute(program, env, "cycle")
    cycles, sinks = peer.run_peer(program, env)
    ref_vals = sorted(x for x in sinks[-1].got if isinstance(x, float) and x != 0.0)
    np.testing.assert_allclose(ref_vals, sorted(sim.output.to_coo()[1]))
    assert abs(sim.cycles - cycles) <= 0.05 * cycles + 5, (sim.cycles, cycles)
