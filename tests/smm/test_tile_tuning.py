"""Tile tuning: a tiny optuna search stores its best tiles, and later calls use them."""

import json

import numpy as np
import pytest

from labkit.cli import main
from labkit.lab.errors import InputError
from labkit.smm import tiles
from labkit.smm.tile_tuning import tune_gemm
from labkit.smm.tiles import GemmTiles, size_range, tiles_for


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "tiles.json"
    monkeypatch.setattr(tiles, "store_path", lambda: path)
    return path


def test_search_stores_the_best_and_calls_use_it(store):
    tuned = tune_gemm(96, 80, 72, trials=4, threads=1, repeat=1, progress=False)
    assert len(tuned.trials) == 4 and tuned.trials["value"].min() == pytest.approx(tuned.seconds)
    assert tuned.seconds <= tuned.default_seconds        # the defaults are the first trial
    saved = json.loads(store.read_text())[tuned.key]
    assert GemmTiles(**saved["tiles"]) == tuned.tiles
    assert tiles_for("gemm", "float64", 1, 90, 90, 90) == tuned.tiles     # same size range
    assert tiles_for("gemm", "float64", 2, 90, 90, 90) == GemmTiles()     # other thread count
    assert tiles_for("gemm", "float64", 1, 3000, 3000, 3000) == GemmTiles()

    from labkit.smm.xgemm import random_operands, xgemm
    a, b, c = random_operands(((96, 72), (72, 80), (96, 80)))
    xgemm(96, 80, 72, a, 96, b, 72, c, 96, threads=1)   # with the tuned tiles, by default
    np.testing.assert_allclose(c, a @ b, rtol=1e-12)


def test_corrupt_or_stale_store_means_defaults(store):
    store.write_text("{not json")
    assert tiles_for("gemm", "float64", 1, 500, 500, 500) == GemmTiles()
    key = f"gemm:float64:t1:<={size_range(500, 500, 500)}"
    store.write_text(json.dumps({key: {"tiles": {"vectors": 9, "nr": 9}}}))
    assert tiles_for("gemm", "float64", 1, 500, 500, 500) == GemmTiles()


def test_size_ranges():
    assert size_range(192, 192, 192) == 256 and size_range(2000, 2000, 2000) == 2048
    assert size_range(8192, 8192, 8192) == 8192 and size_range(100000, 1, 1) == 256


def test_bad_tiles_refused():
    with pytest.raises(InputError, match="registers"):
        GemmTiles(vectors=4, nr=8).checked()
    with pytest.raises(InputError, match="multiple"):
        GemmTiles(mc=100).checked()
    with pytest.raises(InputError, match="trials"):
        tune_gemm(64, 64, 64, trials=0)


def test_cli_tune_json(store, capsys):
    assert main(["smm", "tune", "gemm", "--mnk", "64,64,64", "--trials", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trials"] == 2 and out["key"] in json.loads(store.read_text())


@pytest.mark.parametrize("argv, word", [
    (["gemm", "--mnk", "64,0,64"], "n must be"),
    (["gemm", "--mnk", "64,64,64", "--trials", "0"], "--trials"),
    (["gemm", "--mnk", "32768,32768,32768"], "of memory; the limit is"),
    (["fft", "--mnk", "4,4,4"], "invalid choice"),
    (["transpose", "--mnk", "64"], "M,N"),
    (["transpose", "--mnk", "64,-1"], "n must be"),
    (["transpose", "--mnk", "300000,300000"], "of memory; the limit is"),
])
def test_cli_tune_bad_input(argv, word, capsys):
    assert main(["smm", "tune", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err


def test_cli_tune_transpose_json(store, capsys):
    assert main(["smm", "tune", "transpose", "--mnk", "96,64", "--trials", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "transpose" and out["key"] in json.loads(store.read_text())
