"""Read an option chain from an Excel range, a DataFrame or a CSV file into a :class:`Chain`.

Two layouts are recognised, wherever they come from:

* **long**: one contract per row, with a header row naming the columns (matched
  case-insensitively, ignoring spaces and punctuation, through the aliases in :data:`FIELDS`):
  ``Root, Expiration, Type, Strike, Open Interest, IV, Gamma`` and optionally
  ``Dealer Position, Multiplier, Settlement, Underlying Price, Quote Time``;
* **CBOE delayed quotes**: calls and puts side by side at each strike
  (``Expiration Date, Calls, ..., Strike, Puts, ...``). Call-side columns sit between
  ``Calls`` and ``Strike``, put-side columns after ``Puts``. The lines above the header carry
  the spot (``Last: 4500.53``, or the second field in the older format) and the quote time.

The header row is the first row holding a strike column; rows above it are a preamble.
A CSV file is read into rows with :mod:`csv` and goes through the same path as a 2D range.
Every column is converted as a whole (numpy/pandas), and dates and labels are parsed once
per distinct value, so a 30,000-row range reads in a few tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as _field
from itertools import zip_longest
from operator import itemgetter

import numpy as np
import pandas as pd

from ..chain import Chain, Diagnostics, to_new_york
from ..conventions import AM_SETTLEMENT, CONTRACT_MULTIPLIER, NEW_YORK, PM_SETTLEMENT
from ..errors import ChainError, error
from . import occ
from .dates import _TIME_TAIL, _dates, _parse_when, _when_from_text
from .quotes import IV_PLACEHOLDER, solve_missing_iv
from .values import (
    _ROOT_PREFIX,
    _excel_error,
    _is_blank,
    _key,
    _numbers,
    _parse_type,
    _per_value,
    _root_is_am,
    _settlement_is_am,
    _show,
    _Where,
    percent_cells,
)

__all__ = ["FIELDS", "chain_from_grid", "grid_from_frame", "grid_from_rows", "looks_like_header"]

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

_IV_PERCENT_MEDIAN = 2.0  # a median IV above 200% only makes sense in percent
_IV_DECIMAL_MEDIAN = 1.0  # a median IV below 1% only makes sense in decimals

_ALIASES = {field: tuple(_key(a) for a in names) for field, names in FIELDS.items()}
_STRIKE_KEYS = frozenset(_ALIASES["strike"])
_SYMBOL_KEYS = frozenset(("contractsymbol", "optionsymbol", "occsymbol", "symbol", "option"))
_KNOWN_KEYS = frozenset(k for keys in _ALIASES.values() for k in keys)


# -- grid -> chain -----------------------------------------------------------------------------
def chain_from_grid(grid: _Grid, *, spot, asof, unit: str, multiplier, iv_from_quotes: bool) -> Chain:
    """The chain in ``grid`` with arguments already validated (see :func:`xlgex.readers.read_chain`)."""
    diag = Diagnostics(iv_unit=unit)
    cboe = _side_by_side(grid)
    sides = cboe if cboe is not None else _long_sides(grid)
    for text in grid.notes:
        diag.note(text)
    c, found_spot, found_asof = _read_contracts(grid, sides, multiplier, diag)
    bid, ask = c.pop("bid"), c.pop("ask")
    c["iv"] = _iv_in_decimals(c["iv"], unit, diag, grid.label(sides[0].cols.get("iv")))
    c["iv"] = _without_placeholders(c["iv"], diag)
    if all("iv" not in side.cols for side in sides):
        diag.note("no IV column: IVs only from bid/ask quotes, or the Gamma column")
    if grid.preamble:
        from_preamble = _preamble(grid, cboe is not None and "calls" in grid.keys)
        found_spot = found_spot or from_preamble[0]
        found_asof = found_asof or from_preamble[1]
    found_spot = grid.found.get("spot") or found_spot
    found_asof = grid.found.get("asof") or found_asof
    spot_value = _resolve(spot, found_spot, "spot", diag)
    asof_value = _resolve(asof, found_asof, "asof", diag)
    if iv_from_quotes:
        c["iv"] = solve_missing_iv(c, bid, ask, spot_value, asof_value, diag)

    chain = Chain.from_arrays(spot=spot_value, asof=asof_value, diagnostics=diag, **c)
    missing = ~chain.has_iv
    if missing.any():
        diag.note(
            f"{int(missing.sum())} of {len(chain)} live contracts have no IV (blank or <= 0), "
            f"carrying {chain.open_interest[missing].sum():g} open interest: no model gamma"
        )
    return chain


def _without_placeholders(iv: np.ndarray, diag: Diagnostics) -> np.ndarray:
    """IVs below :data:`IV_PLACEHOLDER` (yfinance's 1e-05 on unquoted rows) mean "no IV"."""
    fake = (iv > 0) & (iv < IV_PLACEHOLDER)
    if fake.any():
        diag.note(f"{int(fake.sum())} IVs below {IV_PLACEHOLDER:g} taken as placeholders (no IV)")
        iv = np.where(fake, np.nan, iv)
    return iv


# -- sources -> grid ---------------------------------------------------------------------------
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
    number = (lambda i: numbers[i]) if numbers is not None else (lambda i: i + 1)
    if head is None:
        filled = [i for i, r in enumerate(rows) if not all(_is_blank(c) for c in r or ())]
        if not filled:
            raise error("empty", row=None)
        cells = rows[filled[0]]  # its names and Excel errors; numbers differ in form by call path
        first = [_excel_error(c) or _show(c) for c in cells if isinstance(c, str) or _excel_error(c)]
        base = error("missing_column", row=number(filled[0]), **_missing("strike"))
        raise ChainError(f"{base} or option symbol; the first row holds {_listed(first, 'no names')}")
    rows, numbers = _without_repeated_headers(rows, numbers, head)
    number = (lambda i: numbers[i]) if numbers is not None else (lambda i: i + 1)
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
    preamble = [(number(i), list(rows[i] or ())) for i in range(head)]
    return _Grid(header, row_numbers, number(head), preamble, get)


def _without_repeated_headers(rows, numbers, head: int):
    """Drop copies of the header row below it (files appended together, one section per expiry)."""
    header = [_key(c) for c in rows[head]]
    j = next(k for k, h in enumerate(header) if h in _STRIKE_KEYS | _SYMBOL_KEYS)
    named = rows[head][j]  # a repeated header names the column the same way: cheap test first

    def repeat(row) -> bool:
        return (isinstance(row, (list, tuple)) and len(row) > j and row[j] == named
                and [_key(c) for c in row] == header)  # fmt: skip

    drop = set()
    for i in range(head + 1, len(rows)):
        if repeat(rows[i]):  # and the title lines above it (a second download's preamble)
            drop.add(i)
            k = i - 1
            while k > head and k not in drop and (len(rows[k] or ()) <= j or _is_blank(rows[k][j])):
                drop.add(k)
                k -= 1
    if not drop:
        return rows, numbers
    keep = [i for i in range(len(rows)) if i not in drop]
    numbers = [numbers[i] if numbers is not None else i + 1 for i in keep]
    return [rows[i] for i in keep], numbers


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


# -- layouts -----------------------------------------------------------------------------------
@dataclass
class _Side:
    """Where one group of contracts reads its fields: all rows (long) or one CBOE side."""

    cols: dict  # field -> column index
    is_call: bool | None  # None: from the Type column
    suffix: str = ""  # appended to column names in messages (" (puts)")


def _locate(keys, fields, lo=0, hi=None) -> dict:
    hi = len(keys) if hi is None else hi
    found = {}
    for field in fields:
        for alias in _ALIASES[field]:
            hits = [j for j in range(lo, hi) if keys[j] == alias]
            if hits:
                found[field] = hits[0]
                break
    return found


def _missing(field: str) -> dict:
    names = FIELDS[field]
    return {"name": names[0], "aliases": ", ".join(names[:4])}


def _missing_error(grid: _Grid, field: str, suffix: str = "") -> ChainError:
    """Missing column ``field``, with the columns that were found (and the format's hint)."""
    base = str(error("missing_column", row=grid.header_row, **_missing(field)))
    hint = f"; {grid.hint}" if grid.hint else ""
    return ChainError(f"{base}{suffix}; columns found: {_listed(grid.header)}{hint}")


def _require(grid: _Grid, cols: dict, fields, suffix: str = "", gamma_or_iv: bool = True) -> None:
    for field in fields:
        if field not in cols:
            raise _missing_error(grid, field, suffix)
    quotes = "bid" in cols and "ask" in cols  # IVs can be solved from the quotes
    if gamma_or_iv and "iv" not in cols and "gamma" not in cols and not quotes:
        raise _missing_error(grid, "iv", suffix)


def _long_sides(grid: _Grid) -> list:
    cols = _locate(grid.keys, FIELDS)
    if "root" in cols and not {"strike", "expiry", "type"} <= cols.keys():
        _from_symbols(grid, cols)
    _require(grid, cols, ("strike", "expiry", "type", "open_interest"))
    return [_Side(cols, None)]


def _from_symbols(grid: _Grid, cols: dict) -> None:
    """Expiry, type and strike decoded from an OCC symbol column where they have no column."""
    j = cols["root"]
    where = _Where(grid.rows)
    decoded = occ.decode_column(grid.column(j), grid.label(j), where)
    if decoded is None:  # not symbols (e.g. an underlying ticker): the columns are missing
        return
    label = grid.label(j)
    for field, name in (("expiry", "Expiration"), ("type", "Type"), ("strike", "Strike")):
        if field not in cols:
            cols[field] = grid.add(f"{name} (from '{label}')", decoded[field])
    grid.notes.append(f"expiry, type and strike decoded from the option symbols in '{label}'")


_STANDARD_SIZE = ("REGULAR", "Regular", "regular", "STANDARD", "Standard")
"""Contract-size words meaning the standard multiplier (yfinance writes ``REGULAR``)."""
_SIDE_FIELDS = ("open_interest", "iv", "gamma", "bid", "ask", "root")


def _side_by_side(grid: _Grid) -> list | None:
    """Calls and puts of a strike on one row: CBOE (calls between ``Calls`` and ``Strike``,
    puts after ``Puts``), a broker export repeating the same columns left and right of the
    strike (Fidelity), or columns named with a ``Call``/``Put`` prefix (``CallIV, PutOpenInt``).
    None for a long table."""
    keys = grid.keys
    shared = _locate(keys, ("strike", "expiry"))
    bare = [re.sub(r"^(calls?|puts?)(?=.)", "", k) for k in keys]  # "callopenint" -> "openint"
    if "calls" in keys and "puts" in keys:
        calls, puts = keys.index("calls"), keys.index("puts")
        _require(grid, shared, ("strike", "expiry"), gamma_or_iv=False)
        marks = sorted({calls, puts, shared["strike"], len(keys)})
        spans = [
            range(calls + 1, marks[marks.index(calls) + 1]),
            range(puts + 1, marks[marks.index(puts) + 1]),
        ]
        roots = {"root": calls}, {"root": puts}
    elif "strike" not in shared or "type" in _locate(keys, ("type",)):
        return None
    elif _prefixed(keys, bare, "call") and _prefixed(keys, bare, "put"):
        spans = [[j for j in range(len(keys)) if keys[j].startswith(side) and keys[j] != bare[j]]
                 for side in ("call", "put")]  # fmt: skip
        roots = {}, {}
    else:
        k = shared["strike"]
        if not (set(_locate(keys, _SIDE_FIELDS, 0, k)) & set(_locate(keys, _SIDE_FIELDS, k + 1))):
            return None
        spans, roots = [range(0, k), range(k + 1, len(keys))], ({}, {})
    _require(grid, shared, ("strike", "expiry"), gamma_or_iv=False)
    sides = []
    for span, root, is_call in zip(spans, roots, (True, False), strict=True):
        suffix = " (calls)" if is_call else " (puts)"
        inside = [b if j in span else "" for j, b in enumerate(bare)]
        cols = {**_locate(inside, _SIDE_FIELDS), **root}
        _require(grid, cols, ("open_interest",), suffix)
        sides.append(_Side({**shared, **cols}, is_call, suffix))
    return sides


def _prefixed(keys, bare, side: str) -> bool:
    """Whether some column is a side's open interest named with its prefix (``CallOpenInt``)."""
    return any(k.startswith(side) and b in _ALIASES["open_interest"] for k, b in zip(keys, bare, strict=True))


# -- contracts ---------------------------------------------------------------------------------


def _read_contracts(grid: _Grid, sides: list, mult_arg, diag: Diagnostics):
    """Arrays for :meth:`Chain.from_arrays` with blank rows dropped and every cell validated,
    plus the spot and as-of found in columns (``(value, note, source)`` or None)."""
    first = sides[0].cols
    where = _Where(grid.rows)
    strike_label = grid.label(first["strike"])
    strike, strike_blank = _numbers(grid.column(first["strike"]), strike_label, where)
    where.strike = strike
    expiry_label = grid.label(first["expiry"])
    expiry, expiry_blank = _dates(grid.column(first["expiry"]), expiry_label, where)

    found = {}
    shared_blank = strike_blank  # a line holding only a date separates expiries (Fidelity)
    parts = [_read_side(grid, side, where, mult_arg, shared_blank, found, diag) for side in sides]
    n_sides = len(parts)
    c = {name: None if parts[0][name] is None else np.concatenate([p[name] for p in parts])
         for name in parts[0]}  # fmt: skip
    blank = c.pop("blank")
    rows = np.tile(grid.rows, n_sides)
    strike, expiry = np.tile(strike, n_sides), np.tile(expiry, n_sides)
    where = _Where(rows, strike)

    diag.rows_read = int(blank.size)
    diag.drop("blank", int(blank.sum()))
    keep = ~blank
    if not keep.any():
        raise error("empty", row=grid.header_row)
    for hole, label, what in ((np.isnan(strike), strike_label, "strike"),
                              (np.isnat(expiry), expiry_label, "expiry")):  # fmt: skip
        hole &= keep
        if hole.any():
            raise where.fail("blank", int(np.argmax(hole)), label, what=what)
    low = keep & (strike <= 0)
    if low.any():
        i = int(np.argmax(low))
        raise _Where(rows).fail("not_positive", i, strike_label, what="strike",
                                value=float(strike[i]))  # fmt: skip

    out = {name: None if v is None else v[keep] for name, v in c.items()}
    out.update(strike=strike[keep], expiry=expiry[keep], source_row=rows[keep])
    _note_settlement(out["am_settled"], first, diag)
    return out, found.get("spot"), found.get("asof")


def _read_side(grid, side: _Side, where: _Where, mult_arg, shared_blank, found, diag) -> dict:
    """One side's contract arrays and its blank mask; column spot/as-of go into ``found``."""
    cols, suffix = side.cols, side.suffix
    n = len(grid.rows)
    absent = np.ones(n, dtype=bool)

    def label(field):
        return grid.label(cols.get(field), suffix)

    def numbers(field):
        if field not in cols:
            return None, absent
        column = grid.column(cols[field])
        if field == "multiplier" and column.dtype == object:  # yfinance's contractSize
            column = np.where(np.isin(column, _STANDARD_SIZE), None, column)
        if field == "iv":
            column = percent_cells(column)
        return _numbers(column, label(field), where)

    def per_value(field, parse, dtype, fill, prefix=None):
        if field not in cols:
            return None, absent
        column = grid.column(cols[field])
        return _per_value(column, label(field), where, parse, dtype, fill, prefix)

    oi, oi_blank = numbers("open_interest")
    iv, iv_blank = numbers("iv")
    gamma, gamma_blank = numbers("gamma")
    dealer, dealer_blank = numbers("dealer_position")
    mult, mult_blank = numbers("multiplier")
    spot, _ = numbers("spot")
    bid, _ = numbers("bid")
    ask, _ = numbers("ask")
    if side.is_call is None:
        is_call, type_blank = per_value("type", _parse_type, bool, False)
    else:
        is_call, type_blank = np.full(n, side.is_call), absent
    am_root, _ = per_value("root", _root_is_am, bool, False, _ROOT_PREFIX)
    am_said, said_blank = per_value("settlement", _settlement_is_am, bool, False)
    asof, asof_blank = per_value("asof", _parse_when, object, None)
    # a row is blank when every field that defines a contract is (descriptive columns such as
    # Root or Multiplier filled down past the data do not make a contract)
    blank = shared_blank & type_blank & oi_blank & iv_blank & gamma_blank & dealer_blank
    keep = ~blank

    hole = keep & type_blank & (side.is_call is None)
    if hole.any():
        raise where.fail("blank", int(np.argmax(hole)), label("type"), what="option type")
    if oi is not None:
        bad = keep & (oi < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise where.fail("negative", i, label("open_interest"), what="open interest",
                             value=float(oi[i]))  # fmt: skip
    if mult is not None:
        bad = keep & (mult <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise where.fail("not_positive", i, label("multiplier"), what="multiplier",
                             value=float(mult[i]))  # fmt: skip
    default_mult = CONTRACT_MULTIPLIER if mult_arg is None else mult_arg
    mult = np.full(n, default_mult) if mult is None else np.where(mult_blank, default_mult, mult)

    am = np.zeros(n, dtype=bool) if am_root is None else am_root
    if am_said is not None:
        am = np.where(said_blank, am, am_said)
    if dealer is not None and (keep & dealer_blank).any():
        diag.note(f"{int((keep & dealer_blank).sum())} blank Dealer Position cells taken as 0")
    if side.is_call is None:
        found["spot"] = _column_spot(spot, keep, label("spot"), where)
        found["asof"] = _column_asof(asof, keep & ~asof_blank, label("asof"))
    return {
        "is_call": is_call,
        "open_interest": np.where(oi_blank, 0.0, oi),
        "iv": np.full(n, np.nan) if iv is None else iv,
        "chain_gamma": np.full(n, np.nan) if gamma is None else gamma,
        "dealer_position": None if dealer is None else np.where(dealer_blank, 0.0, dealer),
        "multiplier": mult,
        "am_settled": am,
        "bid": np.full(n, np.nan) if bid is None else bid,
        "ask": np.full(n, np.nan) if ask is None else ask,
        "blank": blank,
    }


def _column_spot(spot, keep, label, where):
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


def _column_asof(asof, filled, label):
    """(as-of, note, source) from a ``Quote Time`` column: the latest time in it."""
    if asof is None or not filled.any():
        return None
    stamps = pd.unique(asof[filled])
    value = max(stamps)
    text = f"as-of {value:%Y-%m-%d %H:%M %Z} from column '{label}'"
    if len(stamps) > 1:
        text += f" (the latest of {len(stamps)} distinct times)"
    return value, text, "column"


def _note_settlement(am: np.ndarray, cols: dict, diag: Diagnostics) -> None:
    if "root" not in cols and "settlement" not in cols:
        diag.note("no Root or Settlement column: all contracts taken as PM-settled")
        return
    diag.note(
        f"{int(am.sum())} of {am.size} contracts AM-settled ({AM_SETTLEMENT:%H:%M} NY), "
        f"the rest PM ({PM_SETTLEMENT:%H:%M} NY)"
    )


# -- spot, asof and IV unit --------------------------------------------------------------------
_LAST = re.compile(
    r"\blast(?: trade| sale| price)?:?\s*\$?\s*(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)", re.I
)
"""The spot in a title line: CBOE's ``Last: 4500.53``, Fidelity's ``Last Trade $185.27``."""


_STAMP = re.compile(
    r"\d{1,2}/\d{1,2}/\d{2,4}[ ,]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]\.?M\.?)?(?:\s*E[SD]?T)?", re.I
)


def _labelled_spot(preamble, number, cells):
    """thinkorswim's underlying block: a ``LAST`` heading, its value on the next line."""
    if not any(isinstance(c, str) and c.strip().upper() == "LAST" for c in cells):
        return None
    j = next(k for k, c in enumerate(cells) if isinstance(c, str) and c.strip().upper() == "LAST")
    below = [(n, row) for n, row in preamble if n > number]
    if below and len(below[0][1]) > j:
        return _file_spot(below[0][1][j], below[0][0])
    return None


def _preamble(grid: _Grid, cboe: bool):
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


def _resolve(argument, found, what: str, diag: Diagnostics):
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


def _iv_in_decimals(iv: np.ndarray, unit: str, diag: Diagnostics, column) -> np.ndarray:
    positive = iv[np.isfinite(iv) & (iv > 0)]
    if positive.size == 0:
        diag.iv_unit = "decimal" if unit == "auto" else unit
        return iv
    median = float(np.median(positive))
    if unit == "auto":
        unit = "percent" if median > _IV_PERCENT_MEDIAN else "decimal"
        diag.note(f"IV unit inferred: {unit} (median of positive IVs {median:.3g})")
    elif unit == "decimal" and median > _IV_PERCENT_MEDIAN:
        raise error("iv_percent", column=column, median=median)
    elif unit == "percent" and median < _IV_DECIMAL_MEDIAN:
        raise error("iv_decimal", column=column, median=median)
    diag.iv_unit = unit
    return iv / 100.0 if unit == "percent" else iv
