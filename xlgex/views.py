r"""Volatility views from the chain's own IVs: ATM straddle, expected move, skew, term structure.

Every figure is computed per settlement instant (an AM monthly and a PM weekly on the same
date are two expiries) from the priced contracts (IV > 0) of the expiry window, with
Black-Scholes-Merton at the chain's spot and as-of time (ACT/365 minutes), ``rate`` and
``div_yield``.

Definitions
-----------
ATM strike
    The listed strike nearest spot that has both a priced call and a priced put (ties: the
    lower strike).
ATM IV
    The mean of that strike's call IV and put IV.
ATM straddle
    BSM call price plus BSM put price at the ATM strike, each with its own chain IV.
    Breakevens at expiry: ATM strike minus and plus the straddle price.
Expected (one-sigma) move
    :math:`S\,\sigma_{ATM}\sqrt{T}` with :math:`T` in years to settlement; the one-sigma range
    is spot minus and plus the move.
25-delta risk reversal
    Put IV at put delta -0.25 minus call IV at call delta +0.25, in vol points (6.5, not
    0.065; positive when puts are richer). Each IV is interpolated linearly in BSM delta
    among the out-of-the-money contracts of one expiry (calls with strike >= spot, puts with
    strike <= spot, delta from each contract's own IV), never extrapolated. The headline
    figure is the expiry whose time to settlement is nearest 30 days (ties: the earlier) among
    those where both 25-delta IVs exist.
ATM term structure
    Front ATM IV over back ATM IV, front = the expiry nearest 30 days and back = the expiry
    nearest 90 days (the VIX / VIX3M horizons) among those with an ATM IV; above 1 the term
    structure is inverted (stress). No answer when both horizons pick the same expiry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core.greeks import greeks
from .expiries import days_to_expiry, settlement_groups
from .gex import _resolve

__all__ = ["atm_by_expiry", "skew_by_expiry", "vol_summary", "SKEW_DELTA", "SKEW_DAYS",
           "TERM_FRONT_DAYS", "TERM_BACK_DAYS"]  # fmt: skip

SKEW_DELTA = 0.25
SKEW_DAYS = 30.0
TERM_FRONT_DAYS, TERM_BACK_DAYS = 30.0, 90.0


def _priced_groups(chain, s):
    """The window's priced contracts, (settlement minute, row indices) per expiry, and each
    contract's time to settlement in years (computed once)."""
    sel = chain.select(s.expiries)
    sel = sel.take(sel.has_iv)
    keys, _, rows = settlement_groups(sel)
    return sel, list(zip(keys, rows, strict=True)), sel.t_years


def _expiry_fields(sel, rows, t_years) -> dict:
    i = rows[0]
    t = float(t_years[i])
    return {"expiry": sel.expiry[i], "settlement": "AM" if sel.am_settled[i] else "PM",
            "days": int(days_to_expiry(sel.expiry[i:i + 1], sel.asof.date())[0]),
            "t_years": t}  # fmt: skip


def _side_ivs(sel, rows, calls: bool):
    """Sorted strikes of one side of an expiry and their IVs (the last row of a strike wins)."""
    side = rows[sel.is_call[rows] == calls][::-1]
    strikes, last = np.unique(sel.strike[side], return_index=True)
    return strikes, sel.iv[side][last]


def _atm_ivs(sel, rows):
    """(ATM strike, call IV, put IV) of one expiry, or None without a strike quoted both ways."""
    (ck, civ), (pk, piv) = _side_ivs(sel, rows, True), _side_ivs(sel, rows, False)
    both = np.intersect1d(ck, pk)
    if both.size == 0:
        return None
    k = float(both[int(np.argmin(np.abs(both - sel.spot)))])
    return k, float(civ[np.searchsorted(ck, k)]), float(piv[np.searchsorted(pk, k)])


