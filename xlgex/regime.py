"""The dealer gamma regime: does hedging dampen or amplify moves?

The base regime is the sign of dealers' net GEX at spot:

* **long gamma** (net GEX > 0): as price rises the dealers' delta rises, so they sell; as it
  falls they buy. Hedging leans against moves: dampening, mean reversion.
* **short gamma** (net GEX < 0): hedging buys rallies and sells dips, in the direction of
  the move: amplifying, trending.

"Market makers and delta-hedging", "How To Interpret Periscope Net Gamma Exposure" and
"Gamma — the second derivative" all derive this. "Inside the Machine: How Market Makers
Actually Hedge Gamma" states it backwards in its Part 2 tables (short gamma "stabilizes"),
although its own Part 3 and Part 7 agree with the mathematics; xlgex follows the mathematics.

Modifiers: *near the flip* (spot within ``near_flip_pct`` of the flip), *stress* (term
structure inverted: ``term_structure`` above ``stress_ratio``), *steep skew* (``skew`` above
``steep_skew_vol_pts``).
"""

from __future__ import annotations

import dataclasses
import math

from .chain import Chain
from .errors import NothingPricedError, error
from .flip import gamma_flip
from .gex import GexSettings, _resolve, gex_walls, total_gex
from .results import Figure

__all__ = ["Regime", "classify_regime", "NEAR_FLIP_PCT", "STEEP_SKEW_VOL_PTS", "STRESS_RATIO"]

NEAR_FLIP_PCT = 1.0
"""Spot within this many percent of the flip counts as "near the flip"."""
STEEP_SKEW_VOL_PTS = 8.0
"""25-delta put IV minus call IV, in vol points, above which skew counts as steep."""
STRESS_RATIO = 1.0
"""Front IV / back IV (or VIX/VIX3M) above this means an inverted, stressed term structure."""

BASE_TEXT = {
    "long gamma": "Long gamma: dealer hedging sells rallies and buys dips, dampening moves",
    "short gamma": "Short gamma: dealer hedging chases rallies and dips, amplifying moves",
    "flat": "Flat gamma: dealer hedging neither dampens nor amplifies",
}


@dataclasses.dataclass(frozen=True)
class Regime:
    """A regime label and the facts behind it."""

    label: str
    """One line for a trader, e.g. ``"Short gamma (amplifying) | near flip | stress"``."""
    base: str
    """``"long gamma"``, ``"short gamma"`` or ``"flat"``."""
    description: str
    modifiers: tuple
    facts: dict

    def __str__(self) -> str:
        return self.label


def _finite(value, what: str) -> float:
    """A finite float: a regime is never labelled from NaN or inf (overflow is a message)."""
    if isinstance(value, bool):
        raise error("not_finite", what=what, value=value)
    number = float(value)
    if not math.isfinite(number):
        raise error("not_finite", what=what, value=number)
    return number


def _flip_or_reason(chain: Chain, s: GexSettings) -> Figure:
    """The flip, or NaN with the reason when the profile prices nothing although the bars do
    (``gamma_source="chain"`` on a chain without IV: the base regime still stands)."""
    try:
        return gamma_flip(chain, settings=s)
    except NothingPricedError as err:
        return Figure(float("nan"), crossings=(), reason=f"no flip: {str(err)[len('xlgex: '):]}")


