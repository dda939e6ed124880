"""What the permission data is: claims 5 and 6 of US 12,189,966 B2.

Claim 5: the permission data is the mere *existence* of a matching entry: the OS grants
an access by installing an entry and denies it by leaving none, and the R/W bits of the
entry are not consulted. Claim 6: the permission data is a *field* in an existing entry
(the R/W bits of FIG. 3, field 80): an entry can match and still deny. Either way a
matching entry must hold a valid physical address for the SIOMMU to output one.
"""

from __future__ import annotations

from labkit.lab.errors import InputError

EXISTENCE, FIELD = "existence", "field"
MODELS = (EXISTENCE, FIELD)


def check_model(model) -> str:
    if model not in MODELS:
        raise InputError(f"unknown permission model {model!r}: one of {', '.join(MODELS)}")
    return model


def grants(model: str, entry, write: bool) -> bool:
    """Does the matching ``entry`` authorise the access under ``model``?"""
    if entry.physical is None:
        return False
    return True if model == EXISTENCE else (entry.write if write else entry.read)
