"""CBOE delayed-quotes JSON: ``{"timestamp": ..., "data": {"current_price": ..., "options": [...]}}``.

Each option carries its OCC symbol (``option``), ``iv`` (decimal), ``gamma``,
``open_interest``, ``bid`` and ``ask``. The spot is ``data.current_price``; the quote time is
the top-level ``timestamp`` (New York wall clock), else ``data.last_trade_time``. The
``data`` object saved alone is read the same way (it has no timestamp).
"""

from __future__ import annotations

import pandas as pd

from ..chain import to_new_york
from .dates import _when_from_text

__all__ = ["is_cboe", "frame"]

_COLUMNS = {"option": "Option Symbol", "open_interest": "Open Interest", "iv": "IV",
            "gamma": "Gamma", "bid": "Bid", "ask": "Ask"}  # fmt: skip


def _data(obj):
    inner = obj.get("data") if isinstance(obj, dict) else None
    return inner if isinstance(inner, dict) else obj


def is_cboe(obj) -> bool:
    data = _data(obj)
    options = data.get("options") if isinstance(data, dict) else None
    return isinstance(options, list) and (not options or isinstance(options[0], dict)
                                          and "option" in options[0])  # fmt: skip


def frame(obj) -> tuple[pd.DataFrame, dict, list]:
    """The contracts as a long table, the spot/as-of found, and notes."""
    data = _data(obj)
    table = pd.DataFrame(data["options"])
    missing = [k for k in ("option", "open_interest") if k not in table.columns]
    keep = [k for k in _COLUMNS if k in table.columns]
    table = table[keep].rename(columns=_COLUMNS)
    found, notes = {}, ["CBOE delayed-quotes JSON"]
    if missing:
        notes.append(f"options without {', '.join(missing)}")
    spot = data.get("current_price")
    if isinstance(spot, (int, float)) and not isinstance(spot, bool) and spot > 0:
        found["spot"] = (float(spot), f"spot {spot:g} from the file's current_price", "file")
    for key, holder in (("timestamp", obj), ("last_trade_time", data)):
        text = holder.get(key) if isinstance(holder, dict) else None
        when = _when_from_text(text) if isinstance(text, str) else None
        if when is not None:
            when = to_new_york(when)
            found["asof"] = (when, f"as-of from the file's {key}: {text} (New York)", "file")
            break
    return table, found, notes
