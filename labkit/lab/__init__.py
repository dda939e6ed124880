"""Shared lab tooling: data locator, profiles, claims and scorecard, notebook runner,
Dask sweeps, altair theme and export, widget helpers.

Notebooks typically need only::

    from labkit.lab import Scorecard, choose, locate
"""

from labkit.lab.claims import Claim, define, get_claim, all_claims
from labkit.lab.data import locate, find_data, inventory
from labkit.lab.errors import InputError, RunFailed
from labkit.lab.profiles import PROFILES, check_profile, choose
from labkit.lab.scorecard import Scorecard

__all__ = [
    "Claim", "define", "get_claim", "all_claims",
    "locate", "find_data", "inventory",
    "InputError", "RunFailed",
    "PROFILES", "check_profile", "choose",
    "Scorecard",
]