def _atm(sel, rows, s, t_years) -> dict:
    """ATM strike, IVs, straddle and move of one expiry (NaN and a reason when none)."""
    found = _atm_ivs(sel, rows)
    nan = float("nan")
    out = dict.fromkeys(("atm_strike", "call_iv", "put_iv", "atm_iv", "straddle",
                         "breakeven_low", "breakeven_high", "move", "low_1sd", "high_1sd"), nan)
    if found is None:
        return out | {"reason": "no strike with both a priced call and put"}
    k, call_iv, put_iv = found
    t = float(t_years[rows[0]])
    call = greeks(sel.spot, k, t, call_iv, s.rate, s.div_yield, True)["price"]
    put = greeks(sel.spot, k, t, put_iv, s.rate, s.div_yield, False)["price"]
    straddle = float(call + put)
    atm_iv = (call_iv + put_iv) / 2
    move = sel.spot * atm_iv * np.sqrt(t)
    return out | {
        "atm_strike": k, "call_iv": call_iv, "put_iv": put_iv, "atm_iv": atm_iv,
        "straddle": straddle, "breakeven_low": k - straddle, "breakeven_high": k + straddle,
        "move": move, "low_1sd": sel.spot - move, "high_1sd": sel.spot + move, "reason": "",
    }  # fmt: skip


def _no_priced(chain, s):
    from .errors import XlgexError
    from .gex import _priced

    _priced(chain, s)  # raises NothingPricedError with the counts
    raise XlgexError("xlgex: no contract with an IV in the window: straddle, move and skew need IVs")


def atm_by_expiry(chain, *, settings=None, **kwargs) -> pd.DataFrame:
    """ATM strike, IVs, straddle, breakevens and one-sigma move per expiry (module docstring).

    Columns: ``expiry, settlement, days, t_years, atm_strike, call_iv, put_iv, atm_iv,
    straddle, breakeven_low, breakeven_high, move, low_1sd, high_1sd, reason``; prices in
    spot units per unit of underlying, IVs decimal. ``reason`` says why a row has no figure.
    """
    s = _resolve(settings, kwargs)
    sel, groups, t = _priced_groups(chain, s)
    if not groups:
        _no_priced(chain, s)
    df = pd.DataFrame([_expiry_fields(sel, rows, t) | _atm(sel, rows, s, t) for _, rows in groups])
    df.attrs.update(s.info(), spot=chain.spot, asof=chain.asof.isoformat(timespec="minutes"))
    return df


def _iv_at_delta(delta, iv, target) -> float:
    """IV linearly interpolated in delta at ``target``; NaN outside the deltas' range."""
    if delta.size == 0 or not delta.min() <= target <= delta.max():
        return float("nan")
    order = np.argsort(delta, kind="stable")
    return float(np.interp(target, delta[order], iv[order]))


def _skew(sel, rows, delta_all) -> dict:
    k, iv, is_call = sel.strike[rows], sel.iv[rows], sel.is_call[rows]
    delta = delta_all[rows]
    otm_call = is_call & (k >= sel.spot)
    otm_put = ~is_call & (k <= sel.spot)
    call_iv = _iv_at_delta(delta[otm_call], iv[otm_call], SKEW_DELTA)
    put_iv = _iv_at_delta(delta[otm_put], iv[otm_put], -SKEW_DELTA)
    rr = (put_iv - call_iv) * 100.0
    reason = "" if np.isfinite(rr) else "25-delta not reached by the out-of-the-money "
    if not np.isfinite(call_iv):
        reason += "calls"
    if not np.isfinite(put_iv):
        reason += " and puts" if not np.isfinite(call_iv) else "puts"
    return {"call_iv_25d": call_iv, "put_iv_25d": put_iv, "rr_25d_vol_pts": rr, "reason": reason}


def _atm_iv(sel, rows) -> float:
    found = _atm_ivs(sel, rows)
    return float("nan") if found is None else (found[1] + found[2]) / 2


