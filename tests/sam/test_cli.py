import json

from labkit.cli import main

KEYS = {"cycles", "wall_s", "result_nnz", "matches_gold", "primitive_counts", "tokens"}


def test_sam_run_json_contract(capsys):
    rc = main(["sam", "run", "--expr", "X(i,j)=B(i,k)*C(k,j)", "--format", "B=cc", "--format",
               "C=cc", "--order", "ikj", "--tensor", "B=suitesparse/bcsstm02.mtx",
               "--random", "C=66x66:0.05", "--seed", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and set(out) == KEYS
    assert out["matches_gold"] is True
    assert set(out["tokens"]) == {"coords", "stop", "empty", "done"}
    assert out["primitive_counts"]["sparse_accumulator"] == 1


def test_sam_graph_dot_and_json(capsys):
    assert main(["sam", "graph", "--expr", "x(i)=B(i,j)*c(j)", "--dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph") and "intersecter" in dot and "->" in dot
    assert main(["sam", "graph", "--expr", "x(i)=B(i,j)*c(j)", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["primitive_counts"]["intersecter"] == 1


def test_sam_bad_input_exits_2_with_one_line(capsys):
    cases = [
        ["sam", "run", "--expr", "X(i,j)=B(i,k)*C(k,j)", "--tensor", "B=suitesparse/w156.mtx",
         "--random", "C=156x4:0.1", "--json"],
        ["sam", "graph", "--expr", "x(i)=B(i,j)*c(j)", "--order", "ik"],
        ["sam", "graph", "--expr", "x(i)=B(i,j)*c(j)", "--format", "B=ccc"],
        ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--random", "B=4x4:0.5", "--json"],
        ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--random", "B=4x4:0.5",
         "--random", "c=5:0.5", "--json"],
        ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--tensor", "B=/nonexistent.mtx",
         "--random", "c=5:0.5"],
        ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--random", "B=4x4", "--random", "c=4:1"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("labkit: error:") and "\n" not in err, err
