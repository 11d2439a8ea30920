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

import dataclasses
import functools

import numpy as np
import pandas as pd

from .chain import Chain
from .conventions import CLASSIC_DAYS_PER_YEAR, ONE_PCT
from .core.exposure import GEX_POWER_OF_SPOT
from .core.profile import (
    SIGN_RTOL,
    StickyMoneynessGrid,
    StickyStrikeGrid,
    WindowedNet,
    inverse_cubic_guess,
    refine_brackets,
    sticky_moneyness_vols,
    strict_sign_changes,
)
from .errors import NothingPricedError, error
from .gex import GexSettings, _check_finite, _no_overflow, _resolve, coverage, dealer_contracts, gex_by_strike
from .results import Figure

__all__ = [
    "gex_profile", "gamma_flip", "default_levels", "netted_weights",
    "VOL_RULES", "FLIP_METHODS", "MAX_LEVELS",
]  # fmt: skip

VOL_RULES = ("sticky_strike", "sticky_moneyness")
FLIP_METHODS = ("profile", "cumulative")
DEFAULT_RANGE_PCT = 20.0
DEFAULT_LEVELS = 161
"""Default grid: 161 levels over spot +-20%, a 0.25% step."""
MAX_LEVELS = 20_001
"""Most spot levels a profile or flip grid may have (a sheet holds 1,048,576 rows)."""
CLASSIC_LEVELS = 60
NEG_TO_POS, POS_TO_NEG = "neg_to_pos", "pos_to_neg"


def _check_size(n: int) -> None:
    if n > MAX_LEVELS:
        raise error("too_many_levels", n=n, most=MAX_LEVELS)


def default_levels(spot: float, n_levels: int = DEFAULT_LEVELS,
                   range_pct: float = DEFAULT_RANGE_PCT) -> np.ndarray:  # fmt: skip
    """``n_levels`` evenly spaced spots from ``spot*(1-range_pct/100)`` to ``spot*(1+...)``.

    At most :data:`MAX_LEVELS` levels.
    """
    if not float(n_levels).is_integer() or n_levels < 2 or not 0 < range_pct < 100:
        raise error("unknown_choice", what="grid", value=f"{n_levels} levels, +-{range_pct}%",
                    choices="whole n_levels >= 2 and 0 < range_pct < 100")  # fmt: skip
    _check_size(int(n_levels))
    return np.linspace(spot * (1 - range_pct / 100), spot * (1 + range_pct / 100), int(n_levels))


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
        if not keep.any():
            raise NothingPricedError(coverage(chain, dataclasses.replace(s, gamma_source="model")))
        picked = slice(None) if keep.all() else np.flatnonzero(keep)  # arrays, not a sub-chain
        self.spot, self.count = base.spot, int(keep.sum())
        self.strike, self.is_call = base.strike[picked], base.is_call[picked]
        self.expiry = base.expiry[picked]
        self.rows_excluded_no_iv = int((~base.has_iv).sum())
        self.t_years = t[picked]
        self.vol = base.iv[picked] + float(vol_shift or 0.0)
        self.rate = 0.0 if classic else s.rate
        self.div_yield = 0.0 if classic else s.div_yield
        dealer = dealer_contracts(base, s.convention) * base.multiplier
        if s.unit == "usd_per_1pct":
            dealer = dealer * ONE_PCT
        self.dealer = dealer[picked]
        """Net weight per contract: dealer contracts x multiplier (x 0.01 for $ per 1%)."""
        self._to_net = dealer, base, picked  # netted only when a net sum is asked for
        self.vol_at = None
        if vol_rule == "sticky_moneyness":
            self.vol_at = sticky_moneyness_vols(self.spot, self.strike, self.vol, self.expiry)
        self.info = s.info() | {
            "vol_rule": vol_rule, "vol_shift": float(vol_shift or 0.0),
            "roll_hours": float(roll_hours or 0.0) + 24.0 * float(roll_days or 0.0),
            "asof": base.asof.isoformat(timespec="minutes"), "spot": self.spot,
            "contracts_priced": self.count,
            "rows_excluded_no_iv": self.rows_excluded_no_iv,
        }  # fmt: skip

    @property
    def weights(self) -> np.ndarray:
        """(n, 2): the call column and the put column of the net weights."""
        calls = self.is_call
        return np.column_stack([np.where(calls, self.dealer, 0.0), np.where(calls, 0.0, self.dealer)])

    @property
    def power(self) -> int:
        return GEX_POWER_OF_SPOT[self.settings.unit]

    def _kernel(self, weights) -> StickyStrikeGrid | StickyMoneynessGrid:
        """The contracts with ``weights`` (n, k), prepared for this vol rule."""
        if self.vol_at is None:
            return StickyStrikeGrid(self.strike, self.t_years, self.vol, weights, self.rate, self.div_yield)
        return StickyMoneynessGrid(self.vol_at, self.t_years, weights, self.rate, self.div_yield)

    @functools.cached_property
    def net_kernel(self) -> StickyStrikeGrid | StickyMoneynessGrid:
        """One weight column, :attr:`dealer` with contracts of one gamma netted
        (:func:`netted_weights`); prepared once and reused by every refinement step."""
        dealer, base, picked = self._to_net
        return self._kernel(netted_weights(dealer, base.same_gamma_groups)[picked][:, None])

    def prepared(self) -> StickyStrikeGrid | None:
        """:attr:`net_kernel` for sticky strike; None for sticky moneyness."""
        return self.net_kernel if self.vol_at is None else None

    def parts(self, levels) -> np.ndarray:
        """(len(levels), 2) array of call and put GEX at each level."""
        return self._kernel(self.weights)(levels, self.power)

    def net(self, levels) -> np.ndarray:
        """Net GEX at each of ``levels``, contracts netted first (:func:`netted_weights`)."""
        return self.net_kernel(levels, self.power, net=True)


