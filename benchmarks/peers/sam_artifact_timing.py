"""pytest plugin for the SAM artifact's tests: wall seconds of each test's call phase,
written as JSON to $SAM_ARTIFACT_TIMES at the end of the session (bench_sam_artifact.py).

Each test also draws a Gantt chart with matplotlib after its simulation; that drawing is
switched off (the test module's ``gen_gantt`` becomes a no-op) so the time is the
simulation's, plus reading the input files and the gold check."""

import json
import os
import time

import pytest

_seconds = {}


def _no_gantt(*args, **kwargs):
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if hasattr(item.module, "gen_gantt"):
        item.module.gen_gantt = _no_gantt
    start = time.perf_counter()
    yield
    _seconds[item.nodeid] = time.perf_counter() - start


def pytest_sessionfinish(session):
    path = os.environ.get("SAM_ARTIFACT_TIMES")
    if path:
        with open(path, "w") as fh:
            json.dump(_seconds, fh)
