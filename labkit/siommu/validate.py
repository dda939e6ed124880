"""Checks of user-supplied numbers, shared by the SIOMMU modules (one message style)."""

from __future__ import annotations

import numbers

from labkit.lab.errors import InputError


def positive_int(what: str, value) -> int:
    """``value`` as an int if it is a positive integer (not a bool), else InputError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InputError(f"{what} must be a positive integer, got {value!r}")
    return int(value)
