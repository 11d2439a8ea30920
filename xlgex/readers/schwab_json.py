"""TD Ameritrade / Schwab Trader API option-chain JSON (``callExpDateMap``/``putExpDateMap``).

Maps are keyed ``"YYYY-MM-DD:days"`` then by strike, each holding a list of contracts with
``symbol, putCall, strikePrice, openInterest, volatility`` (percent), ``gamma, bid, ask,
multiplier``; ``-999`` and ``"NaN"`` mean "not available". The spot is ``underlyingPrice``
(else ``underlying.last``); the quote time ``underlying.quoteTime`` (epoch milliseconds),
else the latest ``quoteTimeInLong`` of the contracts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..chain import to_new_york

__all__ = ["IV_UNIT", "is_schwab", "frame"]

IV_UNIT = "percent"
"""The unit of ``volatility`` in these files (18.5 for 18.5%)."""
_NOT_AVAILABLE = -999.0
_FIELDS = {"symbol": "Symbol", "putCall": "Type", "strikePrice": "Strike",
           "openInterest": "Open Interest", "volatility": "IV", "gamma": "Gamma", "bid": "Bid",
           "ask": "Ask", "multiplier": "Multiplier"}  # fmt: skip


def is_schwab(obj) -> bool:
    return isinstance(obj, dict) and ("callExpDateMap" in obj or "putExpDateMap" in obj)


def _records(obj):
    for side in ("callExpDateMap", "putExpDateMap"):
        for expiry_key, strikes in (obj.get(side) or {}).items():
            expiry = str(expiry_key).split(":")[0]
            for contracts in (strikes or {}).values():
                for contract in contracts or ():
                    row = {name: contract.get(key) for key, name in _FIELDS.items()}
                    row["Expiration"] = expiry
                    row["quote_ms"] = contract.get("quoteTimeInLong")
                    yield row


def _number(values) -> np.ndarray:
    out = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    return np.where(out == _NOT_AVAILABLE, np.nan, out)


def frame(obj) -> tuple[pd.DataFrame, dict, list]:
    """The contracts as a long table (IV in percent), the spot/as-of found, and notes."""
    table = pd.DataFrame(list(_records(obj)), columns=[*_FIELDS.values(), "Expiration", "quote_ms"])
    for name in ("Open Interest", "IV", "Gamma", "Bid", "Ask", "Strike", "Multiplier"):
        table[name] = _number(table[name])
    stamps = table.pop("quote_ms")
    found = {}
    underlying = obj.get("underlying") if isinstance(obj.get("underlying"), dict) else {}
    spot = _number([obj.get("underlyingPrice", underlying.get("last"))])[0]
    if np.isfinite(spot) and spot > 0:
        found["spot"] = (float(spot), f"spot {spot:g} from the file's underlyingPrice", "file")
    ms = _number([underlying.get("quoteTime")])[0]
    if not np.isfinite(ms):
        each = _number(stamps)
        each = each[np.isfinite(each)]
        ms = each.max() if each.size else np.nan
    if np.isfinite(ms) and ms > 0:
        when = to_new_york(dt.datetime.fromtimestamp(ms / 1000.0, tz=dt.timezone.utc))
        found["asof"] = (when, f"as-of {when:%Y-%m-%d %H:%M %Z} from the file's quote time", "file")
    notes = ["TD Ameritrade/Schwab chain JSON: volatility in percent, -999 as not available"]
    return table, found, notes