def skew_by_expiry(chain, *, settings=None, **kwargs) -> pd.DataFrame:
    """25-delta call IV, put IV and risk reversal (vol points) per expiry, with the ATM IV.

    Columns: ``expiry, settlement, days, t_years, atm_iv, call_iv_25d, put_iv_25d,
    rr_25d_vol_pts, reason`` (see the module docstring for the definitions).
    """
    s = _resolve(settings, kwargs)
    sel, groups, t = _priced_groups(chain, s)
    if not groups:
        _no_priced(chain, s)
    delta = greeks(sel.spot, sel.strike, t, sel.iv, s.rate, s.div_yield, sel.is_call)["delta"]
    rows = [_expiry_fields(sel, r, t) | {"atm_iv": _atm_iv(sel, r)} | _skew(sel, r, delta)
            for _, r in groups]  # fmt: skip
    df = pd.DataFrame(rows)
    df.attrs.update(s.info(), spot=chain.spot, asof=chain.asof.isoformat(timespec="minutes"))
    return df


def _nearest(df, column, days) -> int | None:
    ok = np.flatnonzero(np.isfinite(df[column].to_numpy(dtype=float)))
    if ok.size == 0:
        return None
    gap = np.abs(df["t_years"].to_numpy()[ok] * 365.0 - days)
    return int(ok[int(np.argmin(gap))])  # argmin: first = earlier expiry on ties


def vol_summary(chain, *, settings=None, **kwargs) -> dict:
    """The headline skew and term structure (module docstring), with the expiries used.

    Returns ``rr_25d_vol_pts``, ``rr_expiry``, ``term_structure``, ``front_expiry``,
    ``front_atm_iv``, ``back_expiry``, ``back_atm_iv`` (NaN / None when there is no answer)
    and ``skew_reason`` / ``term_reason`` (why not, else "").
    """
    df = skew_by_expiry(chain, settings=_resolve(settings, kwargs))
    nan = float("nan")
    out = dict(rr_25d_vol_pts=nan, rr_expiry=None, term_structure=nan, front_expiry=None,
               front_atm_iv=nan, back_expiry=None, back_atm_iv=nan, skew_reason="", term_reason="")
    r = _nearest(df, "rr_25d_vol_pts", SKEW_DAYS)
    if r is None:
        out["skew_reason"] = "no skew: no expiry where both 25-delta IVs are reached"
    else:
        out.update(rr_25d_vol_pts=float(df.at[r, "rr_25d_vol_pts"]), rr_expiry=df.at[r, "expiry"])
    front, back = _nearest(df, "atm_iv", TERM_FRONT_DAYS), _nearest(df, "atm_iv", TERM_BACK_DAYS)
    if front is None or front == back:
        out["term_reason"] = "no term structure: the 30- and 90-day ATM IVs need two expiries"
    else:
        out.update(front_expiry=df.at[front, "expiry"], back_expiry=df.at[back, "expiry"],
                   front_atm_iv=float(df.at[front, "atm_iv"]),
                   back_atm_iv=float(df.at[back, "atm_iv"]))  # fmt: skip
        out["term_structure"] = out["front_atm_iv"] / out["back_atm_iv"]
    return out


def zero_dte_panel(chain, *, settings=None, **kwargs) -> dict:
    """The 0DTE panel: 0DTE net GEX, 0DTE flip and the 0DTE ATM straddle's breakevens.

    Uses the contracts expiring on the as-of date (the last settlement that day when there are
    two). Returns ``gex`` (unit per settings), ``flip`` (NaN with ``flip_reason``), the
    :func:`atm_by_expiry` row as ``atm`` (a dict), and ``reason`` when there is no 0DTE expiry.
    """
    import dataclasses

    from .flip import gamma_flip
    from .gex import total_gex

    s = dataclasses.replace(_resolve(settings, kwargs), expiries="0dte")
    if not chain.is_0dte.any():
        return {"reason": f"no 0DTE: no live contract expires on {chain.asof:%Y-%m-%d}"}
    flip = gamma_flip(chain, settings=s)
    atm = atm_by_expiry(chain, settings=s).iloc[-1].to_dict()
    return {"gex": float(total_gex(chain, settings=s)), "flip": float(flip),
            "flip_reason": flip.reason, "atm": atm, "reason": ""}  # fmt: skip
