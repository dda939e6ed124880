"""labkit's cycle simulator against the SAM artifact's (github.com/weiya711/sam) on the same
inputs: cycles, gold check and simulated cycles per second, side by side.

The artifact runs as itself: its pytest tests (final-apps, and the reorder-study matmul
tests for the dataflow orders final-apps lacks) in its own venv, with its own formatted
inputs: the two matrices it ships (``data/suitesparse-formatted``), other SuiteSparse
matrices formatted by its own script (``scripts/formatting/datastructure_suitesparse.py``),
and for the synthetic reorder study a 250x100 B and 100x250 C at sparsity 0.95 written here
in its DCSR/DCSC layout.  Its cycle count is the ``cycles`` its test records; its gold is the
test's own ``--check-gold`` (a test without a gold check says so); its time is the test's
call phase (reading its input files, the simulation loop, writing its Gantt CSV and the
gold check; the loop dominates from a few thousand cycles on).  labkit runs the same
expression on the same logical operands (rebuilt the way the artifact's gold builds them:
``C`` = B with its last mode shifted by one, values 2; vectors read from the artifact's
files), compiled by labkit's own compiler; its time is one warm cycle-mode ``execute`` on
bound tensors (best of 3).

    benchmarks/peers/sam_artifact_setup.sh          # once: /work/scratch/sam-artifact
    python benchmarks/bench_sam_artifact.py [--matrices bcsstm02 lp_scsd1 west0067] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
DEFAULT_HOME = Path(os.environ.get("SAM_ARTIFACT_HOME", "/work/scratch/sam-artifact"))
SHIPPED = ("bcsstm02", "lp_scsd1")
SPARSITY = 0.95
SDDMM_K = 256

# app -> (test file, test name, labkit expression, formats, loop order)
APPS = {
    "mat_identity": ("final-apps/test_mat_identity_FINAL.py", "test_mat_identity",
                     "X(i,j)=B(i,j)", {"B": "cc"}, "ij"),
    "mat_elemadd": ("final-apps/test_mat_elemadd_FINAL.py", "test_mat_elemadd_FINAL",
                    "X(i,j)=B(i,j)+C(i,j)", {"B": "cc", "C": "cc"}, "ij"),
    "mat_elemadd3": ("final-apps/test_mat_elemadd3_FINAL.py", "test_mat_elemadd3_FINAL",
                     "X(i,j)=B(i,j)+C(i,j)+D(i,j)", {"B": "cc", "C": "cc", "D": "cc"}, "ij"),
    "mat_vecmul": ("final-apps/test_mat_vecmul_FINAL.py", "test_mat_vecmul_FINAL",
                   "x(i)=B(i,j)*c(j)", {"B": "cc", "c": "c"}, "ji"),
    "mat_residual": ("final-apps/test_mat_residual_FINAL.py", "test_mat_residual",
                     "x(i)=b(i)-C(i,j)*d(j)", {"b": "c", "C": "cc", "d": "c"}, "ij"),
    "mat_mattransmul": ("final-apps/test_mat_mattransmul_FINAL.py", "test_mat_mattransmul_FINAL",
                        "x(i)=b*C(j,i)*d(j)+e*f(i)", {"C": "cc", "d": "c", "f": "c"}, "ij"),
    "mat_sddmm": ("final-apps/test_mat_sddmm_FINAL.py", "test_mat_sddmm_locate_fused",
                  "X(i,j)=B(i,j)*C(i,k)*D(k,j)", {"B": "cc", "C": "dd", "D": "dd"}, "ijk"),
    "matmul_kij": ("final-apps/test_matmul_kij_FINAL.py", "test_matmul_kij_FINAL",
                   "X(i,j)=B(i,k)*C(k,j)", {"B": "cc", "C": "cc"}, "kij"),
    "matmul_ikj": ("reorder-study/test_reorder_matmul_ikj.py", "test_reorder_matmul_ikj",
                   "X(i,j)=B(i,k)*C(k,j)", {"B": "cc", "C": "cc"}, "ikj"),
}
SYNTH_ORDERS = ("ijk", "jik", "jki", "kij", "kji")
NO_GOLD = {"matmul_ikj"} | {f"reorder_{o}" for o in SYNTH_ORDERS}  # their gold is commented out


def artifact(home: Path):
    """``(source dir, venv python)`` of a set-up artifact, or None."""
    src, python = home / "src", home / "venv" / "bin" / "python"
    return (src, python) if (src / "sam" / "sim").is_dir() and python.exists() else None


# ---- inputs -----------------------------------------------------------------------------
def read_ints(path: Path, kind=int) -> np.ndarray:
    return np.array([kind(line) for line in path.read_text().split()], dtype=kind)


def read_vector(folder: Path, name: str, length: int) -> np.ndarray:
    """A vector the artifact wrote (one compressed level): dense, of its true length."""
    out = np.zeros(length)
    crd = read_ints(folder / f"tensor_{name}_mode_0_crd")
    out[crd] = read_ints(folder / f"tensor_{name}_mode_vals", float)
    return out


def shift_last(m: sp.spmatrix) -> sp.csr_matrix:
    """The artifact's ScipyTensorShifter.shiftLastMode: column j -> (j+1) mod n, values 2."""
    coo = m.tocoo()
    return sp.csr_matrix((np.full(coo.nnz, 2.0), (coo.row, (coo.col + 1) % m.shape[1])),
                         shape=m.shape)


