"""Key strike levels traders read off a chain, and every flip crossing with its direction.

Definitions (every figure uses the priced contracts of the expiry window, per strike):

* **top positive / negative strikes**: the ``n`` strikes with the largest positive net GEX
  (descending) and the ``n`` with the most negative net GEX (ascending); strikes whose net
  GEX is exactly 0 are in neither list; ties go to the lower strike.
* **call wall by GEX**: the strike with the largest ``|call GEX|``; **put wall by GEX**: the
  strike with the largest ``|put GEX|`` (absolute values: independent of the sign convention).
* **call wall by OI** / **put wall by OI**: the strike with the largest call / put open
  interest, summed over the window's expiries (every live contract: open interest needs no IV).
* **side of spot** (default, the way traders read walls): the call walls are searched among
  strikes at or above spot and the put walls among strikes at or below spot.
  ``anywhere=True`` gives the unrestricted definition (every strike), as in :func:`gex_walls`.
  Ties go to the lower strike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core.exposure import sum_by_key
from .flip import NEG_TO_POS, POS_TO_NEG, gamma_flip
from .gex import _resolve, gex_by_strike

__all__ = ["gex_levels", "flip_crossings", "NEG_TO_POS", "POS_TO_NEG"]


def _wall(strikes, score, allowed, side_text: str) -> tuple[float, float, str]:
    """(strike, score, reason) of the largest positive ``score`` among ``allowed`` strikes."""
    score = np.where(allowed, score, 0.0)
    if not np.any(score > 0):
        return float("nan"), float("nan"), f"none: no {side_text}"
    i = int(np.argmax(score))
    return float(strikes[i]), float(score[i]), ""


def _top(strikes, net, n: int, positive: bool) -> pd.DataFrame:
    pick = net > 0 if positive else net < 0
    k, v = strikes[pick], net[pick]
    order = np.lexsort((k, -v if positive else v))[:n]
    return pd.DataFrame({"strike": k[order], "net_gex": v[order]})


def gex_levels(chain, n: int = 5, *, anywhere: bool = False, settings=None, **kwargs) -> dict:
    """Top strikes by net GEX and the call/put walls by GEX and by open interest.

    Parameters
    ----------
    chain : Chain
    n : int
        How many strikes in each top list (>= 1).
    anywhere : bool
        False (default): call walls at or above spot, put walls at or below. True: any strike.
    settings, **kwargs
        Convention, gamma_source, unit, rate, div_yield, expiries as in :mod:`xlgex.gex`.

    Returns
    -------
    dict
        ``top_positive`` and ``top_negative`` (DataFrames ``strike, net_gex``), and for each of
        ``call_wall_gex``, ``put_wall_gex``, ``call_wall_oi``, ``put_wall_oi`` a dict
        ``strike`` (NaN when none), ``value`` (GEX in ``unit``, or open interest in contracts)
        and ``reason`` (why there is none, else ""); ``spot``, ``anywhere``, ``info``.
    """
    s = _resolve(settings, kwargs)
    by_strike = gex_by_strike(chain, settings=s)
    k = by_strike["strike"].to_numpy()
    listed = chain.select(s.expiries)
    oi_k, (call_oi, put_oi) = sum_by_key(
        listed.strike, np.where(listed.is_call, listed.open_interest, 0.0),
        np.where(listed.is_call, 0.0, listed.open_interest),
    )  # fmt: skip
    spot = chain.spot
    above = "" if anywhere else " at or above spot"
    below = "" if anywhere else " at or below spot"

    def wall(strikes, score, is_call, what):
        allowed = np.ones(strikes.shape, bool) if anywhere else (
            strikes >= spot if is_call else strikes <= spot)  # fmt: skip
        strike, value, reason = _wall(strikes, score, allowed,
                                      f"{what}{above if is_call else below}")  # fmt: skip
        return {"strike": strike, "value": value, "reason": reason}

    net = by_strike["net_gex"].to_numpy()
    return {
        "top_positive": _top(k, net, n, True),
        "top_negative": _top(k, net, n, False),
        "call_wall_gex": wall(k, np.abs(by_strike["call_gex"].to_numpy()), True, "call GEX"),
        "put_wall_gex": wall(k, np.abs(by_strike["put_gex"].to_numpy()), False, "put GEX"),
        "call_wall_oi": wall(oi_k, call_oi, True, "call open interest"),
        "put_wall_oi": wall(oi_k, put_oi, False, "put open interest"),
        "spot": spot, "anywhere": bool(anywhere), "info": dict(by_strike.attrs),
    }  # fmt: skip


def flip_crossings(chain, *, settings=None, **kwargs) -> pd.DataFrame:
    """Every spot where dealer net GEX changes sign, with direction and distance from spot.

    Keyword arguments are those of :func:`xlgex.flip.gamma_flip` (method, levels, vol_rule,
    what-ifs) and the GEX settings. Columns: ``crossing`` (spot units), ``direction``
    (``"neg_to_pos"``: net GEX negative below the crossing and positive above it, or
    ``"pos_to_neg"``), ``distance`` (crossing minus spot, spot units) and ``distance_pct``
    (% of spot), ascending. Empty when there is no crossing: ``attrs["reason"]`` says why.
    """
    flip_keys = {"method", "levels", "n_levels", "range_pct", "xtol", "vol_rule", "vol_shift",
                 "roll_hours", "roll_days"}  # fmt: skip
    flip_kwargs = {k: v for k, v in kwargs.items() if k in flip_keys}
    s = _resolve(settings, {k: v for k, v in kwargs.items() if k not in flip_keys})
    flip = gamma_flip(chain, settings=s, **flip_kwargs)
    roots = np.asarray(flip.crossings, dtype=float)
    spot = chain.spot
    df = pd.DataFrame({"crossing": roots, "direction": list(flip.directions),
                       "distance": roots - spot, "distance_pct": (roots - spot) / spot * 100.0})  # fmt: skip
    df.attrs.update(flip.info, reason=flip.reason, flip=float(flip))
    return df
