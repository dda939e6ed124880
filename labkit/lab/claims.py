"""The catalogue of published claims that the notebooks check.

Each area declares its claims once, in ``labkit/<area>/claims.py``, with the published
value, a tolerance and the rule that judges a measurement. Notebooks then only say
``card.check("cms.critical_path_speedup", measured)``: published values live in one
place, where tests and ``labkit list`` can read them.

Rules:
- ``"abs"``: ``|measured - paper| <= tolerance``
- ``"rel"``: ``|measured - paper| <= tolerance * |paper|``
- ``"at_least"``: ``measured >= paper - tolerance``
- ``"at_most"``: ``measured <= paper + tolerance``
- ``"true"``: ``bool(measured)`` (the paper value is a statement, e.g. ``"all fault"``)
"""

from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass

from labkit.lab.errors import InputError

RULES = ("abs", "rel", "at_least", "at_most", "true")
AREAS = ("scheduler", "sam", "smm", "siommu")
_REGISTRY: dict[str, "Claim"] = {}


@dataclass(frozen=True)
class Claim:
    """One published claim: what it says, the published value, and how to judge it."""

    id: str
    area: str
    notebook: str
    text: str
    paper: float | str | bool
    tolerance: float = 0.0
    rule: str = "abs"
    unit: str = ""
    source: str = ""

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"claim {self.id}: unknown rule {self.rule!r} (one of {RULES})")
        if self.rule != "true" and not isinstance(self.paper, (int, float)):
            raise ValueError(f"claim {self.id}: rule {self.rule!r} needs a numeric paper value")

    def judge(self, measured) -> bool:
        """True when ``measured`` supports the claim under its rule."""
        if self.rule == "true":
            return bool(measured)
        if measured is None or not isinstance(measured, (int, float)) or math.isnan(measured):
            return False
        p, t = float(self.paper), float(self.tolerance)
        if self.rule == "abs":
            return abs(measured - p) <= t
        if self.rule == "rel":
            return abs(measured - p) <= t * abs(p)
        if self.rule == "at_least":
            return measured >= p - t
        return measured <= p + t  # at_most

    def tolerance_text(self) -> str:
        """The rule and tolerance in a few characters, for tables."""
        unit = f" {self.unit}" if self.unit else ""
        return {
            "abs": f"±{self.tolerance:g}{unit}",
            "rel": f"±{self.tolerance:.0%}",
            "at_least": f"≥ paper" + (f" - {self.tolerance:g}" if self.tolerance else ""),
            "at_most": f"≤ paper" + (f" + {self.tolerance:g}" if self.tolerance else ""),
            "true": "holds",
        }[self.rule]

    def to_dict(self) -> dict:
        return asdict(self)


def define(id: str, *, area: str, notebook: str, text: str, paper, tolerance: float = 0.0,
           rule: str = "abs", unit: str = "", source: str = "") -> Claim:
    """Declare a claim (called at import time by ``labkit/<area>/claims.py``)."""
    claim = Claim(id=id, area=area, notebook=notebook, text=text, paper=paper,
                  tolerance=tolerance, rule=rule, unit=unit, source=source)
    existing = _REGISTRY.get(id)
    if existing is not None and existing != claim:
        raise ValueError(f"claim {id!r} is declared twice with different content")
    _REGISTRY[id] = claim
    return claim


def _load_areas() -> None:
    for area in AREAS:
        try:
            importlib.import_module(f"labkit.{area}.claims")
        except ModuleNotFoundError as exc:  # an area without claims yet
            if exc.name not in (f"labkit.{area}", f"labkit.{area}.claims"):
                raise


def all_claims() -> list[Claim]:
    """Every declared claim, in declaration order."""
    _load_areas()
    return list(_REGISTRY.values())


def get_claim(claim_id: str) -> Claim:
    """The claim with this id, or InputError naming the known ids."""
    _load_areas()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        raise InputError(f"unknown claim {claim_id!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def claims_for(notebook: str) -> list[Claim]:
    """The claims a notebook (by file stem) is declared to check."""
    return [c for c in all_claims() if c.notebook == notebook]