def operands(app: str, matrix: sp.csr_matrix, folder: Path) -> dict:
    """The logical operands of ``app`` exactly as the artifact's gold check builds them."""
    m, n = matrix.shape
    if app == "mat_identity":
        return {"B": matrix}
    if app == "mat_elemadd":
        return {"B": matrix, "C": shift_last(matrix)}
    if app == "mat_elemadd3":
        c = shift_last(matrix)
        return {"B": matrix, "C": c, "D": shift_last(c)}
    if app in ("matmul_kij", "matmul_ikj"):
        return {"B": matrix, "C": shift_last(matrix).T.tocsr()}
    if app == "mat_vecmul":
        return {"B": matrix, "c": read_vector(folder, "c", n)}
    if app == "mat_residual":
        return {"b": read_vector(folder, "b", m), "C": matrix, "d": read_vector(folder, "d", n)}
    if app == "mat_mattransmul":
        return {"b": 2.0, "C": matrix, "d": read_vector(folder, "d", m), "e": 2.0,
                "f": read_vector(folder, "f", n)}
    if app == "mat_sddmm":
        c = np.arange(m * SDDMM_K, dtype=float).reshape(m, SDDMM_K)
        d = np.arange(SDDMM_K * n, dtype=float).reshape(n, SDDMM_K).T
        return {"B": matrix, "C": c, "D": d}
    raise KeyError(app)


def write_level_files(folder: Path, name: str, matrix: sp.spmatrix, column_major: bool):
    """B or C in the artifact's synthetic DCSR (``column_major=False``) or DCSC layout, both
    levels compressed.  The artifact ships no generator for these (its
    generate_synthetics.sh writes only vectors); its tests wire ``mode_0`` files to the
    outer scanner and ``mode_1`` to the inner one in both layouts (their variable names
    say otherwise for DCSC), so the files are named by storage level."""
    folder.mkdir(parents=True, exist_ok=True)
    outer_mode, inner_mode = 0, 1
    comp = (matrix.tocsc() if column_major else matrix.tocsr())
    comp.sort_indices()
    counts = np.diff(comp.indptr)
    nonempty = np.flatnonzero(counts)
    files = {f"tensor_{name}_mode_shape": list(matrix.shape),
             f"tensor_{name}_mode_{outer_mode}_seg": [0, len(nonempty)],
             f"tensor_{name}_mode_{outer_mode}_crd": nonempty.tolist(),
             f"tensor_{name}_mode_{inner_mode}_seg": np.concatenate([[0], np.cumsum(counts[nonempty])]).tolist(),
             f"tensor_{name}_mode_{inner_mode}_crd": comp.indices.tolist(),
             f"tensor_{name}_mode_vals": comp.data.tolist()}
    for fname, values in files.items():
        (folder / fname).write_text("".join(f"{v}\n" for v in values))


