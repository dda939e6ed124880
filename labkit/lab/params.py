"""Parsing ``-p KEY=VALUE`` (and ``KEY=V1,V2,...`` for sweeps) from the command line."""

from __future__ import annotations

import json

from labkit.lab.errors import InputError


def parse_value(text: str):
    """JSON where it parses (``3``, ``0.5``, ``true``, ``[1,2]``, ``"a"``), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _split(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier() or value == "":
        raise InputError(f"malformed parameter {item!r}: expected KEY=VALUE with KEY a "
                         "Python identifier and a non-empty VALUE")
    return key, value


def parse_assignments(items: list[str] | None) -> dict:
    """``["n=3", "name=x"]`` -> ``{"n": 3, "name": "x"}``; a repeated key is an error."""
    out: dict = {}
    for item in items or []:
        key, value = _split(item)
        if key in out:
            raise InputError(f"parameter {key!r} is given twice")
        out[key] = parse_value(value)
    return out


def parse_grid(items: list[str] | None) -> dict[str, list]:
    """``["n=1,2,3", "wait=busy"]`` -> ``{"n": [1, 2, 3], "wait": ["busy"]}``."""
    out: dict[str, list] = {}
    for item in items or []:
        key, value = _split(item)
        if key in out:
            raise InputError(f"parameter {key!r} is given twice")
        values = [v.strip() for v in value.split(",")]
        if any(v == "" for v in values):
            raise InputError(f"malformed value list in {item!r}: empty item")
        out[key] = [parse_value(v) for v in values]
    return out
