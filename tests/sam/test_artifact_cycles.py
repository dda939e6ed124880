"""labkit's cycle counts against counts recorded from the SAM artifact's own simulator
(tests/sam/artifact_cycles.csv says how) on tiny matrices: one kernel per rule.

- mat_identity: compressed level scanners, value array and level/value writers;
- mat_elemadd: the artifact's two-way unioner (it holds one token per side and steps only
  when both inputs have a token waiting), on rows that are empty on one side (tiny_a row 2,
  tiny_b rows 2 and 4);
- mat_elemadd3: the same unioner chained (B+C, then +D);
- mat_vecmul (x = B c, order ji): the vector sparse accumulator with the artifact's
  coordinate hold, stop-token droppers and point converter, and the ALU waiting for both
  inputs' stops and D;
- matmul_kij: the matrix sparse accumulator (it emits its sorted points only after D);
- mat_mattransmul (x = b C^T d + e f): scalar tensors broadcast by repeaters over i and j
  and loaded by an array, as the artifact's graph does, instead of an ALU constant;
- mat_sddmm (X = B .* (C D), dense C and D located by B's coordinates, K = 256): a
  combinational locate, dense k levels scanned and intersected, and no coordinate dropper
  (B's scanners write the output levels);
- GAPS: cycles still missed (explained in benchmarks/README.md), tested as gaps so that
  closing or widening one shows.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from labkit.sam.custard import compile_expr
from labkit.sam.gold import gold, matches
from labkit.sam.simulate import bind, execute

# name -> (rows, cols, m, n); values 1..nnz (the .mtx files the counts were recorded on)
TINY = {
    "tiny_a": ([0, 0, 1, 3, 4, 4], [0, 2, 1, 3, 0, 5], 6, 6),
    "tiny_b": ([0, 1, 1, 3, 5], [1, 0, 4, 4, 2], 6, 5),
    "tiny_c": ([0, 0, 0, 1], [0, 1, 2, 2], 3, 3),
    "tiny_d": ([1, 2, 4], [3, 0, 1], 5, 4),
}
KERNELS = {
    "mat_identity": ("X(i,j)=B(i,j)", "ij"),
    "mat_elemadd": ("X(i,j)=B(i,j)+C(i,j)", "ij"),
    "mat_elemadd3": ("X(i,j)=B(i,j)+C(i,j)+D(i,j)", "ij"),
    "mat_vecmul": ("x(i)=B(i,j)*c(j)", "ji"),
    "matmul_kij": ("X(i,j)=B(i,k)*C(k,j)", "kij"),
    "mat_mattransmul": ("x(i)=b*C(j,i)*d(j)+e*f(i)", "ij"),
    "mat_sddmm": ("X(i,j)=B(i,j)*C(i,k)*D(k,j)", "ijk"),
}
SDDMM_K = 256
# the artifact's vectors per matrix and app: name -> (coordinates, values)
VECTORS = {("tiny_a", "mat_vecmul"): {"c": ([2, 5], [1.0, 1.0])},
           ("tiny_b", "mat_vecmul"): {"c": ([2], [1.0])},
           ("tiny_c", "mat_vecmul"): {"c": ([2], [1.0])},
           ("tiny_d", "mat_vecmul"): {"c": ([2], [1.0])},
           ("tiny_a", "mat_mattransmul"): {"d": ([2, 5], [1.0, 1.0]), "f": ([1, 3], [1.0, 1.0])},
           ("tiny_b", "mat_mattransmul"): {"d": ([2, 5], [1.0, 1.0]), "f": ([1], [1.0])},
           ("tiny_c", "mat_mattransmul"): {"d": ([2], [1.0]), "f": ([2], [1.0])},
           ("tiny_d", "mat_mattransmul"): {"d": ([2], [1.0]), "f": ([0], [1.0])}}
# labkit cycles - artifact cycles where they still differ
GAPS: dict = {}
COUNTS = pd.read_csv(Path(__file__).with_name("artifact_cycles.csv"), comment="#")


def matrix(name):
    rows, cols, m, n = TINY[name]
    return sp.csr_matrix((np.arange(1.0, len(rows) + 1), (rows, cols)), shape=(m, n))


def shifted(m):
    """The artifact's operand C: every column index + 1 (mod n), every value 2."""
    coo = m.tocoo()
    return sp.csr_matrix((np.full(coo.nnz, 2.0), (coo.row, (coo.col + 1) % m.shape[1])),
                         shape=m.shape)


def vector(name, app, which, length):
    crd, vals = VECTORS[(name, app)][which]
    out = np.zeros(length)
    out[crd] = vals
    return out


def operands(name, app, b):
    m, n = b.shape
    if app == "mat_vecmul":
        return {"B": b, "c": vector(name, app, "c", n)}
    if app == "mat_mattransmul":
        return {"b": 2.0, "C": b, "d": vector(name, app, "d", m), "e": 2.0,
                "f": vector(name, app, "f", n)}
    if app == "matmul_kij":
        return {"B": b, "C": shifted(b).T.tocsr()}
    if app == "mat_sddmm":
        c = np.arange(m * SDDMM_K, dtype=float).reshape(m, SDDMM_K)
        d = np.arange(SDDMM_K * n, dtype=float).reshape(n, SDDMM_K).T
        return {"B": b, "C": c, "D": d}
    if app == "mat_identity":
        return {"B": b}
    if app == "mat_elemadd":
        return {"B": b, "C": shifted(b)}
    return {"B": b, "C": shifted(b), "D": shifted(shifted(b))}


CASES = [(r.matrix, r.app, r.artifact_cycles) for r in COUNTS.itertuples() if r.app in KERNELS]


def test_the_recorded_cases_cover_every_tiny_matrix_and_rule():
    assert {(m, a) for m, a, _ in CASES} == {(m, a) for m in TINY for a in KERNELS}


@pytest.mark.parametrize("name,app,expected", CASES)
def test_cycles_equal_the_artifact(name, app, expected):
    expr, order = KERNELS[app]
    tensors = operands(name, app, matrix(name))
    formats = {k: "cc" if np.ndim(v) == 2 else "c" for k, v in tensors.items() if np.ndim(v)}
    if app == "mat_sddmm":
        formats.update(C="dd", D="dd")
    program = compile_expr(expr, formats, order, locate=app == "mat_sddmm")
    sim = execute(program, bind(program, tensors), "cycle")
    assert matches(sim.output, gold(expr, tensors))
    assert sim.cycles - expected == GAPS.get((name, app), 0)
