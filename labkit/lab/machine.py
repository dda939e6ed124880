"""What machine a run happened on: CPU, cores, memory, and the versions that matter."""

from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ("labkit", "numpy", "pandas", "scipy", "numba", "altair", "papermill", "dask")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def describe() -> dict:
    """A JSON-able description of this machine and its software versions."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gib": memory_gib(),
            "platform": platform.platform(), "python": platform.python_version(),
            "versions": versions}
