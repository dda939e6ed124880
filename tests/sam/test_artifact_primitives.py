"""Single primitives against output times traced from the SAM artifact's own simulator
(benchmarks/peers/sam_artifact_trace.py, on tests/sam/test_artifact_cycles.py's tiny_d
(matmul_kij, mat_mattransmul) and tiny_a (mat_vecmul)).  The artifact's cycle c is labkit's time c + 1 (labkit's
root reference is made at 0, the artifact's is waiting at cycle 0), so every traced
cycle below is written + 1.  Inputs carry the times the artifact's producers emitted them.
"""

import numpy as np

from labkit.sam import primitives as P
from labkit.sam.formats import Level, Tensor
from labkit.sam.tokens import make


def stream(tokens, times):
    return make(tokens, t=times)


def test_intersecter_steps_only_with_a_token_on_both_sides():
    # matmul_kij, intersecter k of B_k (0 1 3) and C_k (0 1 2): the artifact emits
    # 0 at 2, 1 at 3, S0 at 6, D at 7
    a = stream("0 1 3 S0 D", [1, 2, 3, 4, 5])
    b = stream("0 1 2 S0 D", [1, 2, 3, 4, 5])
    out = P.Intersecter((1, 1), "k").fire({"crd0": a, "ref0_0": a, "crd1": b, "ref1_0": b}, {})
    assert out["crd"].to_list() == [0, 1, "S0", "D"]
    np.testing.assert_array_equal(out["crd"].t, [3, 4, 7, 8])


def test_unioner_holds_a_stop_while_the_other_side_runs():
    # mat_mattransmul, unioner i of C_i (0 1 3) and f_i (0): 0 at 2, 1 at 3, 3 at 4,
    # S0 at 5, D at 6
    a = stream("0 1 3 S0 D", [1, 2, 3, 4, 5])
    b = stream("0 S0 D", [1, 2, 3])
    out = P.Unioner((1, 1), "i").fire({"crd0": a, "ref0_0": a, "crd1": b, "ref1_0": b}, {})
    assert out["crd"].to_list() == [0, 1, 3, "S0", "D"]
    assert out["ref1_0"].to_list() == [0, "N", "N", "S0", "D"]
    np.testing.assert_array_equal(out["crd"].t, [3, 4, 5, 6, 7])


def test_compressed_scanner_waits_for_the_next_reference_before_a_stop():
    # mat_vecmul on tiny_a, B_i scanner (B column-major: j fibers 0 -> i 0 4, 1 -> 1,
    # 2 -> 0, 3 -> 3, 5 -> 4) fed the intersecter's references 2 at 4, 4 at 6, S0 at 7,
    # D at 8: it emits 0 at 5, then S0 only at 7 (once reference 4 arrived), 4 at 8,
    # S1 at 9, D at 10
    level = Level("c", 6, seg=np.array([0, 2, 3, 4, 5, 6]), crd=np.array([0, 4, 1, 0, 3, 4]))
    env = {"B": Tensor("B", (6, 6), "cc", (1, 0), [Level("c", 6), level], np.ones(6))}
    refs = stream("2 4 S0 D", [5, 7, 8, 9])
    out = P.LevelScanner("B", 1, "c", "i").fire({"ref": refs}, env)
    assert out["crd"].to_list() == [0, "S0", 4, "S1", "D"]
    np.testing.assert_array_equal(out["crd"].t, [6, 8, 9, 10, 11])


def test_alu_waits_for_both_inputs_stops_and_done():
    # mat_vecmul on tiny_d (an empty product): B's values S1 at 8, D at 9; c's S1 at 10,
    # D at 11; the multiplier emits S1 at 11, D at 12
    a = make("S1 D", values=True, t=[9, 10])
    b = make("S1 D", values=True, t=[11, 12])
    out = P.ALU("mul").fire({"a": a, "b": b}, {})
    assert out["val"].to_list() == ["S1", "D"]
    np.testing.assert_array_equal(out["val"].t, [12, 13])