def netted_weights(dealer, groups) -> np.ndarray:
    """``dealer`` with each group of :attr:`~xlgex.chain.Chain.same_gamma_groups` netted: its
    summed weight on its first member, zero on the others.

    Their gammas are the same numbers at every spot, so the net is exact; summed apart, a long
    call and a short put that offset leave rounding noise of either sign (about 1e-16 of the
    gross), which would make phantom sign changes where net GEX is in truth zero.
    """
    if groups is None:
        return dealer
    order, starts = groups
    out = np.zeros_like(dealer)
    out[order[starts]] = np.add.reduceat(dealer[order], starts)
    return out


def _grid(spot: float, s: GexSettings, levels, n_levels, range_pct) -> np.ndarray:
    """The ascending spot levels a profile or flip uses (at most :data:`MAX_LEVELS`)."""
    if levels is not None:
        levels = np.sort(np.asarray(levels, dtype=float).ravel())
        _check_size(levels.size)
        if levels.size == 0 or not np.all(np.isfinite(levels)) or levels[0] <= 0:
            raise error("not_positive", what="every spot level", value=float(np.min(levels, initial=0)))
        return levels
    if s.preset == "classic":
        return default_levels(spot, CLASSIC_LEVELS, DEFAULT_RANGE_PCT)
    return default_levels(spot, n_levels, range_pct)


@_no_overflow
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
    s = _resolve(settings, kwargs)
    inputs = _ProfileInputs(chain, s, vol_rule, vol_shift, roll_hours, roll_days)
    grid = _grid(inputs.spot, s, levels, n_levels, range_pct)
    parts = inputs.parts(grid)
    _check_finite(parts, "the profile", chain)
    net = parts.sum(axis=1)
    net[np.abs(net) <= SIGN_RTOL * np.abs(parts).sum(axis=1)] = 0.0  # offsetting to rounding: zero
    df = pd.DataFrame(np.column_stack([grid, parts, net]),
                      columns=["spot", "call_gex", "put_gex", "net_gex"])  # fmt: skip
    df.attrs.update(inputs.info)
    return df


def _profile_crossings(inputs: _ProfileInputs, grid: np.ndarray, xtol: float):
    """Net GEX on ``grid`` (signs exact, values approximate) and every strict crossing refined.

    Returns ``(y, roots, below)``: ``below[k]`` is the nonzero value just below root ``k``.
    Sticky strike prices the grid through :class:`~xlgex.core.profile.WindowedNet` (proven
    signs at a fraction of the cost); sticky moneyness prices it exactly. Each bracket is then
    refined without repricing its ends, all brackets in one kernel call per iteration.
    """
    prepared = inputs.prepared()
    if prepared is not None and grid.size > 2:
        net, y = WindowedNet.on_grid(prepared, grid, inputs.power)
        func = net.signed
    else:
        func = inputs.net
        y = func(grid)
    x, y_all = _with_dips(func, grid, y)
    lo, hi = strict_sign_changes(y_all)
    roots = np.empty(0)
    if lo.size:
        guess = inverse_cubic_guess(x, y_all, lo, hi)
        roots = refine_brackets(func, x[lo], x[hi], y_all[lo], y_all[hi], xtol, guess=guess)
    return y, roots, y_all[lo]


