"""Run profiles: ``quick`` (tests and CI, each notebook well under a minute on 2 cores)
and ``paper`` (the full reproduction)."""

from __future__ import annotations

from typing import TypeVar

from labkit.lab.errors import InputError

PROFILES = ("quick", "paper")
T = TypeVar("T")


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is known, else raise InputError naming the choices."""
    if profile not in PROFILES:
        raise InputError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    return profile


def choose(profile: str, *, quick: T, paper: T) -> T:
    """Pick the setting for ``profile``: ``choose(profile, quick=100, paper=10_000)``."""
    return {"quick": quick, "paper": paper}[check_profile(profile)]
