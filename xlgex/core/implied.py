r"""Implied volatility from option prices: a vectorized safeguarded Newton solver.

Prices are valued on the forward (Black 1976), which is Black-Scholes-Merton with the rate
and dividend yield folded into the forward ``F = S e^{(r-q)T}`` and the discount factor
``D = e^{-rT}``. Put-call parity gives both from quotes: ``C - P = D (F - K)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["black_price", "black_implied_vol", "parity_forward", "VOL_MAX"]

VOL_MAX = 10.0
"""Highest implied vol searched (1000%); a price that needs more has no answer."""
_ITERATIONS = 100
_PARITY_STRIKES = 8  # strikes nearest the money used for the parity fit
_RATE_MIN, _RATE_MAX = -0.05, 0.25  # rates a parity fit may imply, per year, continuous
_SQRT_2PI = np.sqrt(2.0 * np.pi)


def black_price(forward, strike, t_years, vol, is_call, discount=1.0):
    r"""Black (1976) option price: value per unit of underlying, in spot units.

    Parameters
    ----------
    forward, strike : array_like   Forward to expiry and strike, same price units.
    t_years : array_like           Year fraction to settlement, > 0.
    vol : array_like               Decimal per year (0.18, not 18).
    is_call : array_like of bool
    discount : array_like          Discount factor to settlement, e.g. ``exp(-r T)``.

    Notes
    -----
    .. math:: C = D\,[F N(d_1) - K N(d_2)],\quad P = D\,[K N(-d_2) - F N(-d_1)],\quad
              d_{1,2} = \ln(F/K)/(\sigma\sqrt T) \pm \sigma\sqrt T / 2
    """
    forward, strike, t_years, vol, is_call, discount = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (forward, strike, t_years, vol, is_call, discount))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return discount * _undiscounted(forward, strike, vol * np.sqrt(t_years), is_call > 0)


def _undiscounted(forward, strike, stdev, is_call):
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(forward / strike) / stdev + 0.5 * stdev
    sign = np.where(is_call, 1.0, -1.0)
    value = sign * (forward * ndtr(sign * d1) - strike * ndtr(sign * (d1 - stdev)))
    intrinsic = np.maximum(sign * (forward - strike), 0.0)
    return np.where(stdev > 0, value, intrinsic)


def black_implied_vol(price, forward, strike, t_years, is_call, discount=1.0):
    r"""Implied volatility (decimal per year) that reproduces ``price`` under :func:`black_price`.

    Vectorized Newton iteration on the out-of-the-money side (an in-the-money price is first
    turned into its parity twin, which carries the same vol and more precision), kept inside
    a bracket that bisection shrinks whenever a Newton step leaves it. Converges to machine
    precision where vega is not negligible.

    Returns
    -------
    ndarray
        NaN where no vol in ``(0, VOL_MAX]`` gives the price: price at or below intrinsic
        value, at or above its upper bound, or non-positive inputs.
    """
    price, forward, strike, t_years, is_call, discount = (
        a.astype(float)
        for a in np.broadcast_arrays(*(np.asarray(a) for a in (price, forward, strike, t_years,
                                                                  is_call, discount)))
    )  # fmt: skip
    ok = (price > 0) & (forward > 0) & (strike > 0) & (t_years > 0) & (discount > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = price / discount
        call = is_call > 0
        # the out-of-the-money twin: C - P = F - K (undiscounted)
        otm_call = forward <= strike
        target = np.where(call == otm_call, target,
                          target - np.where(call, forward - strike, strike - forward))  # fmt: skip
        upper = np.where(otm_call, forward, strike)
        ok &= (target > 0) & (target < upper)
    sqrt_t = np.sqrt(np.where(ok, t_years, 1.0))
    f, k, tgt = (np.where(ok, a, 1.0) for a in (forward, strike, target))
    lo, hi = np.zeros_like(f), np.full_like(f, VOL_MAX)
    ok &= _undiscounted(f, k, hi * sqrt_t, otm_call) > tgt
    vol = np.full_like(f, 0.3)
    with np.errstate(all="ignore"):  # steps off the bracket are replaced by bisection
        for _ in range(_ITERATIONS):
            value = _undiscounted(f, k, vol * sqrt_t, otm_call) - tgt
            above = value > 0
            hi, lo = np.where(above, vol, hi), np.where(above, lo, vol)
            d1 = np.log(f / k) / (vol * sqrt_t) + 0.5 * vol * sqrt_t
            vega = f * np.exp(-0.5 * d1 * d1) / _SQRT_2PI * sqrt_t
            new = vol - value / vega
            outside = ~np.isfinite(new) | (new <= lo) | (new >= hi)
            new = np.where(outside, 0.5 * (lo + hi), new)
            done = np.abs(new - vol) <= 1e-15 * vol
            vol = new
            if np.all(done | ~ok):
                break
    return np.where(ok, vol, np.nan)


def parity_forward(strike, call_price, put_price, t_years):
    r"""Forward and discount factor implied by put-call parity at one expiry.

    Parameters
    ----------
    strike, call_price, put_price : array_like
        Strikes where both a call and a put are priced (e.g. bid/ask mids), spot units.
    t_years : float
        Year fraction to settlement; bounds the discount factor a fit may imply.

    Returns
    -------
    (forward, discount) : (float, float)
        From the least-squares line :math:`C - P = D F - D K` through the (up to) eight
        strikes nearest the money (smallest :math:`|C - P|`). Where that fit implies a rate
        outside [-5%, 25%] a year (noise in short-dated quotes), or there is one strike,
        ``D = 1`` and ``F`` is the median of :math:`K + C - P` over those strikes. NaN, NaN
        when nothing is given.
    """
    strike = np.asarray(strike, float)
    diff = np.asarray(call_price, float) - np.asarray(put_price, float)
    good = np.isfinite(strike) & np.isfinite(diff)
    strike, diff = strike[good], diff[good]
    if strike.size == 0:
        return np.nan, np.nan
    near = np.argsort(np.abs(diff), kind="stable")[:_PARITY_STRIKES]
    strike, diff = strike[near], diff[near]
    if np.unique(strike).size >= 2:
        slope, intercept = np.polyfit(strike, diff, 1)
        discount = -slope
        if np.exp(-_RATE_MAX * t_years) <= discount <= np.exp(-_RATE_MIN * t_years):
            return float(intercept / discount), float(discount)
    return float(np.median(strike + diff)), 1.0
