"""Regime labels: the sign of dealer net GEX at spot, and the modifiers."""

from __future__ import annotations

import math

import pytest

from xlgex.errors import XlgexError
from xlgex.regime import classify_regime

from .chains import TODAY, toy_chain

NEXT_WEEK = "2026-11-27"


def test_long_gamma_dampens():
    # Dealers long calls (default convention): they sell rallies and buy dips.
    regime = classify_regime(toy_chain([(100.0, "C", NEXT_WEEK, 1000, 0.2)]))
    assert regime.base == "long gamma"
    assert regime.label.startswith("Long gamma (dampening)")
    assert "dampening" in regime.description and "sells rallies" in regime.description


def test_short_gamma_amplifies():
    # "Inside the Machine" Part 2 says short gamma "stabilizes"; the mathematics (and the
    # other three documents) say a short-gamma hedger buys strength and sells weakness.
    regime = classify_regime(toy_chain([(100.0, "P", NEXT_WEEK, 1000, 0.2)]))
    assert regime.base == "short gamma"
    assert regime.label.startswith("Short gamma (amplifying)")
    assert "amplifying" in regime.description


def test_flat():
    assert classify_regime(net_gex=0.0, spot=100.0).base == "flat"


@pytest.mark.parametrize("flip, near", [(99.5, True), (101.0, True), (98.9, False)])
def test_near_flip_modifier(flip, near):
    regime = classify_regime(net_gex=1e9, spot=100.0, flip=flip)
    assert any(m.startswith("near flip") for m in regime.modifiers) is near
    assert regime.facts["distance_to_flip_pct"] == pytest.approx(100.0 - flip)


@pytest.mark.parametrize("ratio, stressed", [(1.08, True), (1.0, False), (0.85, False)])
def test_stress_modifier(ratio, stressed):
    regime = classify_regime(net_gex=-1e9, spot=100.0, term_structure=ratio)
    assert ("stress" in regime.label) is stressed


@pytest.mark.parametrize("skew, steep", [(9.5, True), (8.0, False), (3.0, False)])
def test_steep_skew_modifier(skew, steep):
    regime = classify_regime(net_gex=1e9, spot=100.0, skew=skew)
    assert ("steep skew" in regime.label) is steep


def test_thresholds_are_parameters():
    regime = classify_regime(net_gex=1e9, spot=100.0, flip=97.0, skew=5.0, term_structure=0.95,
                             near_flip_pct=3.5, steep_skew_vol_pts=4.0, stress_ratio=0.9)
    assert len(regime.modifiers) == 3


def test_facts_from_a_chain():
    chain = toy_chain([
        (95.0, "P", TODAY, 3000, 0.2), (100.0, "C", NEXT_WEEK, 2000, 0.2),
        (105.0, "C", NEXT_WEEK, 1500, 0.2),
    ])
    regime = classify_regime(chain, skew=6.0, term_structure=0.9)
    facts = regime.facts
    assert facts["convention"] == "calls_long_puts_short"
    assert facts["put_wall"] == 95.0 and facts["call_wall"] in (100.0, 105.0)
    assert 0 < facts["share_0dte"] < 1
    assert math.isfinite(facts["flip"]) == bool(facts["crossings"])
    assert facts["net_gex"] != 0 and facts["spot"] == 100.0
    overridden = classify_regime(chain, spot=95.0)  # on the 0DTE put strike
    assert overridden.facts["spot"] == 95.0 and overridden.base == "short gamma"


def test_chain_gamma_without_iv_still_has_a_regime():
    # Bars from the chain's own gamma; the profile needs IV, so the flip is a reason, not an error.
    chain = toy_chain([(100.0, "P", NEXT_WEEK, 1000, float("nan"))], chain_gamma=[0.04])
    regime = classify_regime(chain, gamma_source="chain")
    assert regime.base == "short gamma"  # dealers short the put under the default convention
    assert regime.facts["net_gex"] == pytest.approx(-0.04 * 1000 * 100 * 100.0**2 * 0.01)
    assert math.isnan(regime.facts["flip"]) and "without IV" in regime.facts["flip_reason"]
    with pytest.raises(XlgexError, match="no contract priced"):
        classify_regime(chain)  # model gamma: nothing priced at all


@pytest.mark.parametrize("given", [{"skew": float("inf")}, {"term_structure": float("nan")},
                                   {"skew": True}, {"near_flip_pct": float("nan")}])
def test_typed_modifiers_must_be_finite_numbers(given):
    with pytest.raises(XlgexError, match="not a finite number"):
        classify_regime(net_gex=1e9, spot=100.0, **given)
