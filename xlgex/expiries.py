"""Expiry windows, and dealer GEX and max pain by expiry.

Expiry windows
--------------
Wherever ``expiries`` is accepted it may be:

==========================  ===============================================================
``None``, ``""``, ``all``   every live expiry
``0dte``                    expiring on the as-of date (New York calendar)
``ex0dte``                  every expiry but those
``monthly``                 standard monthlies: the third Friday of the month, or the
                            Thursday before it when the chain's contracts settle AM that
                            Thursday (the exchange-holiday rule, e.g. Good Friday)
``weekly``                  every expiry that is not a standard monthly (weeklies and dailies)
``<=7d``, ``<7d``, ``>30d``,  days to expiry in a range; days to expiry are calendar days
``>=30d``, ``8-30d``         from the as-of date to the expiry date (0 for 0DTE), bounds
                            inclusive for ``<=``, ``>=`` and ``a-b``
a date                      ``2026-12-18`` (text, a date or a datetime): that expiry only
``first..last``             an inclusive range of dates; either end may be left out
``(first, last)``           the same as a tuple (None for an open end)
a list of dates             exactly those expiries
==========================  ===============================================================

Settlement instants
-------------------
An SPX monthly (AM, 09:30) and an SPXW weekly (PM, 16:00) on the same date are different
expiries here: the table by expiry has one row per settlement instant.

Max pain
--------
For one settlement instant, the settlement price ``P`` among that expiry's listed strikes
that minimises the total payout to option holders,

.. math:: \\mathrm{payout}(P) = \\sum_{calls} OI\\,m\\,\\max(P-K, 0) + \\sum_{puts} OI\\,m\\,\\max(K-P, 0)

over every live contract of the expiry (open interest needs no IV, so contracts without
one count too). The payout is piecewise linear with kinks at the strikes, so the minimum
over strikes is the minimum over all prices; ties go to the lower strike.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from .core.exposure import gex_per_contract
from .errors import XlgexError
from .gex import _check_finite, _no_overflow, _priced, _resolve

__all__ = ["WINDOW_CHOICES", "window_mask", "days_to_expiry", "is_standard_monthly",
           "max_pain", "gex_by_settlement", "settlement_groups"]  # fmt: skip

WINDOW_CHOICES = "blank, 0dte, ex0dte, weekly, monthly, <=7d, 8-30d, >30d, a date, date..date"
_FRIDAY, _THURSDAY = 4, 3
_DATE_FORMATS = ("%m/%d/%Y", "%Y%m%d", "%d %b %Y", "%b %d %Y", "%a %b %d %Y")
"""Date spellings besides ISO: US, compact, "18 Dec 2026", "Dec 18 2026", CBOE's "Fri Dec 18 2026"."""
_DAYS = re.compile(r"^(<=|<|>=|>)\s*(\d+)\s*d(ays?)?$")
_DAY_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)\s*d(ays?)?$")


def days_to_expiry(expiry: np.ndarray, asof_date) -> np.ndarray:
    """Calendar days from the as-of date to each expiry date (0 on the expiry day)."""
    return (expiry.astype("datetime64[D]") - np.datetime64(asof_date, "D")).astype(np.int64)


def is_standard_monthly(expiry: np.ndarray, am_settled: np.ndarray) -> np.ndarray:
    """True for the third Friday of a month, or an AM-settled Thursday the day before it."""
    days = expiry.astype("datetime64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day_of_month = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    third_friday = (weekday == _FRIDAY) & (day_of_month >= 15) & (day_of_month <= 21)
    holiday_thursday = (weekday == _THURSDAY) & (day_of_month >= 14) & (day_of_month <= 20)
    return third_friday | (holiday_thursday & np.asarray(am_settled, dtype=bool))


def _date(value, what="expiries") -> np.datetime64:
    if isinstance(value, (dt.date, np.datetime64)) or hasattr(value, "to_pydatetime"):
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        if isinstance(value, dt.datetime):
            value = value.date()
        return np.datetime64(value, "D")
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, lambda v: dt.datetime.fromisoformat(v).date(),
                  *(lambda v, f=f: dt.datetime.strptime(v, f).date() for f in _DATE_FORMATS)):
        try:
            return np.datetime64(parse(text), "D")
        except ValueError:
            continue
    raise _unknown(value)


def to_date(value) -> dt.date:
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[D]").item()
    return value.date() if isinstance(value, dt.datetime) else value


def _unknown(value) -> XlgexError:
    return XlgexError(f"xlgex: expiries '{value}' is not one of: {WINDOW_CHOICES}")


def _range_mask(expiry, first, last) -> np.ndarray:
    keep = np.ones(expiry.shape, dtype=bool)
    if first is not None:
        keep &= expiry >= _date(first)
    if last is not None:
        keep &= expiry <= _date(last)
    return keep


def _text_mask(key: str, expiry, am_settled, asof_date):
    days = days_to_expiry(expiry, asof_date)
    if key in ("0dte", "ex0dte"):
        return (days == 0) if key == "0dte" else (days != 0)
    if key in ("monthly", "weekly"):
        monthly = is_standard_monthly(expiry, am_settled)
        return monthly if key == "monthly" else ~monthly
    if m := _DAYS.match(key):
        op, n = m.group(1), int(m.group(2))
        return {"<=": days <= n, "<": days < n, ">=": days >= n, ">": days > n}[op]
    if m := _DAY_RANGE.match(key):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return (days >= low) & (days <= high)
    if ".." in key:
        first, last = (part.strip() or None for part in key.split("..", 1))
        return _range_mask(expiry, first, last)
    return None


