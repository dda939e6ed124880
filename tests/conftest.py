"""Shared test fixtures: the project root, the lab test notebooks, a CLI runner."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB_NOTEBOOKS = ROOT / "tests" / "lab" / "notebooks"


@pytest.fixture
def labkit_cli():
    """Run the ``labkit`` command in a subprocess: ``labkit_cli("list", "--json")``."""

    def run(*args, timeout=300, env=None):
        return subprocess.run([sys.executable, "-m", "labkit.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, **(env or {})})

    return run
