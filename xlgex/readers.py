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

import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from operator import itemgetter

import numpy as np
import pandas as pd

from .chain import Chain, Diagnostics, to_new_york
from .conventions import AM_SETTLEMENT, CONTRACT_MULTIPLIER, NEW_YORK, PM_SETTLEMENT
from .errors import EXCEL_ERROR_CODES, EXCEL_ERROR_TEXTS, XlgexError, error

__all__ = ["read_chain", "parse_date", "FIELDS", "AM_SETTLED_ROOTS", "EXCEL_ERRORS"]

FIELDS = {
    "strike": ("Strike", "Strike Price"),
    "expiry": ("Expiration", "Expiry", "Expiration Date", "Exp", "Expiry Date", "Exp Date"),
    "type": ("Type", "Option Type", "Call/Put", "C/P", "Right", "Put/Call", "Call", "Put",
             "C", "P"),
    "open_interest": ("Open Interest", "OI", "Open Int"),
    "iv": ("IV", "Implied Volatility", "Implied Vol", "Impl Vol"),
    "gamma": ("Gamma",),
    "dealer_position": ("Dealer Position", "Dealer Contracts", "Dealer Pos"),
    "multiplier": ("Multiplier", "Contract Size", "Contract Multiplier"),
    "root": ("Root", "Option Symbol", "Symbol", "Underlying Symbol"),
    "settlement": ("Settlement", "Settle", "AM/PM"),
    "spot": ("Underlying Price", "Spot", "Spot Price", "Underlying Last"),
    "asof": ("Quote Time", "Quote Datetime", "As Of", "Timestamp"),
}  # fmt: skip
"""Field -> accepted column names, preferred first (``Root`` wins over ``Underlying Symbol``).
Names are compared lower-cased with everything but letters and digits removed, so
``open_interest``, ``Open-Interest`` and ``OPEN INTEREST`` are one name."""

AM_SETTLED_ROOTS = frozenset({"SPX", "NDX", "RUT", "DJX"})
"""Option roots settled at the 09:30 New York open (the monthlies); all others settle PM."""

EXCEL_ERRORS = EXCEL_ERROR_CODES
_ERROR_TEXTS = EXCEL_ERROR_TEXTS
_ERROR_CODES = np.array(sorted(EXCEL_ERRORS), dtype=float)

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # 1900 date system: serial 45000 = 2023-03-15
_SERIAL_RANGE = (25569.0, 109574.0)  # 1970-01-01 .. 2199-12-31: plausible chain dates
_IV_PERCENT_MEDIAN = 2.0  # a median IV above 200% only makes sense in percent
_IV_DECIMAL_MEDIAN = 1.0  # a median IV below 1% only makes sense in decimals
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
_EASTERN = {
    "est": dt.timezone(dt.timedelta(hours=-5)),
    "edt": dt.timezone(dt.timedelta(hours=-4)),
    "et": NEW_YORK,
}


def _key(name) -> str:
    """Comparable column name: ``"Open Int."`` -> ``"openint"``; pandas' ``"IV.1"`` -> ``"iv"``."""
    text = re.sub(r"\.\d+$", "", str(name).strip().lower())
    return re.sub(r"[^0-9a-z]", "", text)


_ALIASES = {field: tuple(_key(a) for a in names) for field, names in FIELDS.items()}