def write_csf(folder: Path, name: str, coords: np.ndarray, vals: np.ndarray, shape) -> None:
    """A tensor with every level compressed (coordinates sorted lexicographically), in the
    artifact's per-level files (``tensor_<name>_mode_<level>_seg/crd``, ``_vals``, ``_shape``)."""
    folder.mkdir(parents=True, exist_ok=True)
    order = np.lexsort(coords.T[::-1])
    coords, vals = coords[order], vals[order]
    files = {f"tensor_{name}_mode_shape": list(shape), f"tensor_{name}_mode_vals": vals.tolist()}
    parent = np.zeros(len(coords), np.int64)       # position of each entry's parent fiber
    n_parents = 1
    for level in range(coords.shape[1]):
        key = np.column_stack([parent, coords[:, level]])
        new = np.ones(len(key), bool)
        new[1:] = (key[1:] != key[:-1]).any(axis=1)
        counts = np.bincount(parent[new], minlength=n_parents)
        files[f"tensor_{name}_mode_{level}_seg"] = np.concatenate([[0], np.cumsum(counts)]).tolist()
        files[f"tensor_{name}_mode_{level}_crd"] = coords[new, level].tolist()
        parent = np.cumsum(new) - 1
        n_parents = int(new.sum())
    for fname, values in files.items():
        (folder / fname).write_text("".join(f"{v}\n" for v in values))


# 3-tensor app -> (test, labkit expression, loop order, operand files beside B)
TENSOR3 = {
    "tensor3_elemadd": ("final-apps/test_tensor3_elemadd_FINAL.py", "test_tensor3_elemadd_FINAL",
                        "X(i,j,k)=B(i,j,k)+C(i,j,k)", "ijk"),
    "tensor3_innerprod": ("final-apps/test_tensor3_innerprod_FINAL.py",
                          "test_tensor3_innerprod_FINAL", "x=B(i,j,k)*C(i,j,k)", "ijk"),
    "tensor3_ttv": ("final-apps/test_tensor3_ttv_FINAL.py", "test_tensor3_ttv_FINAL",
                    "X(i,j)=B(i,j,k)*c(k)", "ijk"),
    "tensor3_ttm": ("final-apps/test_tensor3_ttm_FINAL.py", "test_tensor3_ttm_FINAL",
                    "X(i,j,k)=B(i,j,l)*C(k,l)", "ijkl"),
    "tensor3_mttkrp": ("final-apps/test_tensor3_mttkrp_FINAL.py", "test_tensor3_mttkrp_FINAL",
                       "X(i,j)=B(i,k,l)*C(j,k)*D(j,l)", "ijkl"),
}


def tensor3_operands(shape=(12, 10, 8), density=0.08, rank=6, seed=1) -> dict:
    """A random sparse 3-tensor B and its partners (C of B's shape for elemadd and inner
    product, a vector, and sparse factor matrices), as COO arrays."""
    rng = np.random.default_rng(seed)

    def sparse(dims, dens):
        mask = rng.random(dims) < dens
        coords = np.argwhere(mask)
        return coords, rng.integers(1, 10, len(coords)).astype(float), dims

    b = sparse(shape, density)
    shifted = b[0].copy()
    shifted[:, -1] = (shifted[:, -1] + 1) % shape[-1]   # C: B's last mode shifted, values 2
    return {"B": b, "C3": (shifted, np.full(len(shifted), 2.0), shape),
            "c": sparse((shape[2],), 0.5), "Cttm": sparse((rank, shape[2]), 0.5),
            "Cmttkrp": sparse((rank, shape[1]), 0.5), "Dmttkrp": sparse((rank, shape[2]), 0.5)}


def _dense(op):
    coords, vals, dims = op
    out = np.zeros(dims)
    out[tuple(coords.T)] = vals
    return out


