import math

import pytest

from labkit.lab import claims as claims_mod
from labkit.lab.claims import Claim, define, get_claim
from labkit.lab.errors import InputError
from labkit.lab.profiles import check_profile, choose


def claim(rule, paper=1.0, tolerance=0.1):
    return Claim(id="t", area="lab", notebook="nb", text="t", paper=paper, tolerance=tolerance,
                 rule=rule)


@pytest.mark.parametrize("rule,measured,ok", [
    ("abs", 1.05, True), ("abs", 1.2, False), ("abs", 0.9, True),
    ("rel", 1.09, True), ("rel", 1.11, False),
    ("at_least", 0.95, True), ("at_least", 0.85, False), ("at_least", 5.0, True),
    ("at_most", 1.05, True), ("at_most", 1.2, False), ("at_most", -3.0, True),
])
def test_rules_judge_measurements(rule, measured, ok):
    assert claim(rule).judge(measured) is ok


def test_rel_scales_with_paper_value():
    assert claim("rel", paper=100.0, tolerance=0.1).judge(109.0)
    assert not claim("rel", paper=100.0, tolerance=0.1).judge(111.0)


def test_missing_or_nan_measurement_never_holds():
    for rule in ("abs", "rel", "at_least", "at_most"):
        assert not claim(rule).judge(None)
        assert not claim(rule).judge(math.nan)


def test_true_rule():
    c = Claim(id="t", area="lab", notebook="nb", text="all fault", paper="all fault", rule="true")
    assert c.judge(True) and not c.judge(False)


def test_bad_claim_definitions():
    with pytest.raises(ValueError, match="unknown rule"):
        claim("roughly")
    with pytest.raises(ValueError, match="numeric paper value"):
        Claim(id="t", area="lab", notebook="nb", text="t", paper="fast", rule="abs")


def test_registry_refuses_conflicting_redefinition():
    define("lab.test.x", area="lab", notebook="nb", text="x", paper=1.0)
    define("lab.test.x", area="lab", notebook="nb", text="x", paper=1.0)  # identical: fine
    with pytest.raises(ValueError, match="declared twice"):
        define("lab.test.x", area="lab", notebook="nb", text="x", paper=2.0)
    assert get_claim("lab.test.x").paper == 1.0
    claims_mod._REGISTRY.pop("lab.test.x")


def test_unknown_claim_is_an_input_error():
    with pytest.raises(InputError, match="unknown claim"):
        get_claim("no.such.claim")


def test_every_declared_claim_names_an_existing_notebook():
    from labkit.lab.notebooks import list_notebooks

    stems = {p.stem for p in list_notebooks()}
    for c in claims_mod.all_claims():
        assert c.notebook in stems, f"claim {c.id} names missing notebook {c.notebook}"
        assert c.area in claims_mod.AREAS


def test_profiles():
    assert check_profile("quick") == "quick"
    assert choose("paper", quick=1, paper=2) == 2
    with pytest.raises(InputError, match="unknown profile 'fast'"):
        choose("fast", quick=1, paper=2)