def _with_dips(func, x, y, passes: int = 2):
    """The grid with the vertices of its dips toward zero added, so that two crossings inside
    one grid step (net GEX just touching zero between grid levels) are found.

    A dip is a grid level where |net GEX| is smallest among its neighbours, all three of one
    sign, and either the parabola through the three dips past half that value or the value is
    under a quarter of its neighbours'; the parabola's vertex and the two midpoints are priced,
    and a second pass looks again at the finer points.
    """
    for _ in range(passes):
        vertex = _dip_vertices(x, y)
        if vertex.size == 0:
            break
        x = np.concatenate([x, vertex])
        y = np.concatenate([y, func(vertex)])
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return x, y


def _dip_vertices(x, y) -> np.ndarray:
    """Points to price around the dips of ``y`` toward zero (see :func:`_with_dips`)."""
    if x.size < 3:
        return np.empty(0)
    x0, x1, x2, y0, y1, y2 = x[:-2], x[1:-1], x[2:], y[:-2], y[1:-1], y[2:]
    s = np.sign(y1)
    dip = (s != 0) & (np.sign(y0) == s) & (np.sign(y2) == s) & (s * y1 <= s * y0) & (s * y1 <= s * y2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope0, slope1 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
        curve = (slope1 - slope0) / (x2 - x0)  # the parabola's leading coefficient
        vertex = 0.5 * (x0 + x1) - slope0 / (2.0 * curve)
        bottom = y0 + slope0 * (vertex - x0) + curve * (vertex - x0) * (vertex - x1)
    deep = (s * curve > 0) & (vertex > x0) & (vertex < x2) & (s * bottom < 0.5 * s * y1)
    near_zero = s * y1 < 0.25 * np.minimum(s * y0, s * y2)
    keep = dip & (deep | near_zero)
    points = np.concatenate([np.where(deep, vertex, 0.5 * (x0 + x2))[keep],
                             0.5 * (x0 + x1)[keep], 0.5 * (x1 + x2)[keep]])  # fmt: skip
    return np.unique(points[np.isfinite(points)])


def _linear_roots(x, y, lo, hi) -> np.ndarray:
    x0, x1, y0, y1 = x[lo], x[hi], y[lo], y[hi]
    return x1 - (x1 - x0) * (y1 / (y1 - y0))


def _no_flip_reason(y, lo, hi, what="net GEX") -> str:
    if not np.any(y):
        return f"no flip: no dealer gamma from {lo:,.2f} to {hi:,.2f}"
    positive = y[np.flatnonzero(y)[0]] > 0
    side = "positive (dealers long gamma)" if positive else "negative (dealers short gamma)"
    return f"no flip: {what} stays {side} from {lo:,.2f} to {hi:,.2f}"


def _cumulative(chain: Chain, s: GexSettings, window, roll_hours, roll_days):
    """Strikes, running net GEX over ascending strikes, crossings in ``window`` and the info.

    The running sum starts at the lowest strike, but only crossings inside the profile's spot
    window count (the same window as the profile method), and the reason describes the window.
    """
    timed = chain.rolled(hours=roll_hours, days=roll_days) if roll_hours or roll_days else chain
    by_strike = gex_by_strike(timed, settings=s)
    x = by_strike["strike"].to_numpy()
    y = np.cumsum(by_strike["net_gex"].to_numpy())
    lo, hi = strict_sign_changes(y)
    roots = _linear_roots(x, y, lo, hi)
    inside = (roots >= window[0]) & (roots <= window[1])
    shown = (x >= window[0]) & (x <= window[1])
    if not shown.any():  # no strike in the window: the running sum there is the one below it
        below = np.flatnonzero(x < window[0])
        shown = np.zeros_like(shown)
        shown[below[-1] if below.size else 0] = True
    return y[shown], roots[inside], lo[inside], y, dict(by_strike.attrs)


@_no_overflow
def gamma_flip(chain: Chain, *, method: str = "profile", levels=None,
               n_levels: int = DEFAULT_LEVELS, range_pct: float = DEFAULT_RANGE_PCT,
               xtol: float = 0.01, vol_rule: str = "sticky_strike", vol_shift: float = 0.0,
               roll_hours: float = 0.0, roll_days: float = 0.0,
               settings: GexSettings | None = None, **kwargs) -> Figure:  # fmt: skip
    """The spot at which dealer net GEX changes sign, a float (NaN when there is none).

    A crossing is a *strict* sign change: net GEX nonzero on both sides with opposite signs.
    A stretch of exactly zero GEX (no contract with gamma there) between two sides of the same
    sign is no crossing; between opposite signs it is one crossing, reported once.

    ``method="profile"`` (default) finds the sign changes of :func:`gex_profile` on the grid
    (``n_levels`` over spot +-``range_pct`` %, at most :data:`MAX_LEVELS`, or ``levels``) and
    refines each to within ``xtol`` spot units. Dips of net GEX toward zero between grid levels
    are priced more finely, so two crossings inside one grid step are found; a pair much closer
    than a step can still be missed: pass a finer ``n_levels`` or ``levels``.
    ``method="cumulative"`` is the other common definition: where the running sum of
    per-strike net GEX at today's spot, over ascending strikes, changes sign (linear between
    strikes), searched in the same spot window as the profile. ``preset="classic"`` reproduces
    the public script: its 60-level grid, the first sign change, linearly interpolated.

    Returns
    -------
    Figure
        The crossing nearest spot (classic: the lowest). ``.crossings`` lists all of them in
        ascending order, ``.directions`` says for each whether net GEX goes from negative to
        positive (``"neg_to_pos"``) or the other way (``"pos_to_neg"``) with rising spot, and
        ``.distances`` is each crossing minus spot (spot units); ``.reason`` says why there is
        none; ``.info`` has the settings.

    Raises
    ------
    NothingPricedError
        No contract could be priced (all expired, filtered out or without IV).
    """
    s = _resolve(settings, kwargs)
    if method not in FLIP_METHODS:
        raise error("unknown_choice", what="method", value=method, choices=", ".join(FLIP_METHODS))
    if not (xtol > 0 and np.isfinite(xtol)):
        raise error("not_positive", what="xtol", value=float(xtol))
    if method == "cumulative":
        grid = _grid(chain.spot, s, levels, n_levels, range_pct)
        window = float(grid[0]), float(grid[-1])
        y, roots, lo, sums, info = _cumulative(chain, s, window, roll_hours, roll_days)
        below = sums[lo]
        spot, (low, high), what, n_points = chain.spot, window, "cumulative GEX", len(sums)
    else:
        inputs = _ProfileInputs(chain, s, vol_rule, vol_shift, roll_hours, roll_days)
        grid = _grid(inputs.spot, s, levels, n_levels, range_pct)
        if s.preset == "classic":
            y = inputs.net(grid)
            lo, hi = strict_sign_changes(y)
            roots, below = _linear_roots(grid, y, lo, hi), y[lo]
        else:
            y, roots, below = _profile_crossings(inputs, grid, xtol)
        info, spot = inputs.info, inputs.spot
        low, high, what, n_points = grid[0], grid[-1], "net GEX", len(grid)
    info.update(method=method, grid_low=float(low), grid_high=float(high), grid_points=int(n_points))
    if not len(roots):
        return Figure(float("nan"), crossings=(), directions=(), distances=(),
                      reason=_no_flip_reason(y, low, high, what), **info)  # fmt: skip
    return _flip_figure(roots, below, spot, s.preset == "classic", info)


def _flip_figure(roots, below, spot: float, classic: bool, info: dict) -> Figure:
    """The crossing nearest spot (classic: the lowest), with every crossing, its direction
    (from the nonzero value ``below`` it) and distance from spot."""
    order = np.argsort(roots)
    roots = [float(r) for r in np.asarray(roots)[order]]
    directions = tuple(NEG_TO_POS if v < 0 else POS_TO_NEG for v in np.asarray(below)[order])
    if classic:
        flip, rule = roots[0], "first sign change (classic)"
    else:
        flip = min(roots, key=lambda r: abs(r - spot))
        rule = "crossing nearest spot"
    count = f"{len(roots)} crossing{'' if len(roots) == 1 else 's'}"
    reason = f"{count} between {info['grid_low']:,.2f} and {info['grid_high']:,.2f}; {rule}"
    return Figure(flip, crossings=tuple(roots), directions=directions,
                  distances=tuple(r - spot for r in roots), reason=reason, **info)  # fmt: skip