def bench_tensor3(src, python, apps=tuple(TENSOR3), name="synth3") -> list:
    """The 3-tensor apps on a synthetic tensor (the artifact ships no FROSTT tensor); its
    gold checks need TACO's outputs (``data/gold/frostt-taco``), so they are not run."""
    ops = tensor3_operands()
    tests_dir = src / "sam/sim/test"
    tmp = tests_dir / "tmp_mat"             # where its 3-tensor tests read their inputs
    write_csf(tmp, "B", *ops["B"])
    write_csf(tmp, "C", *ops["C3"])
    write_csf(tmp / f"{name}-vec_mode2", "c", *ops["c"])
    write_csf(tmp / f"{name}-mat_mode2_ttm", "C", *ops["Cttm"])
    write_csf(tmp / f"{name}-mat_mode1_mttkrp", "C", *ops["Cmttkrp"])
    other = src / "data/frostt-formatted" / name / "other"
    write_csf(other / f"{name}-mat_mode2_mttkrp", "D", *ops["Dmttkrp"])
    results = run_artifact(src, python, [TENSOR3[a][0] for a in apps],
                           {"FROSTT_FORMATTED_PATH": str(src / "data/frostt-formatted")},
                           ["--frosttname", name])
    tensors = {"tensor3_elemadd": {"B": _dense(ops["B"]), "C": _dense(ops["C3"])},
               "tensor3_innerprod": {"B": _dense(ops["B"]), "C": _dense(ops["C3"])},
               "tensor3_ttv": {"B": _dense(ops["B"]), "c": _dense(ops["c"])},
               "tensor3_ttm": {"B": _dense(ops["B"]), "C": _dense(ops["Cttm"])},
               "tensor3_mttkrp": {"B": _dense(ops["B"]), "C": _dense(ops["Cmttkrp"]),
                                  "D": _dense(ops["Dmttkrp"])}}
    patched = (src / "PATCHED").read_text().split() if (src / "PATCHED").exists() else []
    rows = []
    for app in apps:
        _, test, expr, order = TENSOR3[app]
        art = dict(results.get(test, {"error": "did not run"}))
        art["gold"] = None
        if app in patched and not art.get("error"):
            art["error"] = "ran with the setup script's typo fix"
        formats = {k: "c" * np.ndim(v) for k, v in tensors[app].items()}
        ours = run_labkit(expr, formats, order, tensors[app])
        rows.append(row(app, f"{name} {ops['B'][2]}", art, ours))
    return rows


def one_sided_pair(seed: int = 2):
    """B and C (12 x 10) whose rows are empty on one side only: rows 0-3 only in B, rows
    4-7 only in C, rows 8-11 in both (the unioner's 'N' reference path)."""
    rng = np.random.default_rng(seed)
    dense = {}
    for name, rows in (("B", list(range(0, 4)) + list(range(8, 12))),
                       ("C", list(range(4, 12)))):
        m = np.zeros((12, 10))
        for r in rows:
            cols = rng.choice(10, size=3, replace=False)
            m[r, cols] = rng.integers(1, 10, 3)
        dense[name] = m
    return dense


def bench_one_sided(src, python, scratch: Path, name="one_sided") -> list:
    """mat_elemadd on operands whose fibers are empty on one side of the union (written in
    its formatted layout; its gold check assumes C = shifted B, so it is not run)."""
    ops = one_sided_pair()
    base = scratch / "formatted-custom"
    for tname, m in ops.items():
        coo = sp.coo_matrix(m)
        write_csf(base / name / "mat_elemadd", tname, np.column_stack([coo.row, coo.col]),
                  coo.data, m.shape)
    results = run_artifact(src, python, [APPS["mat_elemadd"][0]],
                           {"SUITESPARSE_FORMATTED_PATH": str(base)}, ["--ssname", name])
    art = dict(results.get(APPS["mat_elemadd"][1], {"error": "did not run"}))
    art["gold"] = None
    _, _, expr, formats, order = APPS["mat_elemadd"]
    return [row("mat_elemadd", name, art, run_labkit(expr, formats, order, ops))]


VEC_SPARSITIES = (0.9, 0.975, 0.99375)