def window_mask(expiry: np.ndarray, am_settled: np.ndarray, asof_date, expiries) -> np.ndarray:
    """Boolean mask of the contracts inside the expiry window ``expiries`` (module docstring).

    ``expiry`` are expiry dates (``datetime64[D]``), ``asof_date`` the as-of date in New York.
    Raises :class:`~xlgex.errors.XlgexError` with the accepted forms for anything else.
    """
    expiry = np.asarray(expiry).astype("datetime64[D]")
    if expiries is None:
        return np.ones(expiry.shape, dtype=bool)
    if isinstance(expiries, str):
        key = re.sub(r"\s+", "", expiries.strip().lower())
        if key in ("", "all"):
            return np.ones(expiry.shape, dtype=bool)
        mask = _text_mask(key, expiry, am_settled, asof_date)
        return mask if mask is not None else expiry == _date(expiries)
    if isinstance(expiries, tuple) and len(expiries) == 2:
        return _range_mask(expiry, *expiries)
    if isinstance(expiries, (list, tuple, np.ndarray)):
        wanted = np.asarray([_date(d) for d in expiries], dtype="datetime64[D]")
        return np.isin(expiry, wanted)
    return expiry == _date(expiries)


def settlement_groups(chain):
    """Sorted unique settlement instants (UTC epoch minutes), each contract's group and each
    group's rows (ascending indices)."""
    keys, group, counts = np.unique(chain.settle_minutes, return_inverse=True, return_counts=True)
    rows = np.split(np.argsort(group, kind="stable"), np.cumsum(counts)[:-1]) if keys.size else []
    return keys, group, rows


def max_pain(strike, is_call, open_interest, multiplier=1.0) -> float:
    """Strike minimising the total payout to holders at expiry (module docstring); NaN if no OI.

    All inputs are for one settlement instant. Ties go to the lower strike.
    """
    strike = np.asarray(strike, dtype=float)
    weight = np.broadcast_to(np.asarray(open_interest, float) * np.asarray(multiplier, float),
                             strike.shape)  # fmt: skip
    if strike.size == 0 or not np.any(weight > 0):
        return float("nan")
    candidates = np.unique(strike)
    intrinsic = np.where(np.asarray(is_call, bool),
                         np.maximum(candidates[:, None] - strike, 0.0),
                         np.maximum(strike - candidates[:, None], 0.0))  # fmt: skip
    payout = intrinsic @ weight
    return float(candidates[int(np.argmin(payout))])


@_no_overflow
def gex_by_settlement(chain, *, settings=None, **kwargs) -> pd.DataFrame:
    """Dealer GEX and max pain per settlement instant, a DataFrame sorted by settlement.

    Columns: ``expiry`` (date), ``settlement`` ("AM"/"PM"), ``days`` (calendar days to
    expiry), ``contracts`` (live in the window), ``priced`` (with IV, or chain gamma),
    ``call_gex``, ``put_gex``, ``net_gex`` (units per ``unit``, default $ per 1% move),
    ``share_of_gross`` (the expiry's sum of ``|GEX|`` per contract over all priced
    contracts', 0 to 1) and ``max_pain`` (spot units; NaN with no open interest).
    An expiry without a priced contract shows GEX 0 and ``priced`` 0: read ``priced``.
    Raises :class:`~xlgex.errors.NothingPricedError` when nothing in the window is priced.
    """
    s = _resolve(settings, kwargs)
    used, gamma, dealer, info = _priced(chain, s)
    gex = gex_per_contract(gamma, dealer, used.multiplier, used.spot, s.unit)
    _check_finite(gex, "GEX by expiry", used)
    listed = (chain.including_expired() if s.preset == "classic" else chain).select(s.expiries)
    keys, group, members = settlement_groups(listed)
    slot = np.searchsorted(keys, used.settle_minutes)
    n = keys.size

    def per_group(values):
        return np.bincount(slot, weights=values, minlength=n)

    calls = per_group(np.where(used.is_call, gex, 0.0))
    puts = per_group(np.where(used.is_call, 0.0, gex))
    gross = per_group(np.abs(gex))
    _check_finite(gross.sum(), "GEX by expiry", used)  # every sum below is then finite
    first = np.array([rows[0] for rows in members], dtype=np.intp)
    expiry = listed.expiry[first]
    df = pd.DataFrame({
        "expiry": expiry,
        "settlement": np.where(listed.am_settled[first], "AM", "PM"),
        "days": days_to_expiry(expiry, listed.asof.date()),
        "contracts": np.bincount(group, minlength=n),
        "priced": np.bincount(slot, minlength=n),
        "call_gex": calls, "put_gex": puts, "net_gex": calls + puts,
        "share_of_gross": gross / gross.sum() if gross.sum() > 0 else np.zeros(n),
        "max_pain": [max_pain(listed.strike[rows], listed.is_call[rows],
                              listed.open_interest[rows], listed.multiplier[rows])
                     for rows in members],
    })  # fmt: skip
    df.attrs.update(info)
    return df
