"""Any table as a grid: the header row, the body columns and the preamble above the header.

The header is the first row naming a strike, or an option symbol next to other known columns
(:func:`looks_like_header`); column names are matched through :data:`FIELDS`. Copies of the
header further down (tables appended one under the other, one section per expiry) are
dropped with the title lines just above them, so row numbers stay those of the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as _field
from itertools import zip_longest
from operator import itemgetter

import numpy as np
import pandas as pd

from ..errors import ChainError, error
from .values import _excel_error, _is_blank, _key, _show

__all__ = ["FIELDS", "grid_from_frame", "grid_from_rows", "looks_like_header"]

FIELDS = {
    "strike": ("Strike", "Strike Price", "strikePrice"),
    "expiry": ("Expiration", "Expiry", "Expiration Date", "Exp", "Expiry Date", "Exp Date"),
    "type": ("Type", "Option Type", "Call/Put", "C/P", "Right", "Put/Call", "putCall", "Call",
             "Put", "C", "P"),
    "open_interest": ("Open Interest", "OI", "Open Int", "openInterest"),
    "iv": ("IV", "Implied Volatility", "Implied Vol", "Impl Vol", "impliedVolatility"),
    "gamma": ("Gamma",),
    "dealer_position": ("Dealer Position", "Dealer Contracts", "Dealer Pos"),
    "multiplier": ("Multiplier", "Contract Size", "Contract Multiplier"),
    "root": ("Root", "Contract Symbol", "Option Symbol", "OCC Symbol", "Symbol",
             "Underlying Symbol", "contractSymbol", "Option"),
    "settlement": ("Settlement", "Settle", "AM/PM"),
    "spot": ("Underlying Price", "Spot", "Spot Price", "Underlying Last", "underlyingPrice"),
    "asof": ("Quote Time", "Quote Datetime", "As Of", "Timestamp"),
    "bid": ("Bid", "Bid Price"),
    "ask": ("Ask", "Ask Price", "Offer"),
}  # fmt: skip
"""Field -> accepted column names, preferred first (``Root`` wins over ``Underlying Symbol``).
Names are compared lower-cased with everything but letters and digits removed, so
``open_interest``, ``Open-Interest`` and ``OPEN INTEREST`` are one name."""


_ALIASES = {field: tuple(_key(a) for a in names) for field, names in FIELDS.items()}


_STRIKE_KEYS = frozenset(_ALIASES["strike"])


_SYMBOL_KEYS = frozenset(("contractsymbol", "optionsymbol", "occsymbol", "symbol", "option"))


_KNOWN_KEYS = frozenset(k for keys in _ALIASES.values() for k in keys)


@dataclass
class _Grid:
    """A table split into header, body columns and the preamble above the header."""

    header: list  # display names ("" where the header cell is blank)
    rows: np.ndarray  # source row number of each body row
    header_row: int
    preamble: list  # [(row number, cells), ...]
    get: Callable  # j -> column j of the body as an ndarray (only the columns read are built)
    found: dict = _field(default_factory=dict)  # "spot"/"asof" -> (value, note, source) from the file
    notes: list = _field(default_factory=list)  # what the format reader assumed
    iv_unit: str | None = None  # the IV unit the format states (TD/Schwab JSON: percent)
    hint: str = ""  # what to do when a column is missing (e.g. a thinkorswim layout without OI)
    added: dict = _field(default_factory=dict)  # index -> column computed by a reader (symbols)

    @property
    def keys(self) -> list:
        return [_key(h) for h in self.header]

    def column(self, j: int) -> np.ndarray:
        return self.added[j] if j in self.added else self.get(j)

    def label(self, j, suffix: str = "") -> str | None:
        return None if j is None else self.header[j] + suffix

    def add(self, name: str, values: np.ndarray) -> int:
        """Append a computed column (e.g. strikes decoded from option symbols); its index."""
        self.header.append(name)
        self.added[len(self.header) - 1] = values
        return len(self.header) - 1


def looks_like_header(row) -> bool:
    """Whether a row is the header of a chain: it names a strike column, or an option-symbol
    column next to another known column (``Symbol, Open Interest, IV``)."""
    if not isinstance(row, (list, tuple)):
        return False
    keys = {_key(c) for c in row if isinstance(c, str)}
    if keys & _STRIKE_KEYS:
        return True
    return bool(keys & _SYMBOL_KEYS) and len(keys & _KNOWN_KEYS) >= 2


def grid_from_rows(rows, numbers) -> _Grid:
    """A grid from a 2D list; the header is the first row naming a strike or option symbol."""
    head = None
    for i, row in enumerate(rows):
        if looks_like_header(row):
            head = i
            break
    if head is None:
        filled = [i for i, r in enumerate(rows) if not all(_is_blank(c) for c in r or ())]
        if not filled:
            raise error("empty", row=None)
        cells = rows[filled[0]]  # its names and Excel errors; numbers differ in form by call path
        first = [_excel_error(c) or _show(c) for c in cells if isinstance(c, str) or _excel_error(c)]
        base = error("missing_column", row=_number(numbers, filled[0]), **_missing("strike"))
        raise ChainError(f"{base} or option symbol; the first row holds {_listed(first, 'no names')}")
    rows, numbers = _without_repeated_headers(rows, numbers, head)
    header = ["" if not isinstance(c, str) else " ".join(c.split()) for c in rows[head]]
    body = rows[head + 1 :]
    n = len(body)
    widths = set(map(len, body))
    if len(widths) == 1:  # rectangular, as Excel passes a range: pick the cells column-wise
        width = widths.pop()

        def get(j):
            if j >= width:
                return np.full(n, None, dtype=object)
            return np.fromiter(map(itemgetter(j), body), dtype=object, count=n)
    else:  # ragged rows (CSV lines with blank lines or trailing commas)
        columns = list(zip_longest(*body))

        def get(j):
            if j >= len(columns):
                return np.full(n, None, dtype=object)
            return np.fromiter(columns[j], dtype=object, count=n)

    if numbers is not None:
        row_numbers = np.asarray(numbers[head + 1 :], dtype=np.int64)
    else:
        row_numbers = np.arange(head + 2, head + 2 + n, dtype=np.int64)
    preamble = [(_number(numbers, i), list(rows[i] or ())) for i in range(head)]
    return _Grid(header, row_numbers, _number(numbers, head), preamble, get)


def _number(numbers, i: int) -> int:
    """The source row number of row ``i``: from ``numbers`` (a file's line numbers), else 1-based."""
    return numbers[i] if numbers is not None else i + 1


def _without_repeated_headers(rows, numbers, head: int):
    """Drop copies of the header row below it (files appended together, one section per expiry)."""
    header = [_key(c) for c in rows[head]]
    j = next(k for k, h in enumerate(header) if h in _STRIKE_KEYS | _SYMBOL_KEYS)
    named = rows[head][j]  # a repeated header names the column the same way: cheap test first
    if _absent(named, rows[head + 1 :], j):
        return rows, numbers
    header_rows = [
        i
        for i, row in enumerate(rows)
        if i > head and isinstance(row, (list, tuple)) and len(row) > j and row[j] == named
    ]
    drop = set()
    for i in header_rows:
        if [_key(c) for c in rows[i]] != header:
            continue
        drop.add(i)  # and the title lines above it (a second download's preamble)
        k = i - 1
        while k > head and k not in drop and (len(rows[k] or ()) <= j or _is_blank(rows[k][j])):
            drop.add(k)
            k -= 1
    if not drop:
        return rows, numbers
    keep = [i for i in range(len(rows)) if i not in drop]
    numbers = [numbers[i] for i in keep] if numbers is not None else [i + 1 for i in keep]
    return [rows[i] for i in keep], numbers


def _absent(named, body, j: int) -> bool:
    """Whether no row of ``body`` has ``named`` in column ``j`` (checked at C speed); False
    when that cannot be told so quickly (ragged or unusual rows)."""
    try:
        return named not in list(map(itemgetter(j), body))
    except Exception:  # a short row, a None row, cells that do not compare: the full scan decides
        return False


def _listed(names, nothing: str = "nothing", limit: int = 12) -> str:
    names = [" ".join(str(n).split()) for n in names if n]
    shown = ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")
    return shown or nothing


def grid_from_frame(frame: pd.DataFrame) -> _Grid:
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index (e.g. "Strike") is data
    header = []
    for name in (" ".join(str(c).split()) for c in frame.columns):  # "IV.1" (pandas' duplicate) -> "IV"
        base = re.sub(r"\.\d+$", "", name)
        header.append(base if base in header else name)
    if not looks_like_header(header):  # the header inside the data (read with header=None)
        values = frame.astype(object).to_numpy().tolist()
        return grid_from_rows(values, None)

    def get(j):
        values = frame.iloc[:, j].to_numpy()
        return values if values.dtype.kind in "biufM" else values.astype(object)

    rows = np.arange(2, 2 + len(frame), dtype=np.int64)
    return _Grid(header, rows, 1, [], get)


def _missing(field: str) -> dict:
    names = FIELDS[field]
    return {"name": names[0], "aliases": ", ".join(names[:4])}