def bench_vec_elemmul(src, python, scratch: Path, length: int = 2000) -> list:
    """Its study-apps compressed vector multiply (x = b .* c, length 2000) on random vectors
    written in its synthetic layout (its generator lives outside the repository's Python
    package); one run per sparsity.  That test stops when its coordinate writer is done
    (not its values writer, two primitives further), so labkit counts the same way."""
    rng = np.random.default_rng(3)
    root = scratch / "synthetic"
    vectors = {}
    for sparsity in VEC_SPARSITIES:
        for name in ("B", "C"):
            crd = np.flatnonzero(rng.random(length) >= sparsity)
            vals = rng.integers(1, 1000, len(crd)).astype(float)
            write_csf(root / "random/compressed" / f"{name}_random_sp_{sparsity}", name,
                      crd[:, None], vals, (length,))
            dense = np.zeros(length)
            dense[crd] = vals
            vectors[(sparsity, name)] = dense
    test = "study-apps/test_vec_elemmul_compressed.py::test_unit_vec_elemmul_c_c_c"
    ids = [f"test_unit_vec_elemmul_c_c_c[{sp_}-random-1]" for sp_ in VEC_SPARSITIES]
    results = run_artifact(src, python, [f"{test}[{sp_}-random-1]" for sp_ in VEC_SPARSITIES],
                           {"SYNTHETIC_PATH": str(root)}, ["--synth"], params=True)
    rows = []
    for sparsity, key in zip(VEC_SPARSITIES, ids):
        art = dict(results.get(key, {"error": "did not run"}))
        art["gold"] = art.get("passed")     # the test checks its output itself
        ops = {"b": vectors[(sparsity, "B")], "c": vectors[(sparsity, "C")]}
        rows.append(row("vec_elemmul", f"random sp {sparsity}", art,
                        run_labkit("x(i)=b(i)*c(i)", {"b": "c", "c": "c"}, "i", ops,
                                   until_levels=True)))
    return rows


