"""The command line as a user meets it: exit codes, one-line errors, JSON output."""

import json

import pytest

from tests.conftest import LAB_NOTEBOOKS


def one_line_error(proc, code=2):
    assert proc.returncode == code, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip() and "IPKernelApp" not in l]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("args,message", [
    (["run", "no_such_notebook"], "unknown notebook 'no_such_notebook'"),
    (["run", "00_tour", "-p", "novalue"], "malformed parameter 'novalue'"),
    (["run", "00_tour", "-p", "reports_dir=x", "-p", "nope=1"], "has no parameter 'nope'"),
    (["run", "00_tour", "--profile", "fast"], "unknown profile 'fast'"),
    (["reproduce", "--profile", "fast"], "unknown profile 'fast'"),
    (["sweep", "00_tour", "-p", "reports_dir=a,b", "--profile", "fast"], "unknown profile"),
    (["sweep", "00_tour", "-p", "reports_dir=a,,b"], "empty item"),
    (["reproduce", "--profile", "quick", "--compare", "/no/such/run"], "no such folder"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_exits_2_with_one_line(labkit_cli, args, message):
    line = one_line_error(labkit_cli(*args))
    assert message in line


def test_missing_data_set_exits_2(labkit_cli, tmp_path):
    proc = labkit_cli("run", LAB_NOTEBOOKS / "needs_data.ipynb", "--out", tmp_path,
                      "-p", "dataset=cms/no_such.config")
    line = one_line_error(proc)
    assert "data set 'cms/no_such.config' not found; looked in:" in line


def test_unreachable_scheduler_exits_2(labkit_cli, tmp_path):
    proc = labkit_cli("sweep", LAB_NOTEBOOKS / "square.ipynb", "-p", "x=1,2",
                      "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path, timeout=120)
    line = one_line_error(proc)
    assert "cannot reach Dask scheduler at 'tcp://127.0.0.1:9'" in line


def test_list_json_names_notebooks_parameters_and_claims(labkit_cli):
    proc = labkit_cli("list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {nb["notebook"]: nb for nb in json.loads(proc.stdout)["notebooks"]}
    tour = listed["00_tour"]
    assert tour["parameters"]["profile"]["default"] == '"quick"'
    from labkit.lab.claims import all_claims

    declared = {c.id for c in all_claims()}
    assert declared == {c["id"] for nb in listed.values() for c in nb["claims"]}


def test_run_tour_json(labkit_cli, tmp_path):
    proc = labkit_cli("run", "notebooks/00_tour.ipynb", "--out", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    (run,) = out["runs"]
    assert out["ok"] and run["ok"] and run["records"]["datasets_found"] >= 2
    for suffix in (".ipynb", ".html", ".results.json"):
        assert (tmp_path / f"00_tour{suffix}").is_file()


def test_failed_cell_exits_1_naming_it(labkit_cli, tmp_path):
    proc = labkit_cli("run", LAB_NOTEBOOKS / "square.ipynb", "-p", 'x="a"', "--out", tmp_path)
    assert proc.returncode == 1
    assert "square" in proc.stdout and "TypeError" in proc.stdout


def test_sweep_three_points_on_local_cluster(labkit_cli, tmp_path):
    proc = labkit_cli("sweep", LAB_NOTEBOOKS / "square.ipynb", "-p", "x=1,2,3",
                      "--out", tmp_path, "--json", timeout=240)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)["runs"]
    assert [(r["x"], r["square"], r["ok"]) for r in runs] == [(1, 1, True), (2, 4, True),
                                                               (3, 9, True)]
    assert (tmp_path / "sweep-square" / "sweep.csv").is_file()


def test_dashboard_bad_area_and_busy_port(labkit_cli):
    assert "unknown area 'nope'" in one_line_error(labkit_cli("dashboard", "nope"))
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = one_line_error(labkit_cli("dashboard", "--port", port))
    assert f"port {port} is already in use" in line


def test_dashboard_serves_and_stops_on_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from labkit.lab.dashboard import free_port
    from tests.conftest import ROOT

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "labkit.cli", "dashboard", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"labkit: dashboard notebooks at http://127.0.0.1:{port}/ (Ctrl-C to stop)"
        home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
        assert "Voil" in home
        url = f"http://127.0.0.1:{port}/voila/render/00_tour.ipynb"
        page = urllib.request.urlopen(url, timeout=120).read().decode()
        assert "labkit tour" in page and "Data sets found" in page
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert "stopping the dashboard" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_readable_output_rounds_floats_and_indents_nested_results(capsys):
    from labkit.cli import emit, readable

    result = {"threads": 1, "gflops": 21.13285473030655, "ok": True,
              "variants": {"static": {"seconds": 0.00025466899751336314, "agrees": True}}}
    assert readable(result) == ["threads: 1", "gflops: 21.13", "ok: True", "variants:",
                                "  static:", "    seconds: 0.0002547", "    agrees: True"]
    emit(result, as_json=True)                       # JSON keeps every digit
    assert json.loads(capsys.readouterr().out) == result


@pytest.mark.parametrize("kind, text, ok", [
    ("positive_int", "3", 3), ("positive_int", "0", None), ("positive_int", "x", None),
    ("positive_number", "0.5", 0.5), ("positive_number", "0", None),
    ("positive_number", "inf", None), ("positive_number", "nan", None),
])
def test_argument_types(kind, text, ok):
    import argparse

    from labkit.lab import argtypes

    parse = getattr(argtypes, kind)
    if ok is None:
        with pytest.raises(argparse.ArgumentTypeError, match="must be a positive"):
            parse(text)
    else:
        assert parse(text) == ok
