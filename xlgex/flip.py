"""Gamma profile over hypothetical spots, and the gamma flip.

The profile re-prices every contract's gamma at each hypothetical spot ``L`` (GEX at ``L``
uses ``L**2``), under a volatility rule:

* ``"sticky_strike"`` (default): each contract keeps its own IV;
* ``"sticky_moneyness"``: each expiry's smile moves with spot, so strike ``K`` at spot ``L``
  gets today's IV at strike ``K * S / L``.

What-ifs: ``vol_shift`` adds a parallel shift to every IV (decimal, +0.02 = +2 vol points;
IVs pushed to zero or below carry no gamma), ``roll_hours``/``roll_days`` move the clock
forward so contracts that settle in between drop out ("expiration melt").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .chain import Chain
from .conventions import CLASSIC_DAYS_PER_YEAR, ONE_PCT
from .core.exposure import GEX_POWER_OF_SPOT
from .core.profile import (
    StickyStrikeGrid,
    profile_kernel,
    refine_root,
    sign_changes,
    sticky_moneyness_vols,
)
from .errors import error
from .gex import GexSettings, _resolve, dealer_contracts, gex_by_strike
from .results import Figure

__all__ = ["gex_profile", "gamma_flip", "default_levels", "VOL_RULES", "FLIP_METHODS"]

VOL_RULES = ("sticky_strike", "sticky_moneyness")
FLIP_METHODS = ("profile", "cumulative")
DEFAULT_RANGE_PCT = 20.0
DEFAULT_LEVELS = 161
"""Default grid: 161 levels over spot +-20%, a 0.25% step."""
CLASSIC_LEVELS = 60
COARSE_STEP = 16
"""The flip first evaluates every 16th grid point and proves most intervals sign-free."""


def default_levels(spot: float, n_levels: int = DEFAULT_LEVELS,
                   range_pct: float = DEFAULT_RANGE_PCT) -> np.ndarray:  # fmt: skip
    """``n_levels`` evenly spaced spots from ``spot*(1-range_pct/100)`` to ``spot*(1+...)``."""
    if n_levels < 2 or not 0 < range_pct < 100:
        raise error("unknown_choice", what="grid", value=f"{n_levels} levels, +-{range_pct}%",
                    choices="n_levels >= 2 and 0 < range_pct < 100")  # fmt: skip
    return np.linspace(spot * (1 - range_pct / 100), spot * (1 + range_pct / 100), n_levels)


class _ProfileInputs:
    """The per-contract arrays a profile needs, built once per (chain, settings, what-if)."""

    def __init__(self, chain: Chain, s: GexSettings, vol_rule="sticky_strike", vol_shift=0.0,
                 roll_hours=0.0, roll_days=0.0):  # fmt: skip
        if vol_rule not in VOL_RULES:
            raise error("unknown_choice", what="vol_rule", value=vol_rule,
                        choices=", ".join(VOL_RULES))  # fmt: skip
        self.settings = s
        classic = s.preset == "classic"
        if roll_hours or roll_days:
            chain = chain.rolled(hours=roll_hours or 0.0, days=roll_days or 0.0)
        base = chain.including_expired() if classic else chain
        base = base.select(s.expiries)
        if classic:
            weekdays = np.busday_count(np.datetime64(base.asof.date(), "D"), base.expiry)
            t = np.where(weekdays == 0, 1.0, weekdays) / CLASSIC_DAYS_PER_YEAR
            keep = (weekdays >= 0) & base.has_iv
        else:
            t = base.t_years
            keep = base.has_iv
        self.chain = base.take(keep)
        self.rows_excluded_no_iv = int((~base.has_iv).sum())
        self.t_years = t[keep]
        self.vol = self.chain.iv + float(vol_shift or 0.0)
        self.rate = 0.0 if classic else s.rate
        self.div_yield = 0.0 if classic else s.div_yield
        dealer = dealer_contracts(self.chain, s.convention) * self.chain.multiplier
        if s.unit == "usd_per_1pct":
            dealer = dealer * ONE_PCT
        calls = self.chain.is_call
        self.weights = np.column_stack([np.where(calls, dealer, 0.0), np.where(calls, 0.0, dealer)])
        self.vol_at, self._grid = None, None
        if vol_rule == "sticky_moneyness":
            self.vol_at = sticky_moneyness_vols(self.chain.spot, self.chain.strike, self.vol,
                                                self.chain.expiry)  # fmt: skip
        self.info = s.info() | {
            "vol_rule": vol_rule, "vol_shift": float(vol_shift or 0.0),
            "roll_hours": float(roll_hours or 0.0) + 24.0 * float(roll_days or 0.0),
            "asof": self.chain.asof.isoformat(timespec="minutes"), "spot": self.chain.spot,
            "rows_used": len(self.chain), "rows_excluded_no_iv": self.rows_excluded_no_iv,
        }  # fmt: skip

    def prepared(self) -> StickyStrikeGrid | None:
        """The sticky-strike contracts, prepared once (None for sticky moneyness)."""
        if self._grid is None and self.vol_at is None:  # reused by every Brent step
            self._grid = StickyStrikeGrid(self.chain.strike, self.t_years, self.vol,
                                          self.weights, self.rate, self.div_yield)  # fmt: skip
        return self._grid

    def parts(self, levels) -> np.ndarray:
        """(len(levels), 2) array of call and put GEX at each level."""
        power = GEX_POWER_OF_SPOT[self.settings.unit]
        if self.vol_at is None:
            return self.prepared()(levels, power)
        return profile_kernel(levels, self.chain.strike, self.t_years, self.vol, self.weights,
                              self.rate, self.div_yield, power, vol_at=self.vol_at)  # fmt: skip

    def net(self, level: float) -> float:
        return float(self.parts(np.array([level])).sum())


def _grid(inputs: _ProfileInputs, levels, n_levels, range_pct) -> np.ndarray:
    if levels is not None:
        levels = np.sort(np.asarray(levels, dtype=float).ravel())
        if levels.size == 0 or not np.all(np.isfinite(levels)) or levels[0] <= 0:
            raise error("not_positive", what="every spot level", value=float(np.min(levels, initial=0)))
        return levels
    if inputs.settings.preset == "classic":
        return default_levels(inputs.chain.spot, CLASSIC_LEVELS, DEFAULT_RANGE_PCT)
    return default_levels(inputs.chain.spot, n_levels, range_pct)


def gex_profile(chain: Chain, levels=None, *, n_levels: int = DEFAULT_LEVELS,
                range_pct: float = DEFAULT_RANGE_PCT, vol_rule: str = "sticky_strike",
                vol_shift: float = 0.0, roll_hours: float = 0.0, roll_days: float = 0.0,
                settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:  # fmt: skip
    """Total dealer GEX with every contract re-priced at each hypothetical spot.

    Parameters
    ----------
    chain : Chain
    levels : array_like, optional
        Hypothetical spots, spot units, reported in ascending order. Default: ``n_levels``
        over spot +-``range_pct`` %
        (the classic preset: 60 levels over +-20%).
    vol_rule : {"sticky_strike", "sticky_moneyness"}
    vol_shift : float
        Parallel IV shift, decimal (+0.02 = +2 vol points).
    roll_hours, roll_days : float
        Move the clock forward; contracts settling in between drop out.
    settings, **kwargs
        Convention, unit, rate, div_yield, expiries, preset as in :mod:`xlgex.gex`.
        The profile always uses model gamma (vendor gammas exist only at today's spot).

    Returns
    -------
    DataFrame
        ``spot, call_gex, put_gex, net_gex``; ``attrs`` records the settings and what-ifs.
    """
    inputs = _ProfileInputs(chain, _resolve(settings, kwargs), vol_rule, vol_shift,
                            roll_hours, roll_days)  # fmt: skip
    grid = _grid(inputs, levels, n_levels, range_pct)
    parts = inputs.parts(grid)
    df = pd.DataFrame({"spot": grid, "call_gex": parts[:, 0], "put_gex": parts[:, 1],
                       "net_gex": parts.sum(axis=1)})  # fmt: skip
    df.attrs.update(inputs.info)
    return df


def _net_for_brackets(inputs: _ProfileInputs, x: np.ndarray, coarse_step: int = COARSE_STEP):
    """Net GEX on the ascending grid ``x``, evaluated only where a sign change can be.

    Every ``coarse_step``-th point (and the last) is evaluated together with bounds on the net
    GEX between them (:meth:`StickyStrikeGrid.net_bounds`); an interval whose bounds keep one
    sign cannot hold a sign change of the full grid, every other interval is evaluated point
    by point. Returns the evaluated points and values: consecutive values bracket the same
    sign changes as ``inputs.parts(x).sum(axis=1)`` would.
    """
    prepared = inputs.prepared()
    if prepared is None or x.size <= 2 * coarse_step:
        return x, inputs.parts(x).sum(axis=1)
    coarse = np.unique(np.r_[np.arange(0, x.size, coarse_step), x.size - 1])
    power = GEX_POWER_OF_SPOT[inputs.settings.unit]
    net, lower, upper, tol = prepared.net_bounds(x[coarse], power)
    unproven = np.flatnonzero(~((lower > tol) | (upper < -tol)))
    y = np.full(x.size, np.nan)
    y[coarse] = net
    if unproven.size:
        fine = np.unique(np.concatenate([np.arange(coarse[i], coarse[i + 1] + 1) for i in unproven]))
        y[fine] = inputs.parts(x[fine]).sum(axis=1)
    done = ~np.isnan(y)
    return x[done], y[done]


def _linear_roots(x, y, brackets) -> list:
    x0, x1, y0, y1 = x[brackets], x[brackets + 1], y[brackets], y[brackets + 1]
    return list(x1 - (x1 - x0) * y1 / (y1 - y0))


def _no_flip_reason(y, lo, hi, what="net GEX") -> str:
    if not np.any(y):
        return f"no flip: no dealer gamma from {lo:,.2f} to {hi:,.2f}"
    positive = y[np.flatnonzero(y)[0]] > 0
    side = "positive (dealers long gamma)" if positive else "negative (dealers short gamma)"
    return f"no flip: {what} stays {side} from {lo:,.2f} to {hi:,.2f}"


def gamma_flip(chain: Chain, *, method: str = "profile", levels=None,
               n_levels: int = DEFAULT_LEVELS, range_pct: float = DEFAULT_RANGE_PCT,
               xtol: float = 0.01, vol_rule: str = "sticky_strike", vol_shift: float = 0.0,
               roll_hours: float = 0.0, roll_days: float = 0.0,
               settings: GexSettings | None = None, **kwargs) -> Figure:  # fmt: skip
    """The spot at which dealer net GEX changes sign, a float (NaN when there is none).

    ``method="profile"`` (default) brackets sign changes of :func:`gex_profile` on the grid,
    then refines each with Brent's method to within ``xtol`` spot units. Crossings closer
    together than one grid step can be missed: pass a finer ``n_levels`` or ``levels``.
    ``method="cumulative"`` is the other common definition: where the running sum of
    per-strike net GEX at today's spot, over ascending strikes, changes sign (linear between
    strikes). ``preset="classic"`` reproduces the public script: its 60-level grid, the first
    sign change, linearly interpolated.

    Returns
    -------
    Figure
        The crossing nearest spot (classic: the lowest). ``.crossings`` lists all of them in
        ascending order; ``.reason`` says why there is none; ``.info`` has the settings.
    """
    s = _resolve(settings, kwargs)
    if method not in FLIP_METHODS:
        raise error("unknown_choice", what="method", value=method, choices=", ".join(FLIP_METHODS))
    if method == "cumulative":
        by_strike = gex_by_strike(chain.rolled(hours=roll_hours, days=roll_days)
                                  if roll_hours or roll_days else chain, settings=s)  # fmt: skip
        x = by_strike["strike"].to_numpy()
        y = np.cumsum(by_strike["net_gex"].to_numpy())
        info, spot = dict(by_strike.attrs), chain.spot
        roots = _linear_roots(x, y, sign_changes(y)) if x.size > 1 else []
        lo, hi, what = (x[0], x[-1], "cumulative GEX") if x.size else (spot, spot, "cumulative GEX")
        n_points = x.size
    else:
        inputs = _ProfileInputs(chain, s, vol_rule, vol_shift, roll_hours, roll_days)
        grid = _grid(inputs, levels, n_levels, range_pct)
        if s.preset == "classic":
            x, y = grid, inputs.parts(grid).sum(axis=1)
            roots = _linear_roots(x, y, sign_changes(y))
        else:
            x, y = _net_for_brackets(inputs, grid)
            roots = [refine_root(inputs.net, x[i], x[i + 1], xtol) for i in sign_changes(y)]
        info, spot = inputs.info, inputs.chain.spot
        lo, hi, what, n_points = grid[0], grid[-1], "net GEX", len(grid)
    info.update(method=method, grid_low=float(lo), grid_high=float(hi), grid_points=int(n_points))
    if not roots:
        return Figure(float("nan"), crossings=(), reason=_no_flip_reason(y, lo, hi, what), **info)
    roots = sorted(float(r) for r in roots)
    if s.preset == "classic":
        flip, rule = roots[0], "first sign change (classic)"
    else:
        flip = min(roots, key=lambda r: abs(r - spot))
        rule = "crossing nearest spot"
    reason = f"{len(roots)} crossing(s) between {lo:,.2f} and {hi:,.2f}; {rule}"
    return Figure(flip, crossings=tuple(roots), reason=reason, **info)
