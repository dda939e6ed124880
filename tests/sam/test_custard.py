"""Compiled graphs simulated on random and real inputs, checked against pydata sparse."""

import numpy as np
import pytest

from labkit import InputError
from labkit.lab import locate
from labkit.sam import primitives as P
from labkit.sam.custard import compile_expr, valid_orders
from labkit.sam.graph import Graph
from labkit.sam.gold import gold
from labkit.sam.mtx import load
from labkit.sam.notation import parse
from labkit.sam.run import run_expression
from labkit.sam.simulate import SimulationDeadlock, execute, simulate

DESIGN = {
    "x(i)=B(i,j)*c(j)": dict(B=(12, 15), c=(15,)),
    "X(i,j)=B(i,k)*C(k,j)": dict(B=(10, 12), C=(12, 9)),
    "X(i,j)=B(i,j)*C(i,k)*D(j,k)": dict(B=(8, 9), C=(8, 7), D=(9, 7)),
    "x=B(i,j,k)*C(i,j,k)": dict(B=(5, 6, 7), C=(5, 6, 7)),
    "X(i,j)=B(i,j,k)*c(k)": dict(B=(5, 6, 7), c=(7,)),
    "X(i,j,k)=B(i,j,l)*C(k,l)": dict(B=(5, 6, 7), C=(4, 7)),
    "X(i,j)=B(i,k,l)*C(j,k)*D(j,l)": dict(B=(5, 6, 7), C=(4, 6), D=(4, 7)),
    "X(i,j)=B(i,j)+C(i,j)+D(i,j)": dict(B=(8, 9), C=(8, 9), D=(8, 9)),
    "x(i)=b(i)-C(i,j)*d(j)": dict(b=(10,), C=(10, 12), d=(12,)),
    "x(i)=a*B(j,i)*c(j)+d(i)": dict(a=(), B=(12, 10), c=(12,), d=(10,)),
    "x(i)=b(i)+c(i)": dict(b=(20,), c=(20,)),
    "x(i)=b(i)*c(i)": dict(b=(20,), c=(20,)),
    "X(i,j)=B(i,j)+C(i,j)": dict(B=(8, 9), C=(8, 9)),
    "X(i,j)=B(i,j)*C(i,j)": dict(B=(8, 9), C=(8, 9)),
    "X(i,j,k)=B(i,j,k)+C(i,j,k)": dict(B=(4, 5, 6), C=(4, 5, 6)),
    "X(i,j,k)=B(i,j,k)*C(i,j,k)": dict(B=(4, 5, 6), C=(4, 5, 6)),
}


def inputs(shapes, density, seed, rand):
    return {k: (np.float64(2.5) if s == () else rand(s, density, seed + n))
            for n, (k, s) in enumerate(shapes.items())}


@pytest.mark.parametrize("expr", list(DESIGN))
@pytest.mark.parametrize("density", [0.3, 0.04])
def test_design_expressions_every_order_match_gold(expr, density, rand):
    shapes = DESIGN[expr]
    tensors = inputs(shapes, density, 7, rand)
    orders = valid_orders(expr)
    assert orders
    for k, order in enumerate(orders):
        letters = "cd" if k % 2 else "dc"
        formats = {n: (letters * 3)[:len(s)] for n, s in shapes.items() if s}
        res = run_expression(expr, tensors, formats, order)
        assert res.matches_gold, (expr, order, formats)


def test_spmspm_has_all_six_orders_and_the_named_dataflows(rand):
    assert sorted(valid_orders("X(i,j)=B(i,k)*C(k,j)")) == sorted(
        ["ijk", "ikj", "jik", "jki", "kij", "kji"])
    counts = {o: compile_expr("X(i,j)=B(i,k)*C(k,j)", order=o).graph.counts() for o in ("ijk", "ikj", "kij")}
    assert counts["ijk"].get("crd_drop") == 1 and "sparse_accumulator" not in counts["ijk"]
    assert counts["ikj"].get("sparse_accumulator") == 1       # Gustavson: vector accumulator
    assert counts["kij"].get("sparse_accumulator") == 1       # outer product: matrix accumulator
    g = compile_expr("X(i,j)=B(i,k)*C(k,j)", order="kij").graph
    acc = [n.prim for n in g.nodes if n.prim.kind == "sparse_accumulator"][0]
    assert acc.order == 2


def test_empty_inputs_give_empty_outputs(rand):
    for expr, shapes in DESIGN.items():
        tensors = inputs(shapes, 0.0, 1, rand)
        assert run_expression(expr, tensors).matches_gold, expr


@pytest.mark.parametrize("opts", [dict(locate=True), dict(skip=True)])
def test_locate_and_skip_keep_results(opts, rand):
    t = {"B": rand((20, 18), 0.2, 1), "C": rand((20, 6), 0.8, 2), "D": rand((18, 6), 0.8, 3)}
    res = run_expression("X(i,j)=B(i,j)*C(i,k)*D(j,k)", t, {"C": "dd", "D": "dd"}, **opts)
    assert res.matches_gold
    kinds = res.program.graph.counts()
    assert ("locate" in kinds) == bool(opts.get("locate"))


def test_bitvector_vectors_and_functional_mode(rand):
    t = {"b": rand((300,), 0.2, 1), "c": rand((300,), 0.3, 2)}
    res = run_expression("x(i)=b(i)*c(i)", t, {"b": "b", "c": "b"})
    assert res.matches_gold and res.sim.cycles > 0
    fun = run_expression("x(i)=b(i)*c(i)", t, {"b": "b", "c": "b"}, mode="functional")
    assert fun.matches_gold and fun.sim.cycles == 0