# -- public entry point ------------------------------------------------------------------------
def read_chain(source, *, spot=None, asof=None, iv_unit="decimal", multiplier=None) -> Chain:
    """Read an option chain, validate it and return a :class:`~xlgex.chain.Chain`.

    Parameters
    ----------
    source : 2D list/tuple, ndarray, pandas.DataFrame, str, os.PathLike or Traversable
        A table with a header row as Excel passes a range (``None`` for blank cells, numbers
        as floats, dates as ``datetime`` or Excel serials), a DataFrame, or the path of a CSV
        file. Long layout (one contract per row) or the CBOE delayed-quotes layout.
    spot : float, optional
        Underlying price, spot units. Overrides the file's ``Last:`` value or an
        ``Underlying Price`` column (noted in the diagnostics). Required if neither exists.
    asof : datetime, date, str or float, optional
        Valuation instant. Naive means New York wall-clock; a float is an Excel serial.
        Overrides the file's quote time or a ``Quote Time`` column; if none exists, now.
    iv_unit : {"decimal", "percent", "auto"}
        Unit of the IV column: 0.18 (decimal) or 18 (percent). The chain is judged as a
        whole by the median of its positive IVs: a declared unit that contradicts it raises,
        ``"auto"`` infers percent when the median is above 2.
    multiplier : float, optional
        Units of underlying per contract where the source has no ``Multiplier`` value.
        Default 100.

    Returns
    -------
    Chain
        Live contracts; expired ones are in ``chain.expired``. ``chain.diagnostics`` records
        the rows read, dropped (``"blank"``, ``"expired"``; counted per contract, so a blank
        CBOE line is two) and every assumption made.

    Raises
    ------
    ChainError
        Bad input, with the row (1-based in the range as given, the line number in a CSV
        file) and the column named, e.g.
        ``xlgex: row 7 (strike 4500), column 'Open Interest': open interest -3 must be >= 0``.
    XlgexError
        No spot anywhere (``no_spot``) or an invalid argument.

    Notes
    -----
    Contracts without IV (blank or <= 0) are kept with ``iv = NaN``; blank open interest
    is 0. Settlement is AM (09:30 New York) for roots in :data:`AM_SETTLED_ROOTS` or where
    a ``Settlement`` column says ``AM``, else PM (16:00 New York); the time rule itself is
    :meth:`Chain.from_arrays`'.
    """
    unit = _choice(iv_unit, "iv_unit", ("decimal", "percent", "auto"))
    spot_arg = _positive_argument(spot, "spot")
    mult_arg = _positive_argument(multiplier, "multiplier")
    asof_arg = None if _is_blank(asof) else _when_argument(asof)

    grid = _load(source)
    diag = Diagnostics(iv_unit=unit)
    cboe = _cboe_sides(grid)
    sides = cboe if cboe is not None else _long_sides(grid)
    c, found_spot, found_asof = _read_contracts(grid, sides, mult_arg, diag)
    c["iv"] = _iv_in_decimals(c["iv"], unit, diag, grid.label(sides[0].cols.get("iv")))
    if all("iv" not in side.cols for side in sides):
        diag.note("no IV column: model gamma unavailable, only the Gamma column")
    if cboe is not None:
        found_spot, found_asof = _preamble(grid)
    spot_value = _resolve(spot_arg, found_spot, "spot", diag)
    asof_value = _resolve(asof_arg, found_asof, "asof", diag)

    chain = Chain.from_arrays(spot=spot_value, asof=asof_value, diagnostics=diag, **c)
    missing = ~chain.has_iv
    if missing.any():
        diag.note(
            f"{int(missing.sum())} of {len(chain)} live contracts have no IV (blank or <= 0), "
            f"carrying {chain.open_interest[missing].sum():g} open interest: no model gamma"
        )
    return chain


# -- sources -> grid ---------------------------------------------------------------------------
@dataclass
class _Grid:
    """A table split into header, body columns and the preamble above the header."""

    header: list  # display names ("" where the header cell is blank)
    rows: np.ndarray  # source row number of each body row
    header_row: int
    preamble: list  # [(row number, cells), ...]
    get: Callable  # j -> column j of the body as an ndarray (only the columns read are built)

    @property
    def keys(self) -> list:
        return [_key(h) for h in self.header]

    def column(self, j: int) -> np.ndarray:
        return self.get(j)

    def label(self, j, suffix: str = "") -> str | None:
        return None if j is None else self.header[j] + suffix


