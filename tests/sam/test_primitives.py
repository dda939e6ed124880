"""Each primitive on hand-written streams (expected outputs worked out by hand)."""

import numpy as np
import pytest

from labkit.sam import primitives as P
from labkit.sam.fibers import StreamMismatch
from labkit.sam.formats import Level, Tensor, from_numpy
from labkit.sam.tokens import make


def env_with(levels, vals=None):
    return {"T": Tensor("T", tuple(lv.dim for lv in levels), "", tuple(range(len(levels))),
                        levels, np.asarray(vals if vals is not None else [0.0]))}


COMPRESSED = Level("c", 6, seg=np.array([0, 2, 2, 5]), crd=np.array([1, 3, 0, 2, 4]))


def scan(level, ref):
    out = P.LevelScanner("T", 0, level.fmt).fire({"ref": make(ref)}, env_with([level]))
    return out["crd"].to_list(), out["ref"].to_list()


def test_compressed_scanner_with_empty_fiber():
    crd, ref = scan(COMPRESSED, "0 1 2 S0 D")
    assert crd == [1, 3, "S0", "S0", 0, 2, 4, "S1", "D"]
    assert ref == [0, 1, "S0", "S0", 2, 3, 4, "S1", "D"]


def test_scanner_empty_reference_and_empty_parent_fiber():
    assert scan(COMPRESSED, "0 N S0 D")[0] == [1, 3, "S0", "S1", "D"]
    # a standalone input stop (empty parent fiber) merges into the previous stop
    assert scan(COMPRESSED, "0 S0 S0 1 S1 D")[0] == [1, 3, "S1", "S2", "D"]


def test_dense_singleton_and_bitvector_scanners():
    dense = Level("d", 3)
    crd, ref = scan(dense, "0 1 S0 D")
    assert crd == [0, 1, 2, "S0", 0, 1, 2, "S1", "D"]
    assert ref == [0, 1, 2, "S0", 3, 4, 5, "S1", "D"]
    single = Level("s", 9, crd=np.array([4, 7, 1]))
    assert scan(single, "2 0 S0 D")[0] == [1, "S0", 4, "S1", "D"]
    bv = from_numpy(np.array([[0, 1, 0, 1], [1, 0, 0, 0]]), "db").levels[1]
    assert scan(bv, "0 1 S0 D")[0] == [1, 3, "S0", 0, "S1", "D"]


def test_scanner_on_empty_tensor_and_missing_done():
    empty = Level("c", 5, seg=np.array([0, 0]), crd=np.array([], dtype=np.int64))
    assert scan(empty, "0 D")[0] == ["S0", "D"]
    with pytest.raises(StreamMismatch):
        scan(COMPRESSED, "0 1")


def test_repeat_signal_and_repeater():
    sig = P.RepeatSigGen().fire({"crd": make("1 3 S0 2 S1 D")}, {})["sig"]
    assert sig.to_list() == [0, 0, "S0", 0, "S1", "D"]
    out = P.Repeater().fire({"ref": make("5 7 S0 D"), "sig": sig}, {})["ref"]
    assert out.to_list() == [5, 5, "S0", 7, "S1", "D"]
    sig2 = P.RepeatSigGen().fire({"crd": make("S0 4 S1 D")}, {})["sig"]
    assert P.Repeater().fire({"ref": make("5 7 S0 D"), "sig": sig2}, {})["ref"].to_list() == \
        ["S0", 7, "S1", "D"]
    with pytest.raises(StreamMismatch):
        P.Repeater().fire({"ref": make("5 7 8 S0 D"), "sig": sig}, {})


def join_ins(*ops):
    ins = {}
    for k, (crd, ref) in enumerate(ops):
        ins[f"crd{k}"], ins[f"ref{k}_0"] = make(crd), make(ref)
    return ins


def test_intersecter_and_unioner():
    a = ("0 2 5 S0 1 S1 D", "10 11 12 S0 13 S1 D")
    b = ("2 3 5 S0 S1 D", "20 21 22 S0 S1 D")
    out = P.Intersecter((1, 1)).fire(join_ins(a, b), {})
    assert out["crd"].to_list() == [2, 5, "S0", "S1", "D"]
    assert out["ref0_0"].to_list() == [11, 12, "S0", "S1", "D"]
    assert out["ref1_0"].to_list() == [20, 22, "S0", "S1", "D"]
    out = P.Unioner((1, 1)).fire(join_ins(a, b), {})
    assert out["crd"].to_list() == [0, 2, 3, 5, "S0", 1, "S1", "D"]
    assert out["ref0_0"].to_list() == [10, 11, "N", 12, "S0", 13, "S1", "D"]
    assert out["ref1_0"].to_list() == ["N", 20, 21, 22, "S0", "N", "S1", "D"]


def test_three_way_joins_and_skip_mode_agree():
    ops = [("0 1 2 S0 D", "0 1 2 S0 D"), ("1 2 S0 D", "0 1 S0 D"), ("2 3 S0 D", "5 6 S0 D")]
    for mode in ("normal", "skip", "bitvector"):
        out = P.Intersecter((1, 1, 1), mode=mode).fire(join_ins(*ops), {})
        assert out["crd"].to_list() == [2, "S0", "D"]
        assert [out[f"ref{k}_0"].to_list()[0] for k in range(3)] == [2, 1, 5]
    out = P.Unioner((1, 1, 1)).fire(join_ins(*ops), {})
    assert out["crd"].to_list() == [0, 1, 2, 3, "S0", "D"]
    assert out["ref2_0"].to_list() == ["N", "N", 5, 6, "S0", "D"]