def synthetic(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    b = sp.random(250, 100, density=1 - SPARSITY, format="csr", random_state=rng)
    c = sp.random(100, 250, density=1 - SPARSITY, format="csr", random_state=rng)
    return {"B": b, "C": c}


# ---- the artifact -----------------------------------------------------------------------
def format_matrix(src: Path, python: Path, name: str, mtx: Path, out: Path, apps) -> None:
    """Run the artifact's own formatting script for ``apps`` on one SuiteSparse matrix."""
    env = dict(os.environ, PYTHONPATH=str(src), SUITESPARSE_PATH=str(mtx.parent),
               SUITESPARSE_TENSOR_PATH=str(mtx), SUITESPARSE_FORMATTED_PATH=str(out))
    for app in apps:
        if (out / name / app).is_dir() or app == "mat_sddmm":
            continue
        subprocess.run([str(python), str(src / "scripts/formatting/datastructure_suitesparse.py"),
                        "-n", name, "-hw", "-b", app], env=env, cwd=src, check=True,
                       capture_output=True)
    if "mat_sddmm" in apps:   # its test reads only B (ss01): the identity's files
        (out / name / "mat_sddmm").mkdir(parents=True, exist_ok=True)
        for f in (out / name / "mat_elemadd").glob("tensor_B_*"):
            (out / name / "mat_sddmm" / f.name).write_bytes(f.read_bytes())


def run_artifact(src: Path, python: Path, tests: list, env_extra: dict, extra_args=(),
                 params: bool = False) -> dict:
    """Run artifact tests; ``{test name: {"cycles", "passed", "seconds", "error"}}`` (the
    name with its ``[parameters]`` when ``params``)."""
    with tempfile.TemporaryDirectory(prefix="sam-artifact-run-") as work:
        bench_json, times_json = Path(work) / "bench.json", Path(work) / "times.json"
        tests_dir = src / "sam/sim/test"   # its conftest adds the options: run from there
        env = dict(os.environ, **env_extra, PYTHONPATH=f"{src}{os.pathsep}{HERE / 'peers'}",
                   SAM_ARTIFACT_TIMES=str(times_json))
        cmd = [str(python), "-m", "pytest", "-q", "-p", "sam_artifact_timing", "-p",
               "no:cacheprovider", f"--benchmark-json={bench_json}", *extra_args,
               *tests]
        proc = subprocess.run(cmd, cwd=tests_dir, env=env, capture_output=True, text=True)
        cycles = {}
        if bench_json.exists() and bench_json.stat().st_size:
            for b in json.loads(bench_json.read_text())["benchmarks"]:
                cycles[b["name"] if params else b["name"].split("[")[0]] = b["extra_info"].get("cycles")
        times = json.loads(times_json.read_text()) if times_json.exists() else {}
    out = {}
    for nodeid, seconds in times.items():
        name = nodeid.split("::")[-1] if params else nodeid.split("::")[-1].split("[")[0]
        failed = f"{nodeid} " in proc.stdout and "FAILED" in proc.stdout.split(nodeid)[0][-20:] \
            or f"FAILED {nodeid.split('/')[-1]}" in proc.stdout
        error = ""
        if name not in cycles:
            failed = True
            marker = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED") and name in ln]
            error = marker[0].split(" - ", 1)[-1] if marker else "no cycle count recorded"
        out[name] = {"cycles": cycles.get(name), "passed": not failed, "seconds": seconds,
                     "error": error}
    return out


# ---- labkit -----------------------------------------------------------------------------
def levels_done(program, sim) -> int:
    """The cycle the output's level writers finish (without the values writer)."""
    from labkit.sam import primitives as P

    ends = [int(sim.streams[node.ins["crd"]].t[-1]) + 1 for node in program.graph.nodes
            if isinstance(node.prim, P.LevelWriter)]
    return max(ends)


def run_labkit(expr, formats, order, tensors, locate=False, until_levels=False):
    """One warm cycle-mode run (best of 3) of the graph labkit compiles; ``until_levels``:
    count cycles until the level writers finish, as a test that stops there does."""
    from labkit.sam.custard import compile_expr
    from labkit.sam.gold import gold, matches
    from labkit.sam.simulate import bind, execute

    program = compile_expr(expr, formats, order, locate=locate)
    env = bind(program, tensors)
    sim = execute(program, env, "cycle")
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        sim = execute(program, env, "cycle")
        best = min(best, time.perf_counter() - t0)
    cycles = levels_done(program, sim) if until_levels else sim.cycles
    return cycles, matches(sim.output, gold(expr, tensors)), best


def row(case, matrix, art, ours):
    a_cyc, a_s = art.get("cycles"), art.get("seconds")
    l_cyc, l_ok, l_s = ours
    a_rate = a_cyc / a_s if a_cyc and a_s else None
    l_rate = l_cyc / l_s if l_s else None
    return {"case": case, "matrix": matrix, "artifact_cycles": a_cyc, "labkit_cycles": l_cyc,
            "equal": a_cyc == l_cyc, "artifact_gold": art.get("gold"), "labkit_gold": l_ok,
            "artifact_cycles_per_s": a_rate, "labkit_cycles_per_s": l_rate,
            "speedup": (l_rate / a_rate) if a_rate and l_rate else None,
            "artifact_error": art.get("error", "")}


def bench_matrix(src, python, name, formatted: Path, apps) -> list:
    """``name``: a matrix the artifact ships, a SuiteSparse name, or a path to a .mtx file."""
    if name.endswith(".mtx"):
        mtx, name = Path(name).resolve(), Path(name).stem
    elif name in SHIPPED:
        mtx = src / "data/suitesparse" / f"{name}.mtx"
    else:
        mtx = Path(os.environ.get("LABKIT_SUITESPARSE", HERE.parents[1] / "shared/data/suitesparse")) / f"{name}.mtx"
    if not mtx.exists():
        from labkit.lab.data import find_data

        mtx = find_data(f"suitesparse/{name}.mtx")
    if name not in SHIPPED:
        format_matrix(src, python, name, mtx, formatted, apps)
    base = src / "data/suitesparse-formatted" if name in SHIPPED else formatted
    if name in SHIPPED and "mat_identity" in apps and not (base / name / "mat_identity").is_dir():
        pass   # shipped data lacks it: the artifact's test fails (reported)
    results = run_artifact(src, python, [APPS[a][0] for a in apps],
                           {"SUITESPARSE_FORMATTED_PATH": str(base),
                            "SUITESPARSE_PATH": str(mtx.parent)},
                           ["--ssname", name, "--check-gold", "--synth"])
    matrix = scipy.io.mmread(mtx).tocsr()
    rows = []
    for app in apps:
        test_file, test, expr, formats, order = APPS[app]
        art = dict(results.get(test, {"error": "did not run"}))
        art["gold"] = None if app in NO_GOLD else art.get("passed")
        folder = base / name / app
        try:
            ours = run_labkit(expr, formats, order, operands(app, matrix, folder),
                              locate=app == "mat_sddmm")
        except FileNotFoundError as exc:
            ours = (None, None, None)
            art["error"] = art.get("error") or str(exc)
        rows.append(row(app, name, art, ours))
    return rows


def bench_reorder(src, python, scratch: Path) -> list:
    ops = synthetic()
    root = scratch / "synthetic"
    for tname, m in ops.items():
        write_level_files(root / f"matrix/DCSR/{tname}_random_sp_{SPARSITY}", tname, m, False)
        write_level_files(root / f"matrix/DCSC/{tname}_random_sp_{SPARSITY}", tname, m, True)
    tests = [f"reorder-study/test_reorder_matmul_{o}.py" for o in SYNTH_ORDERS]
    results = run_artifact(src, python, tests, {"SYNTHETIC_PATH": str(root)}, ["--synth"])
    rows = []
    for o in SYNTH_ORDERS:
        art = dict(results.get(f"test_reorder_matmul_{o}", {"error": "did not run"}))
        art["gold"] = None
        ours = run_labkit("X(i,j)=B(i,k)*C(k,j)", {"B": "cc", "C": "cc"}, o, ops)
        rows.append(row(f"reorder_{o}", f"synthetic {SPARSITY}", art, ours))
    return rows


def record(path: Path, rows, src: Path) -> None:
    """Append the artifact's counts (one row per case it ran) to a CSV, with its commit."""
    import csv

    commit = (src / "COMMIT").read_text().strip() if (src / "COMMIT").exists() else "?"
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["matrix", "app", "artifact_cycles", "artifact_commit"])
        for r in rows:
            if r["artifact_cycles"] is not None:
                w.writerow([r["matrix"], r["case"], r["artifact_cycles"], commit[:12]])


