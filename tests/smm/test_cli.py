"""``labkit smm``: one JSON object with the DESIGN.md keys; bad input exits 2, one line."""

import json
import subprocess
import sys

import pytest

from labkit.cli import main


def test_bench_json(capsys):
    assert main(["smm", "bench", "--mnk", "5,5,5", "--stream", "AC", "--kernel", "labkit",
                 "--batch", "64", "--threads", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"gflops", "gbps", "pseudo_flops_per_cycle", "seconds"}
    assert out["gflops"] == pytest.approx(64 * 250 / out["seconds"] / 1e9)


@pytest.mark.parametrize("argv, word", [
    (["--mnk", "5,0,5"], "n must be"),
    (["--mnk", "5,5"], "--mnk"),
    (["--mnk", "5,5,5", "--stream", "A"], "stream"),
    (["--mnk", "5,5,5", "--kernel", "cublas"], "kernel"),
    (["--mnk", "5,5,5", "--batch", "-3"], "--batch"),
    (["--mnk", "5,5,5", "--threads", "64"], "threads"),
    (["--mnk", "5,5,5", "--prefetch", "sometimes"], "prefetch"),
])
def test_bad_input_exit_2(argv, word, capsys):
    assert main(["smm", "bench", *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err and "Traceback" not in err


def test_installed_command_runs():
    proc = subprocess.run([sys.executable, "-m", "labkit.cli", "smm", "bench", "--mnk", "3,3,3",
                           "--kernel", "numpy", "--batch", "10", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["seconds"] > 0
