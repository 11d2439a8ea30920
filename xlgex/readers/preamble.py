"""Spot and as-of: from the argument, the file's title lines or its columns, else now.

Title lines above the header carry them in several forms: CBOE's ``Last: 4500.53`` and
``Date: March 15, 2023 at 3:00 PM EDT`` (or, in the older layout, the spot as the second
field), Fidelity's ``Last Trade $185.27`` and ``03/15/2023 03:00:00 PM ET``, thinkorswim's
``LAST`` heading over its value and ``... on 11/8/23 00:30:11``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..chain import Diagnostics, to_new_york
from ..conventions import NEW_YORK
from ..errors import error
from .dates import _TIME_TAIL, _when_from_text
from .values import _is_blank

if TYPE_CHECKING:
    from .grid import _Grid

__all__ = ["column_asof", "column_spot", "from_preamble", "resolve"]


def column_spot(spot, keep, label, where):
    """(spot, note) from an ``Underlying Price`` column, or None when it is absent or blank."""
    if spot is None:
        return None
    filled = keep & np.isfinite(spot)
    if not filled.any():
        return None
    values = spot[filled]
    low = filled & (spot <= 0)
    if low.any():
        i = int(np.argmax(low))
        raise where.fail("not_positive", i, label, what="spot", value=float(spot[i]))
    value = float(np.median(values))
    text = f"spot {value:g} from column '{label}'"
    if values.min() != values.max():
        text += f" (median; it ranges {values.min():g} to {values.max():g})"
    return value, text, "column"


def column_asof(asof, filled, label):
    """(as-of, note, source) from a ``Quote Time`` column: the latest time in it."""
    if asof is None or not filled.any():
        return None
    stamps = pd.unique(asof[filled])
    value = max(stamps)
    text = f"as-of {value:%Y-%m-%d %H:%M %Z} from column '{label}'"
    if len(stamps) > 1:
        text += f" (the latest of {len(stamps)} distinct times)"
    return value, text, "column"


_LAST = re.compile(
    r"\blast(?: trade| sale| price)?:?\s*\$?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)", re.I
)
"""The spot in a title line: CBOE's ``Last: 4500.53``, Fidelity's ``Last Trade $185.27``."""


_STAMP = re.compile(
    r"\d{1,2}/\d{1,2}/\d{2,4}[ ,]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]\.?M\.?)?(?:\s*E[SD]?T)?", re.I
)


def _labelled_spot(preamble, number, cells):
    """thinkorswim's underlying block: a ``LAST`` heading, its value on the next line."""
    j = next((k for k, c in enumerate(cells) if isinstance(c, str) and c.strip().upper() == "LAST"), None)
    if j is None:
        return None
    below = [(n, row) for n, row in preamble if n > number]
    if below and len(below[0][1]) > j:
        return _file_spot(below[0][1][j], below[0][0])
    return None


def from_preamble(grid: _Grid, cboe: bool):
    """Spot and quote time from the lines above the header, each as (value, note, source)."""
    spot = asof = None
    for number, cells in grid.preamble:
        line = ",".join(c for c in cells if isinstance(c, str))  # "Last Trade $3,891.93" unquoted
        if spot is None and (m := _LAST.search(line)):
            spot = _file_spot(m[1], number)
        spot = spot or _labelled_spot(grid.preamble, number, cells)
    for inside in (False, True):  # a line that is a time wins over a time inside a title
        for number, cells in grid.preamble:
            for cell in cells:
                if asof is None and isinstance(cell, str):
                    asof = _stamp(cell.strip(), number, inside)
    if spot is None and cboe:  # older format: "SPY (SPDR S&P 500 ETF Trust),310.68,1.98"
        for number, cells in grid.preamble:
            if any(not _is_blank(c) for c in cells):
                if len(cells) > 1 and isinstance(cells[0], str):
                    spot = _file_spot(cells[1], number)
                break
    return spot, asof


def _stamp(text: str, number: int, inside: bool):
    """(as-of, note, "file") from a cell that is a date and time, or (``inside``) that holds
    one inside a title ("Stock quote and option quote for SPY on 11/8/23 00:30:11"); or None."""
    found = [text] if _TIME_TAIL.fullmatch(text) and not inside else []
    if inside and (m := _STAMP.search(text)):
        found.append(m[0])
    for candidate in found:
        try:
            when = _when_from_text(candidate)
        except ValueError:  # a clock such as 25:00
            when = None
        if when is not None:
            return to_new_york(when), f"as-of from the file (row {number}): {text}", "file"
    return None


def _file_spot(value, number):
    try:
        spot = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    if not math.isfinite(spot) or spot <= 0:
        raise error("not_positive", row=number, what="spot", value=spot)
    return spot, f"spot {spot:g} from the file (row {number})", "file"


def resolve(argument, found, what: str, diag: Diagnostics):
    """Argument > file/column > (asof only) now; records the source and any override."""
    shown = {"spot": "spot", "asof": "as-of"}[what]
    if argument is not None:
        setattr(diag, f"{what}_source", "argument")
        if found is not None:
            diag.note(f"{shown} from {what}= overrides the input's: {found[1]}")
        return argument
    if found is not None:
        value, note, source = found
        setattr(diag, f"{what}_source", source)
        diag.note(note)
        return value
    if what == "spot":
        raise error("no_spot")
    now = _now()
    diag.asof_source = "now"
    diag.note(f"no as-of time given or found: used now, {now:%Y-%m-%d %H:%M %Z} New York")
    return now


def _now() -> dt.datetime:
    return dt.datetime.now(NEW_YORK)
