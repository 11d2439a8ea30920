"""OCC/OSI option symbols: root, expiry, call/put and strike from one text.

Accepted forms (case-insensitive, surrounding spaces ignored)::

    SPXW240112C04700000     OSI, padded: root, YYMMDD, C/P, strike x 1000 in 8 digits
    SPXW  240112C04700000   the same with the root padded to 6 characters
    SPXW 240112C4700        unpadded: the strike as written (4700, 52.5)
    .SPXW240112C4700        with a leading dot or dash (broker and Fidelity exports)
    SPY_052322C382          TD Ameritrade: root, MMDDYY, C/P, strike as written

A root may end in a digit (adjusted contracts, e.g. ``SPY1``). Settlement (AM/PM) follows
from the root, as for every layout (:data:`~xlgex.readers.AM_SETTLED_ROOTS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .values import _is_blank, _show, _Where

__all__ = ["OSI", "decode", "decode_column"]

OSI = (
    r"^\s*[.\-]?(?P<root>[A-Za-z][A-Za-z0-9]{0,5}?)\s*(?P<date>\d{6})(?P<cp>[CPcp])"
    r"(?P<strike>\d+(?:\.\d+)?)\s*$"
)
_TD = r"^\s*(?P<root>[A-Za-z][A-Za-z0-9]{0,5})_(?P<date>\d{6})(?P<cp>[CPcp])(?P<strike>\d+(?:\.\d+)?)\s*$"
_PADDED_DIGITS = 8  # OSI strikes are 5 integer + 3 decimal digits


def decode(symbols) -> pd.DataFrame:
    """Decode symbols into a frame with ``root, expiry (datetime64[D]), is_call, strike``.

    Rows that are not a symbol get NaN/NaT in every column (``root`` None).
    """
    text = pd.Series(np.asarray(symbols, dtype=object)).where(lambda v: v.map(lambda x: isinstance(x, str)))
    parts = text.str.extract(OSI)
    td = text.str.extract(_TD)
    use_td = parts["root"].isna() & td["root"].notna()
    if use_td.any():
        yymmdd = td["date"].str[4:6] + td["date"].str[:4]  # MMDDYY -> YYMMDD
        parts.loc[use_td, ["root", "cp", "strike"]] = td.loc[use_td, ["root", "cp", "strike"]]
        parts.loc[use_td, "date"] = yymmdd[use_td]
    digits = parts["strike"].str.len()
    strike = pd.to_numeric(parts["strike"], errors="coerce")
    padded = (digits == _PADDED_DIGITS) & ~parts["strike"].str.contains(".", regex=False, na=False)
    strike = strike.where(~(padded & ~use_td), strike / 1000.0)
    expiry = pd.to_datetime("20" + parts["date"], format="%Y%m%d", errors="coerce")
    ok = expiry.notna() & strike.gt(0)
    return pd.DataFrame({
        "root": parts["root"].str.upper().where(ok, None),
        "expiry": expiry.where(ok).to_numpy(dtype="datetime64[D]"),
        "is_call": parts["cp"].str.upper().eq("C") & ok,
        "strike": strike.where(ok).to_numpy(dtype=float),
    })  # fmt: skip


def decode_column(col, label: str, where: _Where) -> dict | None:
    """Expiry, type ("C"/"P") and strike arrays from a symbol column; None when no cell is a
    symbol (a ticker column); raises naming the first filled cell that is not one."""
    frame = decode(col)
    filled = np.fromiter((not _is_blank(v) for v in col), dtype=bool, count=len(col))
    ok = frame["root"].notna().to_numpy()
    if not ok.any():
        return None
    bad = filled & ~ok
    if bad.any():
        i = int(np.argmax(bad))
        raise where.fail("not_symbol", i, label, value=_show(col[i]))
    kind = np.where(frame["is_call"].to_numpy(), "C", "P").astype(object)
    kind[~ok] = None
    return {"expiry": frame["expiry"].to_numpy(), "type": kind, "strike": frame["strike"].to_numpy()}
