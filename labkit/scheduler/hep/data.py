"""Finding the CMS configurations, with a documented synthetic stand-in.

When ``cms/<name>`` is in none of the data folders, :func:`cms_config` returns a
synthetic configuration of the same size and shape class (:func:`examples.synthetic`:
489 lognormal-timed producers in a layered DAG, 2 output modules) and ``real=False``,
so notebooks still run and mark their scorecard rows ``synthetic``.
"""

from __future__ import annotations

from labkit.lab.data import find_data
from labkit.scheduler.hep.config import load
from labkit.scheduler.hep.examples import synthetic

HIPILEUP = "reco_hipileup_5_2_0_busywait_perfectIO.config"


def cms_config(name: str = HIPILEUP, *, producers: int = 489):
    """(configuration, real?) for ``cms/<name>``."""
    path = find_data(f"cms/{name}")
    if path is not None:
        return load(path), True
    return synthetic(producers, layers=25, fan_in=4, mean_time=0.01, sigma=2.0), False


def describe(config, real: bool) -> str:
    """The first line a notebook prints: which data it runs on."""
    if real:
        return f"CMS configuration {config.name}: {len(config.modules)} modules, " \
               f"{len(config.paths)} paths"
    return (f"CMS data not found: running on the synthetic stand-in {config.name} "
            f"({len(config.modules)} modules); results are marked synthetic")