def _load(source) -> _Grid:
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read_bytes"):
        rows, numbers = _read_csv(source)
        return _grid_from_rows(rows, numbers)
    if isinstance(source, pd.DataFrame):
        return _grid_from_frame(source)
    if isinstance(source, np.ndarray):
        source = source.tolist() if source.ndim == 2 else [source.tolist()]
    if not isinstance(source, (list, tuple)):
        raise error("bad_argument", what="source", value=type(source).__name__,
                    expected="a range, DataFrame or CSV path")  # fmt: skip
    if source and not any(isinstance(r, (list, tuple)) for r in source):
        source = [source]  # a single row (xlwings passes 1-row ranges as a flat list)
    return _grid_from_rows(source, None)


def _read_csv(path) -> tuple[list, list]:
    """Rows of a CSV file (lists of str) and the file line number where each starts."""
    try:
        if hasattr(path, "read_bytes"):  # pathlib.Path or an importlib.resources Traversable
            raw = path.read_bytes()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except OSError as exc:
        raise error("no_file", path=str(path), reason=exc.strerror or "error") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) == len(text.splitlines()):  # one line per row: row i is line i + 1
        return rows, list(range(1, len(rows) + 1))
    reader = csv.reader(io.StringIO(text, newline=""))  # quoted line breaks: count lines
    rows, numbers, line = [], [], 0
    for row in reader:
        rows.append(row)
        numbers.append(line + 1)
        line = reader.line_num
    return rows, numbers


def _grid_from_rows(rows, numbers) -> _Grid:
    strike_keys = set(_ALIASES["strike"])
    head = None
    for i, row in enumerate(rows):
        if isinstance(row, (list, tuple)) and any(
            isinstance(c, str) and _key(c) in strike_keys for c in row
        ):
            head = i
            break
    number = (lambda i: numbers[i]) if numbers is not None else (lambda i: i + 1)
    if head is None:
        filled = [i for i, r in enumerate(rows) if not all(_is_blank(c) for c in r or ())]
        if not filled:
            raise error("empty", row=None)
        raise error("missing_column", row=number(filled[0]), column=None, **_missing("strike"))
    header = ["" if not isinstance(c, str) else c.strip() for c in rows[head]]
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


def _grid_from_frame(frame: pd.DataFrame) -> _Grid:
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a named index (e.g. "Strike") is data
    header = []
    for name in (str(c).strip() for c in frame.columns):  # "IV.1" (pandas' duplicate) -> "IV"
        base = re.sub(r"\.\d+$", "", name)
        header.append(base if base in header else name)
    strike_keys = set(_ALIASES["strike"])
    if not any(_key(h) in strike_keys for h in header):  # header inside the data (header=None)
        values = frame.astype(object).to_numpy().tolist()
        return _grid_from_rows(values, None)

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


def _require(grid: _Grid, cols: dict, fields, gamma_or_iv: bool = True) -> None:
    for field in fields:
        if field not in cols:
            raise error("missing_column", row=grid.header_row, **_missing(field))
    if gamma_or_iv and "iv" not in cols and "gamma" not in cols:  # Gamma alone will do
        raise error("missing_column", row=grid.header_row, **_missing("iv"))


def _long_sides(grid: _Grid) -> list:
    cols = _locate(grid.keys, FIELDS)
    _require(grid, cols, ("strike", "expiry", "type", "open_interest"))
    return [_Side(cols, None)]


def _cboe_sides(grid: _Grid) -> list | None:
    keys = grid.keys
    if "calls" not in keys or "puts" not in keys:
        return None
    calls, puts = keys.index("calls"), keys.index("puts")
    shared = _locate(keys, ("strike", "expiry"))
    _require(grid, shared, ("strike", "expiry"), gamma_or_iv=False)
    marks = sorted({calls, puts, shared["strike"], len(keys)})
    sides = []
    for start, is_call, suffix in ((calls, True, " (calls)"), (puts, False, " (puts)")):
        stop = marks[marks.index(start) + 1]
        cols = _locate(keys, ("open_interest", "iv", "gamma"), start + 1, stop)
        _require(grid, cols, ("open_interest",))
        sides.append(_Side({**shared, **cols, "root": start}, is_call, suffix))
    return sides


