"""IVs solved from bid/ask quotes where the chain's IV cell is blank, 0 or a placeholder.

Each expiry (one settlement instant) is valued on its own forward and discount factor,
implied by put-call parity from the strikes where both the call and the put are quoted
(:func:`xlgex.core.implied.parity_forward`); an expiry without such a pair uses the spot
with no discounting, and says so. Time to settlement is the chain's own clock: ACT/365 in
whole minutes from the as-of (:meth:`xlgex.chain.Chain.t_years`).
"""

from __future__ import annotations

import numpy as np

from ..chain import Diagnostics, _settlement_minutes, epoch_minutes
from ..conventions import MINUTES_PER_YEAR
from ..core.implied import black_implied_vol, parity_forward

__all__ = ["IV_PLACEHOLDER", "solve_missing_iv"]

IV_PLACEHOLDER = 1e-4
"""IVs below this (0.01%) are placeholders for "no IV" (yfinance writes 1e-05 on unquoted rows)."""


def _mids(bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    """Bid/ask midpoint where both quote (bid > 0, ask >= bid), else NaN."""
    with np.errstate(invalid="ignore"):
        quoted = (bid > 0) & (ask >= bid) & np.isfinite(ask)
    return np.where(quoted, 0.5 * (bid + ask), np.nan)


def solve_missing_iv(c: dict, bid, ask, spot: float, asof, diag: Diagnostics) -> np.ndarray:
    """``c["iv"]`` with the missing IVs of quoted, live contracts solved from the mid price.

    A contract whose bid is at or below its intrinsic value (on the parity forward) stays
    without IV: its mid's time value is then the bid/ask spread, not the market's vol.

    ``c`` holds the reader's arrays (strike, expiry, is_call, am_settled, iv). The count of
    solved IVs goes to ``diag.iv_solved`` and a note.
    """
    iv = np.asarray(c["iv"], dtype=float)
    mid = _mids(np.asarray(bid, float), np.asarray(ask, float))
    settle = _settlement_minutes(np.asarray(c["expiry"], "datetime64[D]"), np.asarray(c["am_settled"]))
    t_years = (settle - epoch_minutes(asof)) / MINUTES_PER_YEAR
    want = ~(iv > 0) & np.isfinite(mid) & (t_years > 0)
    if not want.any():
        return iv
    strike, is_call = np.asarray(c["strike"], float), np.asarray(c["is_call"], bool)
    forward, discount = np.full(iv.size, np.nan), np.ones(iv.size)
    no_pair = 0
    for instant in np.unique(settle[want]):
        group = settle == instant
        f, d = _group_forward(strike[group], is_call[group], mid[group], t_years[group][0])
        if not np.isfinite(f):
            f, d, no_pair = spot, 1.0, no_pair + 1
        forward[group], discount[group] = f, d
    terms = (forward[want], strike[want], t_years[want], is_call[want], discount[want])
    solved = black_implied_vol(mid[want], *terms)
    # the bid must carry time value too, or the mid's "time value" is only the spread
    solved[np.isnan(black_implied_vol(np.asarray(bid, float)[want], *terms))] = np.nan
    out = iv.copy()
    out[want] = solved
    count = int(np.isfinite(solved).sum())
    diag.iv_solved += count
    text = (f"{count} IVs solved from bid/ask mids (Black-Scholes-Merton on each expiry's "
            f"put-call parity forward, the chain's clock)")  # fmt: skip
    if count < solved.size:
        text += f"; {solved.size - count} quoted rows left without (bid at or below intrinsic value)"
    if no_pair:
        text += f"; {no_pair} expiries without a quoted call/put pair used spot as forward"
    diag.note(text)
    return out


def _group_forward(strike, is_call, mid, t_years):
    """Parity forward and discount factor of one expiry from strikes quoted on both sides."""
    calls = dict(zip(strike[is_call & np.isfinite(mid)], mid[is_call & np.isfinite(mid)], strict=True))
    puts = dict(zip(strike[~is_call & np.isfinite(mid)], mid[~is_call & np.isfinite(mid)], strict=True))
    both = sorted(set(calls) & set(puts))
    if not both:
        return np.nan, np.nan
    return parity_forward(both, [calls[k] for k in both], [puts[k] for k in both], t_years)