def test_join_with_mismatched_streams_is_diagnosed():
    with pytest.raises(StreamMismatch):
        P.Intersecter((1, 1)).fire(join_ins(("1 S0 D", "0 S0 D"), ("1 S0 2 S1 D", "0 S0 1 S1 D")), {})


def test_alu_ops_and_user_function():
    a, b = make("1.5 2 S0 D", values=True), make("2 3 S0 D", values=True)
    assert P.ALU("mul").fire({"a": a, "b": b}, {})["val"].to_list() == [3.0, 6.0, "S0", "D"]
    assert P.ALU("sub").fire({"a": a, "b": b}, {})["val"].to_list() == [-0.5, -1.0, "S0", "D"]
    assert P.ALU(np.hypot).fire({"a": make("3 S0 D", values=True),
                                 "b": make("4 S0 D", values=True)}, {})["val"].to_list()[0] == 5.0
    assert P.ALU("add", const=10).fire({"a": a}, {})["val"].to_list()[:2] == [11.5, 12.0]
    with pytest.raises(StreamMismatch):
        P.ALU("add").fire({"a": a, "b": make("1 S0 D", values=True)}, {})


def test_array_load_reads_empty_as_zero():
    env = {"T": Tensor("T", (3,), "c", (0,), [], np.array([10.0, 20.0, 30.0]))}
    out = P.ArrayVals("T").fire({"ref": make("0 2 N S0 D")}, env)["val"]
    assert out.to_list() == [10.0, 30.0, 0.0, "S0", "D"]


def test_reducer_emits_one_value_per_fiber():
    v = make("1 2 S0 S0 3 S1 D", values=True)
    assert P.Reducer().fire({"val": v}, {})["val"].to_list() == [3.0, 0.0, 3.0, "S0", "D"]
    assert P.Reducer(emit_empty=False).fire({"val": v}, {})["val"].to_list() == [3.0, 3.0, "S0", "D"]
    assert P.Reducer().fire({"val": make("S0 D", values=True)}, {})["val"].to_list() == [0.0, "D"]


def test_sparse_accumulator_vector():
    ins = {"outer": make("0 1 S0 D"), "crd0": make("1 3 S0 0 1 S1 D"),
           "val": make("1 2 S0 4 5 S1 D", values=True)}
    out = P.SparseAccumulator(1).fire(ins, {})
    assert out["crd0"].to_list() == [0, 1, 3, "S0", "D"]
    assert out["val"].to_list() == [4.0, 6.0, 2.0, "S0", "D"]


def test_sparse_accumulator_matrix_two_groups():
    # outer k: fiber 0 has k=0, fiber 1 has k=0 and k=2; inner (i, j)
    ins = {"outer": make("0 S0 0 2 S1 D"),
           "crd0": make("1 S0 0 S0 0 S1 D"),
           "crd1": make("2 S0 5 S0 5 S1 D"),
           "val": make("1 S0 2 S0 3 S1 D", values=True)}
    out = P.SparseAccumulator(2).fire(ins, {})
    assert out["crd0"].to_list() == [1, "S0", 0, "S1", "D"]
    assert out["crd1"].to_list() == [2, "S1", 5, "S2", "D"]
    assert out["val"].to_list() == [1.0, "S1", 5.0, "S2", "D"]


def test_coordinate_dropper_hold_and_stop_dropper():
    out = P.CrdDrop().fire({"outer": make("0 1 2 S0 D"), "inner": make("5 S0 S0 7 S1 D")}, {})
    assert out["outer"].to_list() == [0, 2, "S0", "D"]
    assert out["inner"].to_list() == [5, "S0", 7, "S1", "D"]
    held = P.CrdHold().fire({"outer": make("0 2 S0 D"), "inner": make("5 S0 7 8 S1 D")}, {})
    assert held["crd"].to_list() == [0, "S0", 2, 2, "S1", "D"]
    dropped = P.StopDrop().fire({"crd": make("1 S0 S0 2 S1 S2 D")}, {})
    assert dropped["crd"].to_list() == [1, "S0", 2, "S2", "D"]


def test_locate_into_dense_level():
    env = env_with([Level("d", 3), Level("d", 4)])
    out = P.Locate("T", 1).fire({"crd": make("1 3 S0 2 S1 D"), "ref": make("0 2 S0 D")}, env)
    assert out["ref"].to_list() == [1, 3, "S0", 10, "S1", "D"]


def test_root_and_timing_is_monotone():
    r = P.Root("T").fire({}, {})["ref"]
    assert r.to_list() == [0, "D"]
    crd = P.LevelScanner("T", 0, "c").fire({"ref": make("0 1 2 S0 D")}, env_with([COMPRESSED]))["crd"]
    assert (np.diff(crd.t) >= 1).all()
    assert crd.counts() == {"coords": 5, "stop": 3, "empty": 0, "done": 1}