# -- contracts ---------------------------------------------------------------------------------
class _Where:
    """Turns an index into the body into an error located at the user's row and column."""

    def __init__(self, rows: np.ndarray, strike: np.ndarray | None = None):
        self.rows, self.strike = rows, strike

    def fail(self, key: str, i: int, column: str | None, **fields):
        strike = None
        if self.strike is not None and np.isfinite(self.strike[i]):
            strike = float(self.strike[i])
        return error(key, row=int(self.rows[i]), column=column, strike=strike, **fields)


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
    shared_blank = strike_blank & expiry_blank
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
        return _numbers(grid.column(cols[field]), label(field), where)

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
def _preamble(grid: _Grid):
    """Spot and quote time from the lines above a CBOE header, each as (value, note, source)."""
    spot = asof = None
    for number, cells in grid.preamble:
        for cell in cells:
            if not isinstance(cell, str):
                continue
            text = cell.strip()
            if spot is None and text.lower().startswith("last:"):
                spot = _file_spot(text[5:], number)
            elif asof is None and _TIME_TAIL.fullmatch(text):
                try:
                    when = _when_from_text(text)
                except ValueError:  # a clock such as 25:00
                    when = None
                if when is not None:
                    asof = (to_new_york(when), f"as-of from the file (row {number}): {text}",
                            "file")  # fmt: skip
    if spot is None:  # older format: "SPY (SPDR S&P 500 ETF Trust),310.68,1.98"
        for number, cells in grid.preamble:
            if any(not _is_blank(c) for c in cells):
                if len(cells) > 1 and isinstance(cells[0], str):
                    spot = _file_spot(cells[1], number)
                break
    return spot, asof


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


# -- column parsers ----------------------------------------------------------------------------
class _CellError(Exception):
    """A cell value a per-value parser rejects: message key and fields."""

    def __init__(self, key: str, **fields):
        super().__init__(key)
        self.key, self.fields = key, fields


def _is_blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float):
        return v != v
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _excel_error(v) -> str | None:
    if isinstance(v, str):
        text = v.strip().upper().rstrip(".")
        return text if text in _ERROR_TEXTS else None
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return EXCEL_ERRORS.get(v)
    return None


def _show(v) -> str:
    text = f"{v:g}" if isinstance(v, float) else str(v).strip()
    return text if len(text) <= 24 else text[:21] + "..."


