r"""Vectorized Black-Scholes-Merton price and greeks with a continuous dividend yield.

This is the only pricing code in xlgex. Everything else calls :func:`greeks` or
:func:`bs_gamma`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["greeks", "bs_gamma", "GREEK_UNITS"]

GREEK_UNITS = {
    "price": "same units as spot, per unit of underlying",
    "delta": "d(price)/d(spot)",
    "gamma": "d(delta)/d(spot), per 1.00 move in spot",
    "vega": "d(price)/d(vol), per 1.00 of vol",
    "theta": "d(price)/dt, per year of calendar time",
    "rho": "d(price)/d(rate), per 1.00 of rate",
    "vanna": "d(delta)/d(vol), per 1.00 of vol",
    "charm": "d(delta)/dt, per year of calendar time",
}

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _degenerate(t_years, vol, *others):
    """Mask of expired (T <= 0) or zero-vol contracts; rows with any NaN input are neither."""
    finite = ~np.isnan(sum(others, t_years + vol))
    return ((t_years <= 0.0) | (vol <= 0.0)) & finite


def bs_gamma(spot, strike, t_years, vol, rate=0.0, div_yield=0.0):
    r"""Black-Scholes-Merton gamma: change in delta per 1.00 move in spot, per option.

    Parameters
    ----------
    spot, strike : array_like
        Same price units (index points, or $ per share).
    t_years : array_like
        ACT/365 year fraction to settlement.
    vol, rate, div_yield : array_like
        Decimals per year (0.18, not 18); rate and yield continuously compounded.

    Returns
    -------
    ndarray
        Gamma, the same for calls and puts. Zero where ``t_years <= 0`` or ``vol <= 0``
        (the payoff is then piecewise linear in spot); NaN where an input is NaN.

    Notes
    -----
    .. math:: \Gamma = e^{-qT}\,\varphi(d_1) / (S\,\sigma\sqrt{T}),\quad
              d_1 = \frac{\ln(S/K) + (r - q + \sigma^2/2)T}{\sigma\sqrt{T}}
    """
    spot, strike, t_years, vol, rate, div_yield = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (spot, strike, t_years, vol, rate, div_yield))
    )
    dead = _degenerate(t_years, vol, spot, strike, rate, div_yield)
    t = np.where(dead, 1.0, t_years)
    v = np.where(dead, 1.0, vol)
    vsqrt = v * np.sqrt(t)
    d1 = (np.log(spot / strike) + (rate - div_yield + 0.5 * v * v) * t) / vsqrt
    gamma = np.exp(-div_yield * t - 0.5 * d1 * d1) * _INV_SQRT_2PI / (spot * vsqrt)
    return np.where(dead, 0.0, gamma)


def greeks(spot, strike, t_years, vol, rate=0.0, div_yield=0.0, is_call=True):
    r"""Black-Scholes-Merton price and greeks of European options, per unit of underlying.

    Every argument broadcasts against the others.

    Parameters
    ----------
    spot, strike : array_like
        Same price units (index points, or $ per share). Must be > 0.
    t_years : array_like
        ACT/365 year fraction to settlement. A few minutes (0DTE) is fine.
    vol : array_like
        Implied volatility, decimal per year (0.18, not 18).
    rate, div_yield : array_like, default 0
        Continuously compounded risk-free rate and dividend yield, decimals per year.
    is_call : array_like of bool, default True
        True for calls, False for puts.

    Returns
    -------
    dict of str to ndarray
        ``price``  in spot units;
        ``delta``  d(price)/d(spot);
        ``gamma``  d(delta)/d(spot), per 1.00 move in spot;
        ``vega``   d(price)/d(vol), per 1.00 of vol;
        ``theta``  d(price)/dt, per year of calendar time (T shrinking);
        ``rho``    d(price)/d(rate), per 1.00 of rate;
        ``vanna``  d(delta)/d(vol), per 1.00 of vol;
        ``charm``  d(delta)/dt, per year of calendar time.

    Notes
    -----
    With :math:`F = S e^{(r-q)T}`, :math:`D = e^{-rT}`, :math:`d_{1,2} = [\ln(F/K) \pm
    \sigma^2 T/2]/(\sigma\sqrt{T})` and :math:`\omega = \pm 1` for calls/puts:

    .. math::
        V = \omega\,[S e^{-qT} N(\omega d_1) - K D N(\omega d_2)],\quad
        \Delta = \omega e^{-qT} N(\omega d_1),\quad
        \Gamma = e^{-qT}\varphi(d_1)/(S\sigma\sqrt{T}),\quad
        \nu = S e^{-qT}\varphi(d_1)\sqrt{T}

        \Theta = -\frac{S e^{-qT}\varphi(d_1)\sigma}{2\sqrt{T}}
                 - \omega r K D N(\omega d_2) + \omega q S e^{-qT} N(\omega d_1),\quad
        \rho = \omega K T D N(\omega d_2)

        \text{vanna} = -e^{-qT}\varphi(d_1)\,d_2/\sigma,\quad
        \text{charm} = \omega q e^{-qT} N(\omega d_1)
                     - e^{-qT}\varphi(d_1)\frac{2(r-q)T - d_2\sigma\sqrt{T}}{2T\sigma\sqrt{T}}

    Degenerate contracts get the exact limit, never NaN:

    * ``t_years <= 0`` (expired): price is intrinsic ``max(w(S-K), 0)``, delta is
      ``w`` in the money and 0 otherwise (0 at the money), and every other greek is 0.
    * ``vol <= 0`` with ``t_years > 0``: the option is worth its discounted intrinsic on the
      forward, ``D max(w(F-K), 0)``; delta, theta, rho and charm are that expression's
      derivatives; gamma, vega and vanna are 0.

    NaN inputs (for example a missing IV) give NaN outputs: the chain layer decides
    what to do with such rows before calling this function.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (spot, strike, t_years, vol, rate, div_yield)),
        np.asarray(is_call, dtype=bool),
    )
    spot, strike, t_years, vol, rate, div_yield = arrays[:6]
    w = np.where(arrays[6], 1.0, -1.0)

    dead = _degenerate(t_years, vol, spot, strike, rate, div_yield)
    t = np.where(dead, 1.0, t_years)
    v = np.where(dead, 1.0, vol)
    sqrt_t = np.sqrt(t)
    vsqrt = v * sqrt_t
    disc_q = np.exp(-div_yield * t)
    disc_r = np.exp(-rate * t)
    d1 = (np.log(spot / strike) + (rate - div_yield + 0.5 * v * v) * t) / vsqrt
    d2 = d1 - vsqrt
    pdf_d1 = np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
    n1 = ndtr(w * d1)
    n2 = ndtr(w * d2)
    sq_pdf = spot * disc_q * pdf_d1

    out = {
        "price": w * (spot * disc_q * n1 - strike * disc_r * n2),
        "delta": w * disc_q * n1,
        "gamma": disc_q * pdf_d1 / (spot * vsqrt),
        "vega": sq_pdf * sqrt_t,
        "theta": -sq_pdf * v / (2.0 * sqrt_t) - w * rate * strike * disc_r * n2
        + w * div_yield * spot * disc_q * n1,
        "rho": w * strike * t * disc_r * n2,
        "vanna": -disc_q * pdf_d1 * d2 / v,
        "charm": w * div_yield * disc_q * n1
        - disc_q * pdf_d1 * (2.0 * (rate - div_yield) * t - d2 * vsqrt) / (2.0 * t * vsqrt),
    }
    if not dead.any():
        return out
    return _with_limits(out, dead, spot, strike, t_years, rate, div_yield, w)


def _with_limits(out, dead_mask, spot, strike, t_years, rate, div_yield, w):
    """Replace non-live entries by the exact zero-vol / expired limits (see :func:`greeks`)."""
    expired = t_years <= 0.0
    t = np.where(expired, 0.0, t_years)
    fwd_disc_q = spot * np.exp(-div_yield * t)  # S e^{-qT}
    strike_disc = strike * np.exp(-rate * t)  # K e^{-rT}
    itm = w * (fwd_disc_q - strike_disc) > 0.0
    dead = {
        "price": np.where(itm, w * (fwd_disc_q - strike_disc), 0.0),
        "delta": np.where(itm, w * np.exp(-div_yield * t), 0.0),
        "theta": np.where(itm & ~expired, w * (div_yield * fwd_disc_q - rate * strike_disc), 0.0),
        "rho": np.where(itm & ~expired, w * t * strike_disc, 0.0),
        "charm": np.where(itm & ~expired, w * div_yield * np.exp(-div_yield * t), 0.0),
    }
    return {k: np.where(dead_mask, dead.get(k, 0.0), val) for k, val in out.items()}
