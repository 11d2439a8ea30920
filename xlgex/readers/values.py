"""Cell values: blanks, Excel errors, numbers, labels and arguments, converted column-wise."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from ..errors import EXCEL_ERROR_CODES, EXCEL_ERROR_TEXTS, error

EXCEL_ERRORS = EXCEL_ERROR_CODES
_ERROR_TEXTS = EXCEL_ERROR_TEXTS
_ERROR_CODES = np.array(sorted(EXCEL_ERRORS), dtype=float)
AM_SETTLED_ROOTS = frozenset({"SPX", "NDX", "RUT", "DJX"})
"""Option roots settled at the 09:30 New York open (the monthlies); all others settle PM."""


def _key(name) -> str:
    """Comparable column name: ``"Open Int."`` -> ``"openint"``; pandas' ``"IV.1"`` -> ``"iv"``."""
    text = re.sub(r"\.\d+$", "", str(name).strip().lower())
    return re.sub(r"[^0-9a-z]", "", text)


class _Where:
    """Turns an index into the body into an error located at the user's row and column."""

    def __init__(self, rows: np.ndarray, strike: np.ndarray | None = None):
        self.rows, self.strike = rows, strike

    def fail(self, key: str, i: int, column: str | None, **fields):
        strike = None
        if self.strike is not None and np.isfinite(self.strike[i]):
            strike = float(self.strike[i])
        return error(key, row=int(self.rows[i]), column=column, strike=strike, **fields)


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


def one_line(exc: BaseException, limit: int = 120) -> str:
    """A library's error message on one short line (for "cannot read this file" messages)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(v) -> str:
    """A cell's value in a message: 5.0 and 5 alike show as "5" (Office.js passes whole numbers
    as int, Windows as float), other numbers in full, -0.0 as 0, text on one line."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    text = repr(v + 0.0) if isinstance(v, float) else " ".join(str(v).split())
    return text if len(text) <= 24 else text[:21] + "..."


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")  # 4,500.53 and 1,500
_AMBIGUOUS = re.compile(r"[+-]?[\d.]*\d,\d[\d.,]*")  # 1,5  4.500,53  0,18 (a comma left)


def _numbers(col, label, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN where blank) and the blank mask; text, booleans or Excel errors raise.

    Text numbers are plain (``4500.53``) or with comma thousands (``4,500.53``); a comma
    that could be a decimal comma (``1,5``, ``4.500,53``) is refused with the value shown.
    A file whose numbers use decimal commas is converted as a whole before it gets here.
    """
    if col.dtype.kind == "b":
        raise where.fail("boolean", 0, label, value=_show(bool(col[0])).upper())
    objects = None
    try:  # floats, None and numeric text convert directly
        values = col.astype(float)
    except (TypeError, ValueError):
        objects = col
        values = pd.to_numeric(pd.Series(col, dtype=object), errors="coerce")
        values = values.to_numpy(dtype=float, na_value=np.nan, copy=True)
    if col.dtype == object:
        _refuse_booleans(col, np.flatnonzero((values == 0.0) | (values == 1.0)), label, where)
    blank = np.isnan(values)
    bad = np.isinf(values)
    low = values < _ERROR_CODES.max() + 1  # COM error codes are around -2.1e9
    if low.any():
        bad |= low & np.isin(values, _ERROR_CODES)
    if objects is not None and blank.any():
        idx = np.flatnonzero(blank)
        text = np.array([not _is_blank(v) for v in objects[idx]], dtype=bool)
        idx = idx[text]
        blank[idx] = False
        comma = np.array([_comma_thousands(v) for v in objects[idx]], dtype=float)
        values[idx] = comma
        bad[idx[np.isnan(comma)]] = True
    if bad.any():
        i = int(np.argmax(bad))
        cell = col[i]
        err = _excel_error(cell)
        if err:
            raise where.fail("excel_error", i, label, value=err)
        if isinstance(cell, str) and _AMBIGUOUS.fullmatch(cell.strip()):
            raise where.fail("ambiguous_number", i, label, value=_show(cell))
        raise where.fail("not_number", i, label, value=_show(cell))
    return values, blank


def _refuse_booleans(col, candidates: np.ndarray, label, where: _Where) -> None:
    """TRUE/FALSE cells convert to 1/0: look at the cells that did."""
    if not {bool, np.bool_} & set(map(type, col[candidates])):
        return
    for i in candidates:
        if isinstance(col[i], (bool, np.bool_)):
            raise where.fail("boolean", int(i), label, value=str(bool(col[i])).upper())


_PERCENT = re.compile(r"\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?)\s*%\s*")  # "25.43%"


def distinct(col: np.ndarray):
    """The distinct cells of a column (all of them if some cell cannot be hashed)."""
    try:
        return set(col.tolist())
    except TypeError:
        return col.tolist()


def _has_percent(col: np.ndarray) -> bool:
    try:  # a column of text, joined at C speed
        return "%" in "".join(col.tolist())
    except TypeError:
        return any(isinstance(v, str) and "%" in v for v in distinct(col))


def percent_cells(col: np.ndarray) -> np.ndarray:
    """IV cells written with a percent sign (``"25.43%"``, thinkorswim) as decimals (0.2543);
    other cells unchanged."""
    if col.dtype != object or not _has_percent(col):
        return col
    marked = [i for i, v in enumerate(col) if isinstance(v, str) and v.rstrip().endswith("%")]
    col = col.copy()
    for i in marked:
        if (m := _PERCENT.fullmatch(col[i])) and m[1] not in ("", "+", "-"):
            col[i] = float(m[1].replace(",", "")) / 100.0
    return col


def _comma_thousands(v) -> float:
    """``"4,500.53"`` -> 4500.53; NaN for anything else."""
    if isinstance(v, str) and _THOUSANDS.fullmatch(v.strip()):
        return float(v.strip().replace(",", ""))
    return np.nan


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
    err = _excel_error(value)
    shown = err or _show(value)
    try:
        if err or isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise error("bad_argument", what=what, value=shown, expected="a number") from None
    if not math.isfinite(number) or number <= 0:
        raise error("not_positive", what=what, value=number)
    return number