def classify_regime(chain: Chain | None = None, *, spot: float | None = None,
                    net_gex: float | None = None, flip: float | None = None,
                    skew: float | None = None, term_structure: float | None = None,
                    near_flip_pct: float = NEAR_FLIP_PCT,
                    steep_skew_vol_pts: float = STEEP_SKEW_VOL_PTS,
                    stress_ratio: float = STRESS_RATIO,
                    settings: GexSettings | None = None, **kwargs) -> Regime:  # fmt: skip
    """Classify the dealer gamma regime.

    Parameters
    ----------
    chain : Chain, optional
        When given, net GEX at spot, the flip, walls and the 0DTE share come from it
        (``spot`` overrides the chain's spot).
    spot, net_gex, flip : float, optional
        Without a chain: spot (spot units), dealer net GEX at spot ($ per 1%) and the flip.
    skew : float, optional
        25-delta put IV minus call IV, in vol points (6.5, not 0.065). With a chain and no
        skew, the chain's 25-delta risk reversal (:func:`xlgex.views.vol_summary`).
    term_structure : float, optional
        Front IV over back IV, or VIX/VIX3M (a ratio; above 1 is inverted). With a chain and
        none given, the chain's 30-day over 90-day ATM IV.
    near_flip_pct, steep_skew_vol_pts, stress_ratio : float
        Thresholds; defaults :data:`NEAR_FLIP_PCT`, :data:`STEEP_SKEW_VOL_PTS`,
        :data:`STRESS_RATIO`.
    settings, **kwargs
        GEX settings (convention, gamma_source, ...) as in :mod:`xlgex.gex`.
    """
    facts: dict = {}
    skew = None if skew is None else _finite(skew, "skew")
    term_structure = None if term_structure is None else _finite(term_structure, "term_structure")
    near_flip_pct = _finite(near_flip_pct, "near_flip_pct")
    steep_skew_vol_pts = _finite(steep_skew_vol_pts, "steep_skew_vol_pts")
    stress_ratio = _finite(stress_ratio, "stress_ratio")
    if chain is not None:
        s = _resolve(settings, kwargs)
        if spot is not None:
            chain = chain.with_spot(spot)
        total = total_gex(chain, settings=s)
        flip_fig = _flip_or_reason(chain, s)
        walls = gex_walls(chain, settings=s)
        spot, net_gex, flip = chain.spot, float(total), float(flip_fig)
        skew, term_structure = _chain_vol_views(chain, s, skew, term_structure, facts)
        facts.update(
            convention=total.convention, share_0dte=total.share_0dte,
            call_wall=walls["call_wall"], put_wall=walls["put_wall"],
            abs_gamma_strike=walls["abs_gamma_strike"],
            crossings=flip_fig.crossings, flip_reason=flip_fig.reason,
            contracts_priced=total.contracts_priced, coverage=total.coverage,
        )  # fmt: skip
    elif net_gex is None:
        raise TypeError("classify_regime needs a chain, or net_gex (and optionally spot, flip)")
    net_gex = _finite(net_gex, "net_gex")
    spot = None if spot is None else _finite(spot, "spot")
    flip = float("nan") if flip is None else float(flip)
    distance_pct = (
        (spot - flip) / spot * 100.0 if spot and not math.isnan(flip) else float("nan")
    )
    base = "long gamma" if net_gex > 0 else "short gamma" if net_gex < 0 else "flat"
    modifiers = []
    if not math.isnan(distance_pct) and abs(distance_pct) <= near_flip_pct:
        modifiers.append(f"near flip ({abs(distance_pct):.2f}% away)")
    if term_structure is not None and term_structure > stress_ratio:
        modifiers.append(f"stress: term structure inverted ({term_structure:.2f})")
    if skew is not None and skew > steep_skew_vol_pts:
        modifiers.append(f"steep skew ({skew:.1f} vol pts)")
    head = {"long gamma": "Long gamma (dampening)", "short gamma": "Short gamma (amplifying)",
            "flat": "Flat gamma"}[base]  # fmt: skip
    facts.update(
        spot=spot, net_gex=net_gex, flip=flip, distance_to_flip_pct=distance_pct,
        skew_vol_pts=skew, term_structure=term_structure, near_flip_pct=near_flip_pct,
        steep_skew_vol_pts=steep_skew_vol_pts, stress_ratio=stress_ratio,
    )  # fmt: skip
    return Regime(
        label=" | ".join([head, *modifiers]),
        base=base,
        description=BASE_TEXT[base],
        modifiers=tuple(modifiers),
        facts=facts,
    )


def _chain_vol_views(chain, s, skew, term_structure, facts):
    """Skew and term structure the user left blank, from the chain (:mod:`xlgex.views`)."""
    from .errors import XlgexError
    from .views import vol_summary

    facts.update(skew_source="argument", term_structure_source="argument")
    if skew is not None and term_structure is not None:
        return skew, term_structure
    try:
        v = vol_summary(chain, settings=s)
    except XlgexError as err:
        facts.update(skew_source=str(err), term_structure_source=str(err))
        return skew, term_structure
    if skew is None and v["rr_25d_vol_pts"] == v["rr_25d_vol_pts"]:
        skew = v["rr_25d_vol_pts"]
        facts["skew_source"] = f"chain: 25-delta risk reversal, {v['rr_expiry']:%Y-%m-%d} expiry"
    elif skew is None:
        facts["skew_source"] = v["skew_reason"]
    if term_structure is None and v["term_structure"] == v["term_structure"]:
        term_structure = v["term_structure"]
        facts["term_structure_source"] = (f"chain: ATM IV {v['front_expiry']:%Y-%m-%d} / "
                                          f"{v['back_expiry']:%Y-%m-%d}")  # fmt: skip
    elif term_structure is None:
        facts["term_structure_source"] = v["term_reason"]
    return skew, term_structure
