"""Bad input to ``labkit smm``: refused before any work or allocation, exit 2, one line
that names the problem (the validator's own words, the size asked, its estimate, the limit)."""

from __future__ import annotations

import pytest

from labkit import cli

CASES = [
    (["bench", "--mnk", "5,5,5", "--batch", "1e15"], "--batch 1000000000000000"),
    (["bench", "--mnk", "100000,100000,100000"], "of memory; the limit is"),
    (["bench", "--batch", "0"], "must be a positive integer, got '0'"),
    (["dispatch", "--generate", "-1"], "must be a non-negative integer, got '-1'"),
    (["dispatch", "--generate", "1e9"], "the time budget is"),
    (["dispatch", "--calls", "1e15"], "the time budget is"),
    (["contention", "--threads", "1000000"], "the OS thread limit"),
    (["xgemm", "--alpha", "nan"], "must be a finite number, got 'nan'"),
]


@pytest.mark.parametrize("argv,expected", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LABKIT_MEMORY_LIMIT", str(2 * 1024**3))
    code = cli.main(["smm", *argv, "--json"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("labkit: error: "), err
    assert expected in lines[0]


def test_a_cache_that_is_a_file_is_refused(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / "cache"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("LABKIT_CACHE", str(blocker))
    code = cli.main(["smm", "bench", "--mnk", "5,5,5", "--batch", "10", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "LABKIT_CACHE" in err and len(err.strip().splitlines()) == 1, err
