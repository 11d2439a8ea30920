r"""Dealer exposure kernels: signs, per-contract GEX, aggregation by key, walls.

All functions take clean numpy arrays; validation happens in :mod:`xlgex.gex`.
"""

from __future__ import annotations

import numpy as np

from ..conventions import ONE_PCT

__all__ = ["dealer_sign", "gex_per_contract", "sum_by_key", "walls", "GEX_POWER_OF_SPOT"]

GEX_POWER_OF_SPOT = {"usd_per_1pct": 2, "usd_per_point": 1, "shares_per_usd": 0}
"""Power of spot in each GEX unit (the 1% factor applies to ``usd_per_1pct`` only)."""


def dealer_sign(is_call, convention: str) -> np.ndarray:
    """Dealer position per contract of open interest: +1 long, -1 short.

    ``convention`` is one of ``calls_long_puts_short`` (+calls, -puts),
    ``calls_short_puts_long`` (-calls, +puts) or ``all_short`` (-1 everywhere). The
    ``signed`` convention has no sign rule: it reads the dealer position column instead.
    """
    is_call = np.asarray(is_call, dtype=bool)
    if convention == "calls_long_puts_short":
        return np.where(is_call, 1.0, -1.0)
    if convention == "calls_short_puts_long":
        return np.where(is_call, -1.0, 1.0)
    if convention == "all_short":
        return np.full(is_call.shape, -1.0)
    raise ValueError(f"no sign rule for convention {convention!r}")


def gex_per_contract(gamma, dealer_contracts, multiplier, spot, unit="usd_per_1pct",
                     one_pct=ONE_PCT):  # fmt: skip
    r"""Dealer gamma exposure of each contract line.

    Parameters
    ----------
    gamma : array_like        BSM gamma per option, per 1.00 move in spot.
    dealer_contracts : array_like
        Signed dealer contracts (+ long).
    multiplier : array_like   Units of underlying per contract (100 for SPX/SPY).
    spot : float or array_like
        Underlying price, spot units.
    unit : {"usd_per_1pct", "usd_per_point", "shares_per_usd"}
        ``usd_per_1pct``: $ of underlying the dealer trades per 1% move in spot;
        ``usd_per_point``: $ per 1.00 move; ``shares_per_usd``: units of underlying per 1.00 move.

    Notes
    -----
    .. math:: \mathrm{GEX}_{1\%} = \Gamma \cdot n_{dealer} \cdot m \cdot S^2 \cdot 0.01

    The dealer's delta changes by :math:`\Gamma n m` units per 1.00 move; times :math:`S`
    that is dollars per point; times :math:`0.01 S` it is dollars per 1% move.
    """
    power = GEX_POWER_OF_SPOT[unit]
    scale = np.asarray(spot, dtype=float) ** power * (one_pct if unit == "usd_per_1pct" else 1.0)
    return np.asarray(gamma) * np.asarray(dealer_contracts) * np.asarray(multiplier) * scale


def sum_by_key(keys, *values, groups=None):
    """Sorted unique ``keys`` and the sum of each of ``values`` per key (NaN-free input).

    ``groups``: ``np.unique(keys, return_inverse=True)`` when the caller already has it.
    """
    unique, inverse = np.unique(keys, return_inverse=True) if groups is None else groups
    sums = [np.bincount(inverse, weights=v, minlength=unique.size) for v in values]
    return unique, sums


def walls(strike, call_gex, put_gex, spot=None) -> dict:
    """Call wall, put wall and absolute-gamma strike from per-strike GEX.

    * call wall: strike with the largest absolute call GEX (with ``spot``: among strikes at or
      above it);
    * put wall: strike with the largest absolute put GEX (with ``spot``: at or below it);
    * absolute-gamma strike: largest ``|call| + |put|``, at any strike.

    Absolute values make the walls independent of the sign convention. Returns NaN for a
    wall whose side is all zero (no such wall).
    """
    strike = np.asarray(strike, dtype=float)
    call_gex = np.asarray(call_gex, dtype=float)
    put_gex = np.asarray(put_gex, dtype=float)
    call_side, put_side = call_gex, put_gex
    if spot is not None:
        call_side, put_side = np.where(strike >= spot, call_gex, 0.0), np.where(strike <= spot, put_gex, 0.0)

    def pick(score):
        if score.size == 0 or not np.any(score != 0):
            return float("nan")
        return float(strike[int(np.argmax(score))])

    return {
        "call_wall": pick(np.abs(call_side)),
        "put_wall": pick(np.abs(put_side)),
        "abs_gamma_strike": pick(np.abs(call_gex) + np.abs(put_gex)),
    }
