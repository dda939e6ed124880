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


def _vector_files(tmp_path):
    tns = tmp_path / "c.tns"
    tns.write_text("1 2.0\n3 4.0\n")            # length 5 really; its largest coordinate is 3
    mtx = tmp_path / "c.mtx"
    mtx.write_text("%%MatrixMarket matrix coordinate real general\n5 1 2\n1 1 2.0\n3 1 4.0\n")
    bm = tmp_path / "B.mtx"
    bm.write_text("%%MatrixMarket matrix coordinate real general\n4 5 3\n1 1 1.0\n2 3 3.0\n4 5 5.0\n")
    return tns, mtx, bm


def test_a_vector_gets_its_true_length(tmp_path, capsys):
    import numpy as np

    from labkit.sam.mtx import load

    tns, mtx, bm = _vector_files(tmp_path)
    expected = np.array([2.0, 0.0, 4.0, 0.0, 0.0])
    np.testing.assert_array_equal(load(tns, shape=(5,)).to_numpy(), expected)
    np.testing.assert_array_equal(load(mtx, vector=True).to_numpy(), expected)
    assert load(mtx).shape == (5, 1)                      # read for two indices: a matrix
    base = ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--tensor", f"B={bm}", "--json"]
    assert main(base + ["--tensor", f"c={tns}"]) == 2     # length 3 from the file: disagrees
    assert "dimension 3 of c" in capsys.readouterr().err
    for extra in (["--tensor", f"c={tns}", "--shape", "c=5"], ["--tensor", f"c={mtx}"]):
        assert main(base + extra) == 0, extra
        out = json.loads(capsys.readouterr().out)
        assert out["matches_gold"] is True and out["result_nnz"] == 2   # B@c = [2, 12, 0, 0]


def test_sam_bad_vector_and_shape_options_exit_2_naming_them(tmp_path, capsys):
    tns, mtx, bm = _vector_files(tmp_path)
    base = ["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--tensor", f"B={bm}"]
    cases = {"--shape c: dimension 2": ["--tensor", f"c={tns}", "--shape", "c=2"],
             "--shape c: 2 dimension(s)": ["--tensor", f"c={tns}", "--shape", "c=5x1"],
             "--shape d: no --tensor": ["--tensor", f"c={tns}", "--shape", "d=5"],
             "--shape c=abc": ["--tensor", f"c={tns}", "--shape", "c=abc"],
             "--shape c=0": ["--tensor", f"c={tns}", "--shape", "c=0"],
             "tensor B:": ["--tensor", f"c={mtx}", "--tensor", f"B={bm}", "--expr",
                           "x(i)=B(i)*c(i)"]}
    for needle, extra in cases.items():
        assert main(base + extra) == 2, extra
        err = capsys.readouterr().err.strip()
        assert err.startswith("labkit: error:") and "\n" not in err and needle in err, err


def test_complex_matrices_stay_refused(tmp_path, capsys):
    path = tmp_path / "z.mtx"
    path.write_text("%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1.0 2.0\n")
    assert main(["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--tensor", f"B={path}",
                 "--random", "c=2:1.0"]) == 2
    assert "complex" in capsys.readouterr().err


def test_an_order_the_compiler_cannot_schedule_exits_2_naming_the_operand(capsys):
    base = ["sam", "run", "--expr", "X(i,j)=B(i,j)*C(i,j)", "--format", "B=cs",
            "--random", "B=5x5:0.3", "--random", "C=5x5:0.3"]
    for order, level in (("ij", "level i"), ("ji", "level j")):
        assert main(base + ["--order", order]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "tensor B" in err and level in err, err
    assert main(["sam", "run", "--expr", "x(i)=B(i,j)*c(j)", "--order", "ijk",
                 "--random", "B=4x4:0.5", "--random", "c=4:0.5"]) == 2
    assert "order 'ijk'" in capsys.readouterr().err
