r"""Delta-hedge arithmetic: hedge units, the neutral target, rounding and tolerance bands.

These kernels broadcast and assume clean, finite input; :mod:`xlgex.hedging` validates
arguments, resolves the option delta and shapes the output.

Sign conventions
----------------
* ``contracts`` is the dealer's signed option position: -200 means the dealer sold 200.
* Deltas of the book (``position_delta``, ``net_delta``, ``residual_delta``) are in
  underlying units (shares, or index units for SPX): +5,000 gains $5,000 per +1.00 in spot.
* Hedge positions and trades are in hedge units (shares, ES or MES contracts, ...):
  + is long / buy, - is short / sell.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..conventions import BAND_REL_TOL, HEDGE_INSTRUMENTS, INDEX_FUTURES
from ..errors import HedgeError, error

__all__ = [
    "units_per_hedge",
    "index_future_units",
    "position_delta",
    "linear_delta",
    "neutral_target",
    "round_half_away",
    "band_triggered",
    "rebalance",
]

_BY_NAME = {name.lower(): units for name, units in HEDGE_INSTRUMENTS.items()}

ROUND_DECIMALS = 9
"""Targets are rounded to this many decimals before whole-unit rounding, so float noise
such as ``100.49999999999999`` (meant as 100.5) still rounds half away from zero."""


def index_future_units(point_value, spot=None, index_level=None):
    r"""Underlying units one S&P 500 index future covers, sized by notional.

    Parameters
    ----------
    point_value : array_like
        $ per index point of the future (ES 50, MES 5).
    spot : array_like, optional
        Price of the option's underlying, $ per unit (SPY 445), > 0.
    index_level : array_like, optional
        S&P 500 index level (4,450), > 0.

    Notes
    -----
    .. math:: u = \text{point value} \times I / S

    One future is worth :math:`\text{point value} \times I` dollars; divided by the
    underlying's price it is that many underlying units. Without ``spot`` and ``index_level``
    the underlying is the index itself (SPX, :math:`S = I`): :math:`u` = point value, so one
    SPX contract delta unit of 100 is 2 ES.

    Examples
    --------
    >>> float(index_future_units(50.0, 445.0, 4450.0))  # SPY: 500 shares per ES
    500.0
    """
    if spot is None and index_level is None:
        return np.asarray(point_value, dtype=float)
    return np.asarray(point_value, dtype=float) * index_level / spot


def units_per_hedge(hedge, spot=None, index_level=None) -> float:
    """Underlying units covered by one hedge unit.

    Parameters
    ----------
    hedge : str or real number
        A name in :data:`xlgex.conventions.HEDGE_INSTRUMENTS`, case-insensitive
        (``"shares"`` = 1; ``"ES"``, ``"MES"``: S&P 500 futures, see
        :func:`index_future_units`), or a positive finite number of underlying units per
        hedge unit.
    spot, index_level : float, optional
        For ES and MES: the underlying's price and the S&P 500 level (both or neither;
        neither means the underlying is SPX). Validated by :mod:`xlgex.hedging`.

    Returns
    -------
    float
        Underlying units per hedge unit, > 0.

    Raises
    ------
    HedgeError
        Unknown name, or a number that is not finite and positive.

    Examples
    --------
    One SPX option's delta unit (100 index units) is two ES contracts:

    >>> 100 / units_per_hedge("es")
    2.0
    """
    choices = ", ".join(HEDGE_INSTRUMENTS) + ", or a number > 0"
    if isinstance(hedge, str):
        name = hedge.strip().upper()
        if name in INDEX_FUTURES:
            return float(index_future_units(INDEX_FUTURES[name], spot, index_level))
        units = _BY_NAME.get(hedge.strip().lower())
        if units is None:
            raise error("unknown_choice", what="hedge", value=hedge[:20], choices=choices,
                        cls=HedgeError)
        return float(units)
    if isinstance(hedge, bool) or not isinstance(hedge, numbers.Real):
        raise error("unknown_choice", what="hedge", value=str(hedge)[:20], choices=choices,
                    cls=HedgeError)
    units = float(hedge)
    if not np.isfinite(units):
        raise error("hedge_not_finite", what="hedge", value=units, cls=HedgeError)
    if units <= 0.0:
        raise error("not_positive", what="hedge", value=units, cls=HedgeError)
    return units


def position_delta(contracts, option_delta, multiplier):
    r"""Dealer option delta in underlying units.

    Parameters
    ----------
    contracts : array_like
        Signed dealer position in contracts (-200 = dealer sold 200).
    option_delta : array_like
        Per-option delta, d(price)/d(spot), in [-1, 1].
    multiplier : array_like
        Underlying units per contract (100 for SPX, SPY).

    Returns
    -------
    ndarray
        :math:`n \cdot \Delta \cdot m`, underlying units.
    """
    return np.asarray(contracts, dtype=float) * option_delta * multiplier


def linear_delta(delta, gamma, spot_move):
    r"""First-order delta after a move: :math:`\Delta + \Gamma\,dS` (not clipped).

    Parameters
    ----------
    delta : array_like
        Per-option delta before the move.
    gamma : array_like
        Per-option gamma before the move, change in delta per 1.00 move in spot.
    spot_move : array_like
        Change in spot, spot units (index points, or $ per share).
    """
    return np.asarray(delta, dtype=float) + np.asarray(gamma, dtype=float) * spot_move


def round_half_away(x):
    """Round to whole numbers, halves away from zero (2.5 -> 3, -2.5 -> -3), never ``-0.0``.

    ``x`` is first rounded to :data:`ROUND_DECIMALS` decimals so that float noise around a
    half does not decide the direction.
    """
    x = np.round(np.asarray(x, dtype=float), ROUND_DECIMALS)
    return np.sign(x) * np.floor(np.abs(x) + 0.5) + 0.0


def neutral_target(position_delta, units_per_hedge, whole_units=True):
    r"""Hedge position that makes the book delta-neutral, in hedge units.

    Parameters
    ----------
    position_delta : array_like
        Dealer option delta, underlying units.
    units_per_hedge : array_like
        Underlying units per hedge unit, > 0.
    whole_units : bool, default True
        Round to whole hedge units, halves away from zero.

    Notes
    -----
    .. math:: h^* = -\,\Delta_{\text{pos}} / u
    """
    target = -np.asarray(position_delta, dtype=float) / units_per_hedge + 0.0
    return round_half_away(target) if whole_units else target


def band_triggered(net_delta, band, rel_tol=BAND_REL_TOL):
    r"""Whether the book's net delta is outside the tolerance band.

    Parameters
    ----------
    net_delta : array_like
        Net delta of options plus hedge, underlying units.
    band : array_like
        Tolerance, underlying units, >= 0. Zero rehedges on any nonzero drift.
    rel_tol : float, default :data:`xlgex.conventions.BAND_REL_TOL`
        Relative tolerance, so float residue never decides a trade.

    Notes
    -----
    .. math:: |\Delta_{net}| > b\,(1 + \text{rel\_tol})

    A net delta of 1000.0000000000005 (0.24999999999999997 x 100 x 100 after float
    arithmetic meant as 1,000) against a band of 1,000 does not trigger. The plain-Excel
    twin is ``ABS(net) > band*(1+1E-9)``.
    """
    return np.abs(net_delta) > np.asarray(band, dtype=float) * (1.0 + rel_tol)


def rebalance(position_delta, current_hedge, units_per_hedge, band=0.0, whole_units=True):
    r"""One rehedging decision: the band test, the neutral target and the trade.

    Every argument broadcasts against the others.

    Parameters
    ----------
    position_delta : array_like
        Dealer option delta, underlying units (see :func:`position_delta`).
    current_hedge : array_like
        Hedge held before the decision, hedge units (+ long, - short).
    units_per_hedge : array_like
        Underlying units per hedge unit, > 0 (see :func:`units_per_hedge`).
    band : array_like, default 0
        Tolerance band on the net delta, underlying units, >= 0.
    whole_units : bool, default True
        Trade to a whole number of hedge units.

    Returns
    -------
    dict of str to ndarray
        ``net_delta_before``  options plus current hedge, underlying units;
        ``triggered``         ``|net_delta_before| > band x (1 + BAND_REL_TOL)`` (bool);
        ``target``            neutral hedge position, hedge units (rounded if
        ``whole_units``), reported whether or not the band triggered;
        ``trade``             ``target - current_hedge`` when triggered, else 0, hedge units;
        ``hedge_after``       ``current_hedge + trade``, hedge units;
        ``residual_delta``    net delta after the trade, underlying units: the rounding
        residual when triggered, the untouched drift when not.

    Notes
    -----
    With :math:`u` units per hedge unit, position delta :math:`D` and hedge :math:`h`:

    .. math::
        N = D + h\,u,\qquad h^* = \operatorname{round}(-D/u),\qquad
        \text{trade} = \begin{cases} h^* - h & |N| > b\,(1 + 10^{-9}) \\ 0 & \text{otherwise}\end{cases}

    A triggered decision can still trade 0 when rounding leaves the hedge where it is.
    """
    position_delta = np.asarray(position_delta, dtype=float)
    current_hedge = np.asarray(current_hedge, dtype=float)
    net_before = position_delta + current_hedge * units_per_hedge
    triggered = band_triggered(net_before, band)
    target = neutral_target(position_delta, units_per_hedge, whole_units)
    trade = np.where(triggered, target - current_hedge, 0.0) + 0.0
    hedge_after = current_hedge + trade
    return {
        "net_delta_before": net_before,
        "triggered": triggered,
        "target": target,
        "trade": trade,
        "hedge_after": hedge_after,
        "residual_delta": position_delta + hedge_after * units_per_hedge,
    }
