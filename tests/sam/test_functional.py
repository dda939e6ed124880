"""Functional mode's single compiled call against the per-primitive (cycle) path and gold:
same output tensor, same stream-token counts, for every DESIGN.md expression in every
valid order and format mix, and the fallbacks (unsupported graphs, mismatched streams)."""

import numpy as np
import pytest

from labkit.sam import functional as F
from labkit.sam import primitives as P
from labkit.sam.custard import compile_expr, valid_orders
from labkit.sam.expressions import DESIGN_EXPRESSIONS, random_inputs
from labkit.sam.gold import gold, matches
from labkit.sam.simulate import _encoded, _functional, bind, execute

FORMAT_MIXES = ("c", "d", "b")


def _same(fast, slow):
    if isinstance(slow.output, float):
        assert fast.output == pytest.approx(slow.output)
    else:
        np.testing.assert_array_equal(fast.output.to_numpy(), slow.output.to_numpy())
        assert fast.output.shape == slow.output.shape
        assert fast.output.formats == slow.output.formats
    assert fast.tokens == slow.tokens


def _formats(shapes, letter):
    return {n: ("c" + letter * (len(s) - 1) if letter == "d" and len(s) > 1 else letter * len(s))
            for n, s in shapes.items() if s}


@pytest.mark.parametrize("name", sorted(DESIGN_EXPRESSIONS))
@pytest.mark.parametrize("letter", FORMAT_MIXES)
def test_compiled_functional_equals_cycle_path_and_gold(name, letter):
    expr, shapes = DESIGN_EXPRESSIONS[name]
    tensors = random_inputs(shapes, 0.3, seed=7)
    want = gold(expr, tensors)
    compiled = 0
    for order in valid_orders(expr):
        for locate in (False, True):
            program = compile_expr(expr, _formats(shapes, letter), order, locate=locate)
            env = bind(program, tensors)
            fast = execute(program, env, "functional")
            slow = execute(program, bind(program, tensors), "cycle")
            _same(fast, slow)
            direct = _functional(program, env)     # None only for matrix accumulators
            spacc2 = any(isinstance(n.prim, P.SparseAccumulator) and n.prim.order > 1
                         for n in program.graph.nodes)
            assert (direct is None) == spacc2, (expr, order, letter, locate)
            compiled += direct is not None
            assert matches(fast.output, want), (expr, order, letter, locate)
    assert compiled > 0


def test_compiled_path_is_taken_and_reused():
    expr, shapes = DESIGN_EXPRESSIONS["SpM*SpM"]
    tensors = random_inputs(shapes, 0.2, seed=3)
    program = compile_expr(expr, {"B": "dc", "C": "dc"}, "ikj", locate=True)
    env = bind(program, tensors)
    first = execute(program, env, "functional")
    enc = _encoded(program, env)
    assert enc is not None                        # the single-call path serves this graph
    again = execute(program, env, "functional")   # arena and encoding reused
    assert _encoded(program, env) is enc
    _same(again, first)
    assert matches(again.output, gold(expr, tensors))


def test_arena_grows_when_too_small():
    expr, shapes = DESIGN_EXPRESSIONS["SpM*SpM"]
    tensors = random_inputs(shapes, 0.5, seed=1)
    program = compile_expr(expr, {}, "ikj")
    env = bind(program, tensors)
    slow = execute(program, bind(program, tensors), "cycle")
    enc = _encoded(program, env)
    enc[1], enc[2] = np.empty(4, np.int64), np.empty(4)     # force several GROW rounds
    fast = execute(program, env, "functional")
    assert len(enc[1]) > 4
    _same(fast, slow)


def test_user_alu_falls_back_to_per_primitive_path():
    expr, shapes = DESIGN_EXPRESSIONS["VecElemMul"]
    tensors = random_inputs(shapes, 0.4, seed=2)
    program = compile_expr(expr, {}, "i")
    for node in program.graph.nodes:
        if isinstance(node.prim, P.ALU):
            node.prim = P.ALU(lambda a, b: a * b)
    env = bind(program, tensors)
    assert _encoded(program, env) is None
    fast = execute(program, env, "functional")
    assert matches(fast.output, gold(expr, tensors))


def test_load_alu_shape_mismatch_reports_status():
    ra = np.array([0, 1, -1, -(1 << 41)], np.int64)
    rb = np.array([0, -1, -(1 << 41)], np.int64)
    tok, val = np.empty(4, np.int64), np.empty(4)
    assert F.FK.load_alu(ra, np.ones(2), rb, np.ones(1), 2, tok, val)[1] == 1
    n, status = F.FK.load_alu(ra, np.array([2.0, 3.0]), ra, np.array([4.0, 5.0]), 2, tok, val)
    assert status == 0 and n == 4
    np.testing.assert_array_equal(val[:2], [8.0, 15.0])


def test_functional_deadlock_is_diagnosed_by_the_per_primitive_path():
    from labkit.sam.graph import Graph
    from labkit.sam.simulate import SimulationDeadlock

    program = compile_expr("x(i)=b(i)*c(i)")
    g = Graph("broken")      # a repeater whose signal has fewer fibers than references
    r = g.add(P.Root("b"))
    s = g.add(P.LevelScanner("b", 0, "c", "i"), ref=(r, "ref"))
    sig = g.add(P.RepeatSigGen(), crd=(s, "crd"))
    rep = g.add(P.Repeater("b", "i"), ref=(s, "ref"), sig=(sig, "sig"))
    val = g.add(P.ArrayVals("b"), ref=(rep, "ref"))
    g.add(P.ValsWriter("x"), val=(val, "val"))
    program.graph = g
    env = bind(program, {"b": np.array([1.0, 0, 2.0]), "c": np.ones(3)})
    assert _encoded(program, env) is not None
    with pytest.raises(SimulationDeadlock, match="repeat b over i"):
        execute(program, env, "functional")


def test_arena_allocates_shrinks_and_merges_freed_blocks():
    from labkit.sam import arena as A

    blk = np.zeros((16, 3), np.int64)
    blk[0] = (0, 100, 1)
    nb = np.ones(1, np.int64)
    a = A.alloc(blk, nb, 40)
    b = A.alloc(blk, nb, 40)
    assert (a, b) == (0, 40)
    assert A.alloc(blk, nb, 30) == -1            # only 20 left
    A.shrink(blk, nb, a, 10)                      # 30 freed between a and b
    assert A.alloc(blk, nb, 30) == 10             # best fit: the hole, not the tail
    A.release(blk, nb, 10)
    A.release(blk, nb, a)
    A.release(blk, nb, b)
    assert nb[0] == 1 and tuple(blk[0]) == (0, 100, 1)   # everything merged back


def test_replacing_a_bound_tensor_re_encodes():
    expr, shapes = DESIGN_EXPRESSIONS["SpMV"]
    program = compile_expr(expr, {}, "ij")
    first = random_inputs(shapes, 0.3, seed=4)
    env = bind(program, first)
    execute(program, env, "functional")
    second = random_inputs(shapes, 0.3, seed=9)
    env.update({k: v for k, v in bind(program, second).items() if k != "__encoded__"})
    again = execute(program, env, "functional")
    assert matches(again.output, gold(expr, second))