def show(rows):
    def f(x, spec):
        return "-" if x is None else format(x, spec)

    print(f"{'case':16s} {'matrix':16s} {'artifact':>9s} {'labkit':>9s} {'eq':>3s} "
          f"{'a.gold':>6s} {'l.gold':>6s} {'a.cyc/s':>9s} {'l.cyc/s':>10s} {'x':>7s}")
    for r in rows:
        print(f"{r['case']:16s} {r['matrix']:16s} {f(r['artifact_cycles'], 'd'):>9s} "
              f"{f(r['labkit_cycles'], 'd'):>9s} {'=' if r['equal'] else '':>3s} "
              f"{str(r['artifact_gold']):>6s} {str(r['labkit_gold']):>6s} "
              f"{f(r['artifact_cycles_per_s'], '.3g'):>9s} {f(r['labkit_cycles_per_s'], '.3g'):>10s} "
              f"{f(r['speedup'], '.1f'):>7s}" + (f"  artifact: {r['artifact_error'][:60]}"
                                                 if r['artifact_error'] else ""))
    eq = sum(r["equal"] for r in rows if r["artifact_cycles"] is not None)
    ran = sum(r["artifact_cycles"] is not None for r in rows)
    print(f"equal cycle counts: {eq} of {ran} cases the artifact ran")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=DEFAULT_HOME)
    ap.add_argument("--matrices", nargs="*", default=list(SHIPPED))
    ap.add_argument("--apps", nargs="*", default=list(APPS))
    ap.add_argument("--no-reorder", action="store_true", help="skip the synthetic reorder "
                    "study (the artifact needs about 4 minutes for it)")
    ap.add_argument("--no-tensor3", action="store_true", help="skip the 3-tensor apps")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--record", type=Path, help="write matrix, app and the artifact's cycles "
                    "of every case it ran to this CSV (the reference counts of the tests)")
    args = ap.parse_args(argv)
    found = artifact(args.home)
    if found is None:
        print(f"SAM artifact not set up in {args.home}: run benchmarks/peers/sam_artifact_setup.sh")
        return 0
    src, python = found
    rows = []
    for name in args.matrices:
        rows += bench_matrix(src, python, name, args.home / "formatted", args.apps)
    rows += bench_one_sided(src, python, args.home)
    rows += bench_vec_elemmul(src, python, args.home)
    if not args.no_tensor3:
        rows += bench_tensor3(src, python)
    if not args.no_reorder:
        rows += bench_reorder(src, python, args.home)
    if args.record:
        record(args.record, rows, src)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        show(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