def _numbers(col, label, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where blank) and the blank mask; text or Excel errors raise."""
    objects = None
    try:  # floats, None and numeric text convert directly
        values = col.astype(float)
    except (TypeError, ValueError):
        objects = col
        values = pd.to_numeric(pd.Series(col, dtype=object), errors="coerce")
        values = values.to_numpy(dtype=float, na_value=np.nan)
    blank = np.isnan(values)
    bad = np.isinf(values)
    low = values < _ERROR_CODES.max() + 1  # COM error codes are around -2.1e9
    if low.any():
        bad |= low & np.isin(values, _ERROR_CODES)
    if objects is not None and blank.any():
        idx = np.flatnonzero(blank)
        text = np.array([not _is_blank(v) for v in objects[idx]], dtype=bool)
        blank[idx[text]] = False
        bad[idx[text]] = True
    if bad.any():
        i = int(np.argmax(bad))
        cell = col[i]
        err = _excel_error(cell)
        if err:
            raise where.fail("excel_error", i, label, value=err)
        raise where.fail("not_number", i, label, value=_show(cell))
    return values, blank


def _per_value(col, label, where: _Where, parse, dtype, fill, prefix=None):
    """Apply ``parse`` once per distinct cell value; returns (values, blank mask).

    With ``prefix``, text cells are first cut to their first ``prefix`` characters (enough
    for ``parse``), so a column of distinct symbols collapses to a few distinct roots. Text
    starting with "#" or a space is kept whole (Excel errors are recognised in full).
    """
    codes, uniques = pd.factorize(col.astype(object, copy=False))
    if prefix is not None and len(uniques) > 64:
        cut = [v[:prefix] if isinstance(v, str) and v[:1] not in "# " else v for v in uniques]
        recode, uniques = pd.factorize(np.fromiter(cut, dtype=object, count=len(cut)))
        codes = np.where(codes < 0, -1, recode[codes])
    out = np.empty(len(uniques) + 1, dtype=dtype)  # the extra slot serves code -1 (blank)
    blank = np.zeros(len(uniques) + 1, dtype=bool)
    out[-1], blank[-1] = fill, True
    for k, v in enumerate(uniques):
        err = _excel_error(v)
        try:
            if err:
                raise _CellError("excel_error", value=err)
            if _is_blank(v):
                out[k], blank[k] = fill, True
            else:
                out[k] = parse(v)
        except _CellError as bad:
            raise where.fail(bad.key, int(np.argmax(codes == k)), label, **bad.fields) from None
    return out[codes], blank[codes]


def _dates(col, label, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(col, np.ndarray) and col.dtype.kind == "M":
        days = col.astype("datetime64[D]")
        return days, np.isnat(days)
    return _per_value(col, label, where, _parse_date, "datetime64[D]", np.datetime64("NaT", "D"))


def _parse_type(v) -> bool:
    key = _key(v) if isinstance(v, str) else ""
    if key in ("c", "call", "calls"):
        return True
    if key in ("p", "put", "puts"):
        return False
    raise _CellError("unknown_type", value=_show(v))


_ROOT_PREFIX = 10  # characters of a symbol that hold its root (SPXW220207C02400000 -> SPXW220207)


def _root_is_am(v) -> bool:
    """Whether the root (leading letters of a root or OCC symbol, ``SPXW220207C02400000`` ->
    ``SPXW``) is AM-settled."""
    match = re.match(r"[^A-Za-z]*([A-Za-z]+)", str(v))
    return bool(match) and match.group(1).upper() in AM_SETTLED_ROOTS


def _settlement_is_am(v) -> bool:
    key = _key(v)
    if key in ("am", "a"):
        return True
    if key in ("pm", "p"):
        return False
    raise _CellError("unknown_choice", what="settlement", value=_show(v), choices="AM, PM")


# -- dates and times ---------------------------------------------------------------------------
_TIME_TAIL = re.compile(
    r"(?P<date>.+?)\s*(?:,|\bat\b|@|\s)\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>e[sd]?t)?",
    re.I,
)  # a date, then a time: "June 11, 2022, 8:47 PM EDT", "Jun 22 2020 @ 20:42 ET"
_MONTH_DAY_YEAR = re.compile(
    r"(?:[a-z]{3,9}\.?,?\s+)?([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})", re.I
)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-\s]([a-z]{3,9})\.?[-\s,]+(\d{4}|\d{2})", re.I)
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")


def _month(name: str) -> int:
    name = name.lower()
    for i, month in enumerate(_MONTHS):
        if month.startswith(name):
            return i + 1
    raise ValueError(name)


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _date_from_text(text: str) -> dt.date | None:
    text = text.strip()
    try:
        if m := _MONTH_DAY_YEAR.fullmatch(text):
            return dt.date(int(m[3]), _month(m[1]), int(m[2]))
        if m := _DAY_MONTH_YEAR.fullmatch(text):
            return dt.date(_year(m[3]), _month(m[2]), int(m[1]))
        if m := _YEAR_FIRST.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.fullmatch(text):
            return dt.date(_year(m[3]), int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.datetime.fromisoformat(text).date()  # "2022-02-07 00:00:00" and the like
    except ValueError:
        return None


def _serial(value: float, with_time: bool):
    """Excel serial (1900 system) -> datetime rounded to the second; YYYYMMDD ints as dates."""
    lo, hi = _SERIAL_RANGE
    if lo <= value <= hi:
        seconds = round(value * 86400.0) if with_time else math.floor(value + 1e-9) * 86400
        return _EXCEL_EPOCH + dt.timedelta(seconds=seconds)
    if 19000101 <= value <= 29991231 and float(value).is_integer():
        text = str(int(value))
        return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:]))
    raise ValueError(value)


def parse_date(value, name: str = "date") -> dt.date:
    """A calendar date from a cell: datetime, date, Excel serial number or text."""
    try:
        return _parse_date(value)
    except _CellError:
        raise XlgexError(f"xlgex: {name}: '{_show(value)}' is not a date") from None


def _parse_date(v) -> dt.date:
    try:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, np.datetime64):
            return v.astype("datetime64[D]").item()
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return _serial(float(v), with_time=False).date()
        if isinstance(v, str):
            date = _date_from_text(v)
            if date is None:
                date = _serial(float(v), with_time=False).date()
            return date
    except (ValueError, OverflowError):
        pass
    raise _CellError("bad_date", value=_show(v))


def _when_from_text(text: str) -> dt.datetime | None:
    """A datetime from text: ISO 8601, or a date followed by a time (12 or 24 hour) and an
    optional Eastern zone (EST/EDT are fixed offsets, ET is New York). None if not a time."""
    text = re.sub(r"^\s*date:\s*", "", text, flags=re.I).strip()
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    if m := _TIME_TAIL.fullmatch(text):
        date = _date_from_text(m["date"])
        if date is None:
            return None
        hour = int(m["h"])
        if m["ampm"]:
            hour = hour % 12 + (12 if m["ampm"][0].lower() == "p" else 0)
        when = dt.datetime.combine(date, dt.time(hour, int(m["m"]), int(m["s"] or 0)))
        zone = _EASTERN.get((m["tz"] or "").lower())
        return when if zone is None else to_new_york(when.replace(tzinfo=zone))
    date = _date_from_text(text)
    return None if date is None else dt.datetime.combine(date, dt.time(0, 0))


def _parse_when(v) -> dt.datetime:
    """An instant from a cell or argument: datetime, date, Excel serial or text."""
    try:
        if type(v).__module__ == "pywintypes":
            # pywin32 tags an Excel date cell UTC, but its fields are Excel's wall clock
            v = dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        if isinstance(v, (dt.date, np.datetime64)):
            return to_new_york(v)
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return to_new_york(_serial(float(v), with_time=True))
        if isinstance(v, str):
            when = _when_from_text(v)
            if when is None:
                when = _serial(float(v), with_time=True)
            return to_new_york(when)
    except (ValueError, OverflowError):
        pass
    raise _CellError("bad_date", value=_show(v))


# -- arguments ---------------------------------------------------------------------------------
def _choice(value, what: str, choices) -> str:
    if _is_blank(value):
        return choices[0]
    key = str(value).strip().lower()
    if key not in choices:
        raise error("unknown_choice", what=what, value=_show(value), choices=", ".join(choices))
    return key


def _positive_argument(value, what: str) -> float | None:
    if _is_blank(value):
        return None
    shown = _excel_error(value) or _show(value)
    try:
        if _excel_error(value) or isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise error("bad_argument", what=what, value=shown, expected="a number") from None
    if not math.isfinite(number) or number <= 0:
        raise error("not_positive", what=what, value=number)
    return number


def _when_argument(value) -> dt.datetime:
    shown = _excel_error(value) or _show(value)
    try:
        if _excel_error(value):
            raise _CellError("bad_date")
        return _parse_when(value)
    except _CellError:
        raise error("bad_argument", what="asof", value=shown, expected="a date or time") from None
