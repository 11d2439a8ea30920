"""IVs for quoted contracts whose IV cell is blank, 0 or a placeholder: from the out-of-the-money side.

The implied vol of a strike is read off its out-of-the-money side, relative to the expiry's
forward (the market's rule). A live row without IV but with a bid > 0 and an ask >= the bid
therefore takes, in this order:

1. the IV of the other side of its strike (same settlement instant, strike and multiplier)
   where that side has one: given by the file, or solved from its own quote when that side is
   out of the money. Put-call parity gives both sides the same European vol;
2. otherwise, if the row itself is out of the money or at the money, the IV of its own
   bid/ask mid. An in-the-money row left over stays without IV and is counted: early exercise
   before a dividend makes an American in-the-money price (about S - K) a European model can
   only match with a much too high vol.

A mid is solved only where the bid is > 0, the ask >= the bid, and the bid carries time value
over the intrinsic value on the forward. Each expiry (one settlement instant) is valued on its
own forward and discount factor, implied by put-call parity from the strikes where both the
call and the put are quoted (:func:`xlgex.core.implied.parity_forward`); an expiry without
such a pair uses the spot with no discounting, and says so. Time to settlement is the chain's
own clock: ACT/365 in whole minutes from the as-of (:meth:`xlgex.chain.Chain.t_years`).
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
    """``c["iv"]`` with the missing IVs of live contracts filled by the rules of this module.

    ``c`` holds the reader's arrays (strike, expiry, is_call, am_settled, multiplier, iv).
    IVs solved from a row's own mid are counted in ``diag.iv_solved``, IVs taken from the
    other side of the strike in ``diag.iv_other_side``; a note says both and what was left.
    """
    iv = np.asarray(c["iv"], dtype=float)
    bid, ask = np.asarray(bid, float), np.asarray(ask, float)
    settle = _settlement_minutes(np.asarray(c["expiry"], "datetime64[D]"), np.asarray(c["am_settled"]))
    t_years = (settle - epoch_minutes(asof)) / MINUTES_PER_YEAR
    mid = _mids(bid, ask)
    quoted = ~(iv > 0) & (t_years > 0) & np.isfinite(mid)  # the rows to fill
    if not quoted.any():
        return iv
    strike, is_call = np.asarray(c["strike"], float), np.asarray(c["is_call"], bool)
    forward, discount, no_pair = _forwards(settle, quoted, strike, is_call, mid, t_years, spot)
    with np.errstate(invalid="ignore"):  # NaN forwards: expiries with nothing to fill
        otm = np.where(is_call, strike > forward, strike < forward)
        itm = np.where(is_call, strike < forward, strike > forward)
    own = np.full(iv.size, np.nan)
    own[quoted] = _own_ivs(mid[quoted], bid[quoted], forward[quoted], strike[quoted], t_years[quoted],
                           is_call[quoted], discount[quoted])  # fmt: skip
    lends = np.where(iv > 0, iv, np.where(otm, own, np.nan))  # given, or solved out of the money
    twin = _other_side(quoted, settle, strike, np.asarray(c["multiplier"], float), is_call)
    from_twin = quoted & (twin >= 0) & (lends[np.maximum(twin, 0)] > 0)
    solved = quoted & ~from_twin & ~itm & np.isfinite(own)
    out = iv.copy()
    out[from_twin] = lends[twin[from_twin]]
    out[solved] = own[solved]
    left = quoted & ~from_twin & ~solved
    _report(diag, int(solved.sum()), int(from_twin.sum()), int((left & itm).sum()),
            int((left & ~itm).sum()), no_pair)  # fmt: skip
    return out


def _own_ivs(mid, bid, forward, strike, t_years, is_call, discount):
    """European IV of each mid; NaN where the bid carries no time value over the intrinsic
    value on the forward (the mid's "time value" would then be only the spread)."""
    terms = (forward, strike, t_years, is_call, discount)
    own = black_implied_vol(mid, *terms)
    own[np.isnan(black_implied_vol(bid, *terms))] = np.nan
    return own


def _forwards(settle, fill, strike, is_call, mid, t_years, spot):
    """Per-row parity forward and discount factor of each expiry holding a row to ``fill`` (NaN
    elsewhere), and how many of those expiries had no quoted pair and used the spot."""
    forward, discount = np.full(strike.size, np.nan), np.ones(strike.size)
    no_pair = 0
    for instant in np.unique(settle[fill]):
        group = settle == instant
        f, d = _group_forward(strike[group], is_call[group], mid[group], t_years[group][0])
        if not np.isfinite(f):
            f, d, no_pair = spot, 1.0, no_pair + 1
        forward[group], discount[group] = f, d
    return forward, discount, no_pair


def _other_side(fill, settle, strike, multiplier, is_call) -> np.ndarray:
    """Row index of the other side (put for a call) of each ``fill`` row's strike: same
    settlement instant, strike and multiplier. -1 where there is none or more than one."""
    code = np.zeros(strike.size, dtype=np.int64)
    for key in (settle, strike, multiplier):  # one integer per (settlement, strike, multiplier)
        values, inverse = np.unique(key, return_inverse=True)
        code = code * values.size + inverse.reshape(-1)
    code = code * 2 + is_call  # the other side of a contract is code ^ 1
    codes, first, counts = np.unique(code, return_index=True, return_counts=True)
    alone = np.where(counts == 1, first, -1)  # a contract listed twice has no single twin
    twin = np.full(strike.size, -1)
    wanted = code[fill] ^ 1
    at = np.minimum(np.searchsorted(codes, wanted), codes.size - 1)
    twin[fill] = np.where(codes[at] == wanted, alone[at], -1)
    return twin


def _report(diag: Diagnostics, solved: int, other: int, itm_left: int, bid_low: int, no_pair: int):
    diag.iv_solved += solved
    diag.iv_other_side += other
    text = (f"{solved} IVs solved from bid/ask mids (Black-Scholes-Merton on each expiry's "
            f"put-call parity forward, the chain's clock)")  # fmt: skip
    if other:
        text += (f"; {other} IVs taken from the other side of the strike (its out-of-the-money "
                 f"side or the file's IV: put-call parity gives both sides one vol)")  # fmt: skip
    if itm_left:
        text += (f"; {itm_left} in-the-money rows left without IV: no out-of-the-money IV at their "
                 f"strike, and early exercise and dividends make a European IV of their own price "
                 f"unreliable")  # fmt: skip
    if bid_low:
        text += f"; {bid_low} quoted rows left without (bid at or below intrinsic value)"
    if no_pair:
        text += f"; {no_pair} expiries without a quoted call/put pair used spot as forward"
    diag.note(text)


def _group_forward(strike, is_call, mid, t_years):
    """Parity forward and discount factor of one expiry from strikes quoted on both sides."""
    calling, putting = is_call & np.isfinite(mid), ~is_call & np.isfinite(mid)
    calls = dict(zip(strike[calling], mid[calling], strict=True))
    puts = dict(zip(strike[putting], mid[putting], strict=True))
    both = sorted(set(calls) & set(puts))
    if not both:
        return np.nan, np.nan
    return parity_forward(both, [calls[k] for k in both], [puts[k] for k in both], t_years)