def test_real_matrix_spmv_and_spmspm():
    b = load(locate("suitesparse/bcsstm02.mtx"))
    west = load(locate("suitesparse/west0067.mtx"))
    c = np.arange(1, 67, dtype=float)
    assert run_expression("x(i)=B(i,j)*c(j)", {"B": b, "c": c}, {"B": "dc", "c": "d"}).matches_gold
    res = run_expression("X(i,j)=B(i,k)*C(k,j)", {"B": west, "C": west}, order="ikj")
    np.testing.assert_allclose(res.output.to_numpy(), west.to_numpy() @ west.to_numpy())


def test_cycle_statistics_and_trace(rand):
    t = {"B": rand((15, 15), 0.2, 1), "c": rand((15,), 0.5, 2)}
    res = run_expression("x(i)=B(i,j)*c(j)", t)
    stats = res.sim.stats()
    assert set(stats["kind"]) >= {"level_scanner", "intersecter", "reducer"}
    assert stats["last_cycle"].max() < res.sim.cycles + 1
    trace = res.sim.trace(bins=10)
    assert trace["tokens"].sum() == sum(len(s) for s in res.sim.streams.values())
    tokens = res.summary()["tokens"]
    assert tokens["done"] == len(res.sim.streams)


def test_gold_matches_numpy_independently(rand):
    b, c = rand((6, 7), 0.5, 1), rand((7, 5), 0.5, 2)
    g = gold("X(i,j)=B(i,k)*C(k,j)", {"B": b, "C": c})
    np.testing.assert_allclose(g.todense(), b.todense() @ c.todense())
    r = gold("x(i)=b(i)-C(i,j)*d(j)", {"b": np.ones(5), "C": c.T, "d": np.ones(7)})
    np.testing.assert_allclose(r.todense(), 1 - c.todense().T.sum(axis=1))


@pytest.mark.parametrize("expr,fmt,order,match", [
    ("X(i,j)=B(i,k)*", {}, None, "expected"),
    ("X(i,j)=B(i,k)*C(i,k,j)", {}, None, None),
    ("X(i,j)=B(i,k)*B(k)", {}, None, "used with 2 and 1"),
    ("X(i,j)=B(i,k)*C(k,j)", {"B": "c"}, None, "needs 2 level letters"),
    ("X(i,j)=B(i,k)*C(k,j)", {}, "ik", "missing index j"),
    ("X(i,j)=B(i,k)*C(k,j)", {}, "ikjz", "not in the expression"),
    ("X(i,j)=B(i,k)", {}, None, "output index j"),
    ("x(i)=b(i)-C(i,j)*d(j)", {}, "ji", "must come last"),
    ("X(i,j)=B(i,j)+c(i)", {}, None, "broadcast"),
    ("x(i)=b(i)+2", {}, None, "missing from an operand"),
    ("X(i,i)=B(i,i)", {}, None, "repeats an index"),
    ("X(i,j)=B(i,j)$C(i,j)", {}, None, "unexpected character"),
    ("X(i,j)=B(i,j)", {"Q": "cc"}, None, "not in"),
])
def test_bad_expressions_refused(expr, fmt, order, match):
    if match is None:   # C used with 3 indices here: fine to parse, compile works
        compile_expr(expr, fmt, order)
        return
    with pytest.raises(InputError, match=match):
        compile_expr(expr, fmt, order)


def test_mismatched_dimensions_and_missing_tensor(rand):
    p = compile_expr("x(i)=B(i,j)*c(j)")
    with pytest.raises(InputError, match="dimension"):
        simulate(p, {"B": rand((5, 6), 0.5, 1), "c": rand((7,), 0.5, 1)})
    with pytest.raises(InputError, match="not given"):
        simulate(p, {"B": rand((5, 6), 0.5, 1)})


def test_deadlock_is_diagnosed_not_spun():
    # a repeater whose signal stream has fewer fibers than references: the graph cannot finish
    p = compile_expr("x(i)=b(i)*c(i)")
    g = Graph("broken")
    r = g.add(P.Root("b"))
    s = g.add(P.LevelScanner("b", 0, "c", "i"), ref=(r, "ref"))
    sig = g.add(P.RepeatSigGen(), crd=(s, "crd"))
    g.add(P.Repeater("b", "i"), ref=(s, "ref"), sig=(sig, "sig"))
    p.graph = g
    from labkit.sam.simulate import bind
    env = bind(p, {"b": np.array([1.0, 0, 2.0]), "c": np.ones(3)})
    with pytest.raises(SimulationDeadlock, match="repeat b over i"):
        execute(p, env)


def test_parse_places_sums_in_the_smallest_subexpression():
    st = parse("x(i)=b(i)-C(i,j)*d(j)")
    assert type(st.rhs).__name__ == "Bin" and type(st.rhs.right).__name__ == "Sum"
    assert parse("X(i,j)=B(i,k)*C(k,j)").rhs.indices == ("k",)


def test_output_format_is_written_as_asked(rand):
    t = {"B": rand((6, 7), 0.4, 1), "C": rand((6, 7), 0.4, 2)}
    res = run_expression("X(i,j)=B(i,j)+C(i,j)", t, {"X": "dc"})
    assert res.matches_gold and res.output.formats == "dc"
    assert res.output.levels[1].seg[-1] == len(res.output.levels[1].crd)
    assert res.program.graph.nodes[-2].prim.fmt == "c"
