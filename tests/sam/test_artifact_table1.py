"""Counting the artifact's DOT graphs and comparing them with labkit's compiled graphs."""

import pandas as pd
import pytest

from labkit.sam import artifact_table1 as at
from labkit.sam.custard import compile_expr

# a hand-written graph in the artifact's DOT dialect: a label spans two lines, a broadcast
# is a wire, fiberwrite splits into level and value writers
DOT = '''digraph SAM {
    comment="x=s0,b=s0,c=s0"
    0 [comment="type=fiberwrite,mode=vals,tensor=x" label="FiberWrite Vals: x" type="fiberwrite" tensor="x" mode="vals"]
    1 [comment="type=fiberwrite,index=i" label="FiberWrite i: x0" type="fiberwrite" index="i" mode="0"]
    2 [comment="type=crdhold" label="CrdHold i,k
outer=i,inner=k" type="crdhold" outer="i"]
    3 [comment="type=broadcast" shape=point type="broadcast"]
    4 [comment="type=fiberlookup" label="FiberLookup i: b0" type="fiberlookup" mode="0"]
    5 [comment="type=fiberlookup" label="FiberLookup i: c0" type="fiberlookup" mode="0"]
    6 [comment="type=mul" label="Mul" type="mul"]
    4 -> 3 [label="crd" type="crd" comment=""]
    3 -> 2 [label="crd_i" type="crd" comment="i"]
}'''


def test_count_dot_by_hand():
    assert at.count_dot(DOT) == {"level_scanner": 2, "alu": 1, "crd_hold": 1,
                                 "level_writer": 1, "vals_writer": 1}


def test_count_dot_refuses_an_unknown_primitive():
    with pytest.raises(ValueError, match="vectorreducer"):
        at.count_dot('  9 [label="V" type="vectorreducer"]')


def test_compare_reports_a_planted_difference():
    counts = compile_expr("x(i)=b(i)*c(i)", {"b": "c", "c": "c"}).graph.counts()
    counts["intersecter"] += 1                     # the "artifact" has one more
    ref = pd.DataFrame([{"graph": "g", "kernel": "VecElemMul", "expr": "x(i)=b(i)*c(i)",
                         "formats": "x:c;b:c;c:c", "order": "", "primitive": k, "count": v}
                        for k, v in counts.items()])
    diff = at.differences(at.compare(ref))
    assert diff[["primitive", "artifact", "labkit", "difference"]].values.tolist() == \
        [["intersecter", 2, 1, -1]]


def test_recorded_reference_covers_the_six_spmspm_orders():
    ref = at.reference()
    orders = set(ref[ref.kernel == "SpM*SpM"].order)
    assert orders == {"ijk", "jik", "ikj", "jki", "kij", "kji"}
    frame = at.compare(ref)
    sddmm = frame[frame.graph == "mat_sddmm"]
    # labkit drops no coordinates in SDDMM when the reduced index is dense in every operand
    # (as the artifact's own SDDMM app, whose cycle count it matches); the compiler's DOT
    # graph keeps one dropper: that is the only difference
    differing = sddmm[sddmm.difference != 0].set_index("primitive").difference.to_dict()
    assert differing == {"crd_drop": -1} and sddmm.artifact.sum() == 25
