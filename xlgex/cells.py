"""Excel values in and out, without xlwings: coercion, the chain cache, result shaping.

Everything a cell can hold is coerced here, the same way on every Excel:

* Windows (classic xlwings, pywin32): ``None`` blanks, floats, booleans, dates, Excel errors
  as text (``"#N/A"``, with ``err_to_str``) or as raw COM error codes;
* Office.js (xlwings Lite on Mac, Windows and the web, under Pyodide): ``""`` and Pyodide's
  ``JsNull`` blanks (recognised by type name, pyodide is never imported), error cells as
  dicts such as ``{"type": "Error", "basicType": "NotAvailable", ...}``, dates as Excel
  serial numbers, whole numbers as ``int``.

Rules a user can rely on (they are the README's):

* **Numbers are numbers.** ``TRUE``/``FALSE`` are not numbers. Text numbers may be plain
  (``4500.53``) or use comma thousands (``4,500.53``); ambiguous separators (``4.500,53``,
  ``1,5``) are refused with the value shown. A vol above :data:`MAX_VOL` is refused as
  "looks like percent".
* **One cell means one cell**: a range where one value is expected is refused with its shape.
* **No NaN or inf in any cell**: a non-finite number in a result (an overflow) becomes a
  one-line ``xlgex:`` message.
* **A blank as-of means now at every call**: a chain cached with ``as-of = now`` is re-timed
  to the current instant whenever it is used.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import sys
import threading
from collections import OrderedDict

import numpy as np

from .conventions import NEW_YORK
from .errors import EXCEL_ERROR_CODES, EXCEL_ERROR_TEXTS, XlgexError

__all__ = [
    "excel_errors",
    "one_line",
    "number",
    "count",
    "vol",
    "rate",
    "text",
    "flag",
    "date_or_none",
    "levels",
    "cells_of",
    "officejs_value",
    "cached_chain",
    "finite",
    "table",
    "pairs",
    "MAX_MESSAGE",
    "MAX_VOL",
    "MAX_RATE",
    "OFFICEJS_PAYLOAD_BYTES",
    "CHAIN_CACHE_SIZE",
    "CHAIN_CACHE_CELLS",
]

MAX_MESSAGE = 160
"""Cell messages are cut to this many characters (one line that still carries its counts)."""
MAX_VOL = 5.0
"""A vol argument above this (500% a year, decimal) is taken for a percent and refused."""
MAX_RATE = 1.0
"""A rate or dividend yield above this (100% a year, decimal) is taken for a percent."""
OFFICEJS_PAYLOAD_BYTES = 5_000_000
"""Office.js custom functions carry at most about 5 MB of JSON per call (Microsoft's limit)."""
CHAIN_CACHE_SIZE = 8
"""The chain cache keeps at most this many parsed ranges..."""
CHAIN_CACHE_CELLS = 4_000_000
"""... holding at most this many cells in all (a 30,000-row CBOE download is ~650,000)."""
OVERFLOW = "xlgex: overflow: the result is not a finite number; check the magnitudes of {what}"


def excel_errors(func):
    """Turn an expected user error into a one-line cell message instead of a traceback.

    Only :class:`~xlgex.errors.XlgexError` is caught: a bug still raises. The function runs
    with numpy's floating-point overflow raised, so an overflow anywhere in a computation is
    answered with a message, as is a result holding NaN or inf (see :func:`finite`).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with np.errstate(over="raise"):  # an overflow anywhere is a message, never a number
                return _finite_result(func(*args, **kwargs))
        except FloatingPointError:
            return OVERFLOW.format(what="the inputs")
        except XlgexError as err:
            message = str(err)
            return one_line(message if message.startswith("xlgex:") else "xlgex: " + message)

    return wrapper


def one_line(message: str) -> str:
    """``message`` on one line, cut to :data:`MAX_MESSAGE` characters (ending "...")."""
    message = " ".join(str(message).split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def _finite_result(result):
    """``result`` unchanged if every number in it is finite; else an overflow error."""
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        for value in row if isinstance(row, list) else [row]:
            if isinstance(value, float) and not math.isfinite(value):
                raise XlgexError(OVERFLOW.format(what="the inputs"))
    return result


def finite(value, what: str) -> float:
    """``value`` as a float if finite, else the overflow message naming ``what``."""
    value = float(value)
    if not math.isfinite(value):
        raise XlgexError(OVERFLOW.format(what=what))
    return value


# -- Office.js and COM cell values ---------------------------------------------------------

_OFFICEJS_ERRORS = {
    "div0": "#DIV/0!", "notavailable": "#N/A", "name": "#NAME?", "null": "#NULL!",
    "num": "#NUM!", "ref": "#REF!", "value": "#VALUE!", "spill": "#SPILL!", "calc": "#CALC!",
    "connect": "#CONNECT!", "blocked": "#BLOCKED!", "busy": "#BUSY!", "field": "#FIELD!",
    "gettingdata": "#GETTING_DATA", "unknown": "#UNKNOWN!", "python": "#PYTHON!",
}  # fmt: skip
"""Office.js ``errorType``/``basicType`` names -> the error as Excel shows it."""
_PLAIN = (float, int, str, bool, type(None), dt.datetime, dt.date)


def _is_jsnull(value) -> bool:
    """Pyodide's JS ``null``/``undefined`` proxies (``JsNull``), without importing pyodide."""
    kind = type(value)
    if kind.__name__ == "JsNull":
        return True
    return kind.__name__.startswith("Js") and getattr(value, "js_type", None) in ("null", "undefined")


def officejs_value(value):
    """One Office.js cell as the Windows path delivers it: blank None, errors as text.

    ``JsNull`` becomes None, an error dict its Excel text (``"#N/A"``), a formatted
    number or other entity its ``basicValue``. Everything else is returned unchanged.
    """
    if type(value) in _PLAIN:
        return value
    if _is_jsnull(value):
        return None
    if isinstance(value, dict):
        if value.get("type") == "Error":
            shown = value.get("basicValue")
            if isinstance(shown, str) and shown.strip().upper() in EXCEL_ERROR_TEXTS:
                return shown.strip().upper()
            for key in ("errorType", "basicType"):
                name = str(value.get(key, "")).replace("_", "").lower()
                if name in _OFFICEJS_ERRORS:
                    return _OFFICEJS_ERRORS[name]
            return "#VALUE!"
        if "basicValue" in value:
            return officejs_value(value["basicValue"])
    return value


def _officejs_rows(values):
    """A range with every Office.js cell converted (rows of plain cells are kept as they are)."""
    out = []
    for row in values:
        if isinstance(row, (list, tuple)):
            if not all(type(c) in _PLAIN for c in row):
                row = [officejs_value(c) for c in row]
        else:
            row = officejs_value(row)
        out.append(row)
    return out


def _shape(value) -> tuple[int, int]:
    if value and isinstance(value[0], (list, tuple)):
        return len(value), len(value[0])
    return 1, len(value)


def _scalar(value, name: str):
    """One cell's value: a 1x1 range arrives as [[x]] or [x]; a bigger range is refused."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return None
        rows, cols = _shape(value)
        raise XlgexError(f"xlgex: argument {name}: a {rows}x{cols} range, expected one cell")
    value = officejs_value(value)
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERROR_TEXTS:
        raise XlgexError(f"xlgex: argument {name} holds Excel error {value.strip().upper()}")
    if isinstance(value, int) and not isinstance(value, bool) and value in EXCEL_ERROR_CODES:
        raise XlgexError(f"xlgex: argument {name} holds Excel error {EXCEL_ERROR_CODES[value]}")
    return value


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value) -> str:
    """A cell as text: 5.0 and 5 alike are "5" (Office.js passes whole numbers as int,
    Windows as float), text trimmed."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()


def _show(value) -> str:
    """A cell's value in a message, cut to 24 characters."""
    shown = _as_text(value)
    return shown if len(shown) <= 24 else shown[:21] + "..."


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def _text_number(value: str, name: str) -> float:
    """Text as a number: plain ``4500.53`` or comma thousands ``4,500.53``, nothing guessed."""
    shown = value.strip()
    if _PLAIN_NUMBER.fullmatch(shown):
        return float(shown)
    if _THOUSANDS.fullmatch(shown):
        return float(shown.replace(",", ""))
    if re.fullmatch(r"[+-]?[\d.,]+", shown):
        raise XlgexError(f"xlgex: argument {name}: '{_show(value)}' has ambiguous separators: "
                         "use a decimal point, as in 4,500.53")  # fmt: skip
    raise XlgexError(f"xlgex: argument {name}: '{_show(value)}' is not a number")


def number(value, name: str, default=None, *, minimum=None, positive=False, maximum=None):
    """A finite float from a cell; blank gives ``default``.

    Booleans, non-numeric or ambiguous text, Excel errors, ranges and NaN are user errors.
    """
    value = _scalar(value, name)
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        raise XlgexError(f"xlgex: argument {name}: {str(value).upper()} is not a number")
    if isinstance(value, str):
        out = _text_number(value, name)
    else:
        try:
            out = float(value)
        except (TypeError, ValueError, OverflowError):
            raise XlgexError(f"xlgex: argument {name}: '{_show(value)}' is not a number") from None
    out += 0.0  # -0.0 is 0 (Office.js passes a negative zero as int 0)
    if not math.isfinite(out):
        raise XlgexError(f"xlgex: argument {name} must be a finite number")
    if positive and out <= 0:
        raise XlgexError(f"xlgex: argument {name} {out:g} must be > 0")
    if minimum is not None and out < minimum:
        raise XlgexError(f"xlgex: argument {name} {out:g} must be >= {minimum:g}")
    if maximum is not None and out > maximum:
        raise XlgexError(f"xlgex: argument {name} {out:g} must be <= {maximum:,g}")
    return out


def count(value, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A whole number between ``minimum`` and ``maximum`` (e.g. ``n_levels``)."""
    out = number(value, name, float(default), minimum=minimum, maximum=maximum)
    if not out.is_integer():
        raise XlgexError(f"xlgex: argument {name} {out:g} must be a whole number")
    return int(out)


def vol(value, name: str, default=None, *, limit: float = MAX_VOL, shift: bool = False):
    """A decimal vol (0.20 = 20%) or rate; above ``limit`` it looks like percent and is refused."""
    out = number(value, name, default, minimum=None if shift else 0.0)
    if out is not None and abs(out) > limit:
        raise XlgexError(f"xlgex: argument {name} {out:g} looks like percent "
                         f"({out:g} = {out:g}%?) — give {out / 100:g}")  # fmt: skip
    return out


def rate(value, name: str, default=0.0):
    """A decimal rate or yield per year (0.05 = 5%); above :data:`MAX_RATE` looks like percent."""
    return vol(value, name, default, limit=MAX_RATE, shift=True)


def text(value, name: str, default=None, choices=None):
    """Lower-case, trimmed text from a cell; blank gives ``default``."""
    value = _scalar(value, name)
    if _is_blank(value):
        return default
    out = _as_text(value)
    if choices is not None:
        key = out.lower()
        if key not in choices:
            raise XlgexError(f"xlgex: argument {name} '{_show(out)}' is not one of: {', '.join(choices)}")
        return key
    return out


def flag(value, name: str, default=False) -> bool:
    """TRUE/FALSE, 1/0 or yes/no; blank gives ``default``."""
    value = _scalar(value, name)
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = str(value).strip().lower()
    if key in ("true", "yes", "y", "1"):
        return True
    if key in ("false", "no", "n", "0"):
        return False
    raise XlgexError(f"xlgex: argument {name} '{_show(value)}' is not TRUE or FALSE")


def date_or_none(value, name: str):
    """A cell date (datetime, Excel serial number or text) passed through; blank gives None."""
    value = _scalar(value, name)
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise XlgexError(f"xlgex: argument {name}: {str(value).upper()} is not a date")
    return value


def cells_of(value) -> list:
    """The cells of a value of any shape (one cell, a row, a 2-D range), row by row."""
    if not isinstance(value, (list, tuple)):
        return [officejs_value(value)]
    flat = [c for row in value for c in (row if isinstance(row, (list, tuple)) else [row])]
    return [officejs_value(c) for c in flat]


def levels(value, name: str, *, positive=True) -> list:
    """Numbers from one row or one column (blanks skipped); a 2-D range is refused."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        rows, cols = _shape(value)
        if rows > 1 and cols > 1:
            raise XlgexError(f"xlgex: argument {name}: a {rows}x{cols} range, "
                             "expected one row or one column")  # fmt: skip
    return [number(v, name, positive=positive) for v in cells_of(value) if not _is_blank(v)]


# -- the chain cache -----------------------------------------------------------------------


def _freeze(values) -> tuple:
    """A hashable form of a 2D range (rows of cells) to key the chain cache, and its number of
    cells (a row that is not a list or tuple is one cell)."""
    kinds = set(map(type, values))  # one pass in C: a 30,000-row range in 0.3 ms
    if kinds <= {tuple, list}:
        cells = sum(map(len, values))
        if kinds == {tuple} and isinstance(values, tuple):
            return values, cells  # what pywin32 delivers: already hashable, no copy
        return tuple(map(tuple, values)), cells
    frozen = tuple(tuple(row) if isinstance(row, (list, tuple)) else row for row in values)
    return frozen, sum(len(row) if isinstance(row, tuple) else 1 for row in frozen)


class _Key:
    """A cache key that hashes its content once (a range's tuple is re-hashed on every use)."""

    __slots__ = ("content", "_hash", "cells")

    def __init__(self, content, cells: int):
        self.content = content
        self._hash = hash(content)
        self.cells = cells

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return (isinstance(other, _Key) and self._hash == other._hash
                and self.content == other.content)  # fmt: skip


_CHAINS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def _payload_check(values) -> None:
    """Refuse an Office.js range above the payload limit, saying which columns to keep."""
    rows = len(values)
    sample = values[: min(rows, 200)]
    try:
        size = len(json.dumps(sample, default=str)) * rows / max(len(sample), 1)
    except (TypeError, ValueError):
        return
    if size > OFFICEJS_PAYLOAD_BYTES:
        raise XlgexError(
            f"xlgex: chain ~{size / 1e6:.1f} MB > {OFFICEJS_PAYLOAD_BYTES / 1e6:.0f} MB Office.js "
            "limit; select only expiry, strike, type, OI and IV columns"
        )


def _remember(key: _Key, chain) -> None:
    if key.cells > CHAIN_CACHE_CELLS:
        return
    with _LOCK:
        _CHAINS[key] = chain
        _CHAINS.move_to_end(key)
        held = sum(k.cells for k in _CHAINS)
        while len(_CHAINS) > CHAIN_CACHE_SIZE or held > CHAIN_CACHE_CELLS:
            old, _ = _CHAINS.popitem(last=False)
            held -= old.cells


def _now() -> dt.datetime:
    """The current instant, New York (tests freeze this clock)."""
    return dt.datetime.now(NEW_YORK)


def cached_chain(values, **read_kwargs):
    """Parse a chain range once: the same cells and settings reuse the parsed Chain.

    The key is the range's full content plus the reader settings, so an edited cell is a
    new chain. The cache keeps the :data:`CHAIN_CACHE_SIZE` most recent chains, and at most
    :data:`CHAIN_CACHE_CELLS` cells in all; it is safe under threads. A chain whose as-of
    was "now" (blank as-of, no quote time in the range) is re-timed at every call.
    """
    from .readers import read_chain

    if values is None or _is_jsnull(values) or (isinstance(values, (list, tuple)) and not values):
        raise XlgexError("xlgex: the chain argument is empty")
    if not isinstance(values, (list, tuple)):
        values = ((officejs_value(values),),)  # a one-cell range arrives as its value
    elif not isinstance(values[0], (list, tuple)):
        values = [values] if isinstance(values, list) else (values,)  # a flat one-row range
    if isinstance(values, list):  # Office.js (or Python) lists: JsNull, error dicts, size
        values = _officejs_rows(values)
        if sys.platform == "emscripten" or len(values) > 1000:
            _payload_check(values)
    try:
        frozen, cells = _freeze(values)
        key = _Key((frozen, tuple(sorted(read_kwargs.items()))), cells)
    except TypeError:
        key = None
    with _LOCK:
        chain = _CHAINS.get(key) if key is not None else None
        if chain is not None:
            _CHAINS.move_to_end(key)
    if chain is None:
        chain = read_chain(values, **read_kwargs)
        if key is not None:
            _remember(key, chain)
    if chain.diagnostics.asof_source == "now":  # a blank as-of never comes from the cache
        chain = chain.at(_now())
    return chain


# -- results -------------------------------------------------------------------------------


def _cell(value):
    """A Python value as a cell: None and NaN become blank, numpy scalars plain Python."""
    if value is None:
        return ""
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def table(frame, header) -> list:
    """A DataFrame as a spilled range: a header row, then one row per record.

    Every number must be finite: a NaN or inf in a computed table is an overflow message.
    """
    rows = [list(record) for record in frame.itertuples(index=False, name=None)]
    for row in rows:
        for value in row:
            if isinstance(value, (float, np.floating)) and not math.isfinite(value):
                raise XlgexError(OVERFLOW.format(what="the inputs"))
    return [list(header), *[[_cell(v) for v in row] for row in rows]]


def pairs(items) -> list:
    """(label, value) pairs as a two-column spilled range; NaN (not applicable) is blank."""
    return [[label, _cell(value)] for label, value in items]
