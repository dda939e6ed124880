"""The study functions, the what-if callbacks and the claims catalogue."""

import numpy as np
import pytest

from labkit import InputError
from labkit.lab.claims import all_claims
from labkit.lab.notebooks import list_notebooks
from labkit.lab.widgets import evaluate
from labkit.sam import studies, whatif
from labkit.sam.custard import compile_expr
from labkit.sam.expressions import DESIGN_EXPRESSIONS
from labkit.sam.generate import parse_random, run_vector
from labkit.sam.run import run_expression


def test_table1_counts_match_the_graphs():
    t = studies.table1()
    spmv = t[(t.kernel == "SpMV") & (t["count"] > 0)].set_index("primitive")["count"]
    assert spmv.to_dict() == compile_expr("x(i)=B(i,j)*c(j)").graph.counts()
    assert set(t.kernel) == set(DESIGN_EXPRESSIONS)
    plus3 = t[(t.kernel == "Plus3")].set_index("primitive")["count"]
    assert plus3["unioner"] == 2 and plus3["intersecter"] == 0 and plus3["level_scanner"] == 6


def test_order_study_inner_product_does_more_work_when_sparse():
    f = studies.order_study(sizes=(30,), densities=(0.02,), seed=1)
    assert f.matches_gold.all() and len(f) == 6
    cyc = f.set_index("order")["cycles"]
    assert cyc["ijk"] > cyc["ikj"] and cyc["ijk"] > cyc["kij"]


def test_fusion_and_format_studies_are_checked():
    f = studies.fusion_study(n=24, rank=4, densities=(0.05,))
    assert f.matches_gold.all() and set(f.variant) == {"unfused", "coiteration-fused", "locate-fused"}
    g = studies.format_study(n=500, densities=(0.05,), run_lengths=(1, 16))
    assert g.matches_gold.all() and len(g) == 8
    dense = g[g.format == "uncompressed"]["cycles"]
    assert (dense >= 500).all()          # an uncompressed scan visits every coordinate


def test_stream_overhead_counts_control_tokens(rand):
    from labkit.sam.formats import as_tensor

    m = {"r": as_tensor(rand((30, 30), 0.1, 4))}
    f = studies.stream_overhead(m)
    assert f.matches_gold.all()
    row = f.iloc[0]
    assert row.control_share == pytest.approx((row.stop + row.empty + row.done) /
                                              (row.coords + row.stop + row.empty + row.done))


def test_constants_and_unary_minus(rand):
    t = {"B": rand((6, 7), 0.4, 1), "C": rand((6, 7), 0.4, 2), "b": rand((9,), 0.5, 3),
         "c": rand((9,), 0.5, 4)}
    assert run_expression("X(i,j)=2*B(i,j)*C(i,j)", t).matches_gold
    assert run_expression("x(i)=-b(i)+c(i)", t).matches_gold
    assert run_expression("x(i)=b(i)*0.5-c(i)", t).matches_gold


def test_whatif_compute_and_chart():
    frame = whatif.compute("x(i)=B(i,j)*c(j)", "B=dc, c=d", "ij", "bcsstm02", 20, 0.5)
    assert frame.attrs["summary"]["matches_gold"] is True
    assert frame.attrs["summary"]["cycles"] > 0
    assert whatif.chart(frame).to_dict()["hconcat"]
    chart, problem = evaluate(whatif.compute, whatif.chart,
                              dict(expr="x(i)=B(i,j)*c(j)", formats="B=c", order="ij"))
    assert chart is None and "needs 2 level letters" in problem
    with pytest.raises(InputError, match="NAME=LEVELS"):
        whatif.parse_formats("Bcc")


def test_generators():
    assert parse_random("10x20:0.5") == ((10, 20), 0.5)
    with pytest.raises(InputError):
        parse_random("10x20")
    v = run_vector(1000, 0.1, 10, seed=2)
    nz = np.flatnonzero(v)
    assert 80 <= len(nz) <= 100 and (np.diff(nz) == 1).mean() > 0.8


def test_claims_are_declared_for_existing_notebooks():
    sam = [c for c in all_claims() if c.area == "sam"]
    assert len(sam) >= 8 and all(c.id.startswith("sam.") for c in sam)
    stems = {p.stem for p in list_notebooks()}
    assert {c.notebook for c in sam} <= stems


def test_graph_exports():
    g = compile_expr("X(i,j)=B(i,k)*C(k,j)", order="ikj").graph
    dot = g.to_dot()
    assert dot.count("->") == len(list(g.edges())) and "spacc1" in dot
    nodes, edges = g.frame()
    assert len(nodes) == len(g.nodes) and len(edges) == len(list(g.edges()))
