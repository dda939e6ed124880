"""CP2K matrix stacks: both paths against numpy's gather + matmul + add.at, collisions included."""

import json

import numpy as np
import pytest

from labkit import InputError
from labkit.cli import main
from labkit.smm import stacks


def _loop_reference(A, B, C, stack):
    """The plain definition, one entry after another (independent of stacks.reference)."""
    out = C.copy()
    for ia, ib, ic in stack:
        # batch layout holds each item transposed: C^T += B^T A^T
        out[ic] += B[ib] @ A[ia]
    return out


@pytest.mark.parametrize("path", stacks.PATHS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("mnk", [(5, 5, 5), (13, 5, 7)])
def test_paths_agree_with_numpy_under_collisions(path, threads, mnk):
    m, n, k = mnk
    A, B, C, stack = stacks.make_problem(m, n, k, entries=700, pool=40, cpool=3, seed=1)
    want = _loop_reference(A, B, C, stack)
    got = stacks.process(A, B, C.copy(), stack, m, n, k, path=path, threads=threads, nlocal=50)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stacks.reference(A, B, C, stack), want, rtol=1e-12, atol=1e-12)


def test_every_entry_on_one_c_block():
    A, B, C, stack = stacks.make_problem(4, 4, 4, entries=500, pool=10, cpool=1, seed=2)
    for path in stacks.PATHS:
        got = stacks.process(A, B, C.copy(), stack, 4, 4, 4, path=path, threads=2, nlocal=7)
        want = C[0] + sum(B[ib] @ A[ia] for ia, ib, _ in stack)
        np.testing.assert_allclose(got[0], want, rtol=1e-12)


def test_owner_bounds_never_split_a_c_block():
    ic = np.sort(np.random.default_rng(0).integers(0, 9, 200))
    cuts = stacks.owner_bounds(ic, 4)
    assert cuts[0] == 0 and cuts[-1] == 200 and np.all(np.diff(cuts) > 0)
    for cut in cuts[1:-1]:
        assert ic[cut - 1] != ic[cut]


def test_offload_plan_covers_every_entry_once():
    ic = np.array([3, 3, 1, 1, 1, 3, 0, 0])
    pieces, runs, slots, owners = stacks.offload_plan(ic, nlocal=3)
    assert runs.tolist() == [0, 2, 3, 5, 6, 8]            # runs of equal C, cut at 3 and 6
    assert pieces.tolist() == [0, 2, 4, 5]
    assert [int(ic[runs[s]]) for s in slots] == [0, 1, 1, 3, 3]
    assert owners.tolist() == [0, 1, 3, 5]


def test_index_outside_its_pool():
    A, B, C, stack = stacks.make_problem(3, 3, 3, entries=10, pool=5, cpool=2)
    bad = stack.copy()
    bad[4, 2] = 2
    with pytest.raises(InputError, match="entry 4: c index 2 is outside the C pool"):
        stacks.process(A, B, C, bad, 3, 3, 3)
    bad = stack.copy()
    bad[0, 0] = -1
    with pytest.raises(InputError, match="a index -1"):
        stacks.process(A, B, C, bad, 3, 3, 3)
    with pytest.raises(InputError, match="shape"):
        stacks.process(A, B, C, stack[:, :2], 3, 3, 3)
    with pytest.raises(InputError, match="A pool has shape"):
        stacks.process(A, B, C, stack, 4, 3, 3)
    with pytest.raises(InputError, match="path"):
        stacks.process(A, B, C, stack, 3, 3, 3, path="gpu")


def test_refuses_a_stack_beyond_memory():
    with pytest.raises(InputError, match="of memory; the limit is"):
        stacks.make_problem(23, 23, 23, entries=10, pool=10**9, cpool=10)


def test_cli_json(capsys):
    assert main(["smm", "cp2k", "--mnk", "5", "--entries", "300", "--pool", "20", "--cpool", "4",
                 "--path", "offload", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agrees"] is True and out["entries"] == 300 and out["gflops"] > 0


@pytest.mark.parametrize("argv, word", [
    (["--mnk", "0"], "m must"), (["--entries", "0"], "--entries"), (["--path", "gpu"], "path"),
    (["--pool", "1000000000"], "of memory; the limit is"),
])
def test_cli_bad_input_exit_2(argv, word, capsys):
    assert main(["smm", "cp2k", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err
