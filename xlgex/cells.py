"""Excel values in and out, without xlwings: coercion, the chain cache, result shaping.

Off Windows the xlwings decorators convert nothing, so everything a cell can hold is
coerced here: ``None`` blanks, ``""``, numbers as floats, booleans, dates, Excel error
values (as ``"#N/A"`` strings or raw COM error codes) and 1x1 ranges.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import OrderedDict

import numpy as np

from .errors import EXCEL_ERROR_CODES, EXCEL_ERROR_TEXTS, XlgexError

__all__ = [
    "excel_errors",
    "number",
    "text",
    "flag",
    "date_or_none",
    "cached_chain",
    "table",
    "pairs",
    "MAX_MESSAGE",
]

MAX_MESSAGE = 100
"""Cell messages are cut to this many characters."""

def excel_errors(func):
    """Turn an expected user error into a one-line cell message instead of a traceback.

    Only :class:`~xlgex.errors.XlgexError` is caught: a bug still raises.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except XlgexError as err:
            message = str(err)
            message = message if message.startswith("xlgex:") else "xlgex: " + message
            return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."

    return wrapper


def _scalar(value):
    """A 1x1 range arrives as [[x]] or [x]: unwrap it."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_error(value, name: str) -> None:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERROR_TEXTS:
        raise XlgexError(f"xlgex: argument {name} holds Excel error {value.strip()}")
    if isinstance(value, int) and not isinstance(value, bool) and value in EXCEL_ERROR_CODES:
        raise XlgexError(f"xlgex: argument {name} holds Excel error {EXCEL_ERROR_CODES[value]}")


def number(value, name: str, default=None, *, minimum=None, positive=False):
    """A float from a cell; blank gives ``default``. Text, errors and NaN are user errors."""
    value = _scalar(value)
    if _is_blank(value):
        return default
    _check_error(value, name)
    if isinstance(value, (list, tuple)):
        raise XlgexError(f"xlgex: argument {name} must be one cell, not a range")
    try:
        out = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise XlgexError(f"xlgex: argument {name}: '{value}' is not a number") from None
    if not math.isfinite(out):
        raise XlgexError(f"xlgex: argument {name} must be a finite number")
    if positive and out <= 0:
        raise XlgexError(f"xlgex: argument {name} {out:g} must be > 0")
    if minimum is not None and out < minimum:
        raise XlgexError(f"xlgex: argument {name} {out:g} must be >= {minimum:g}")
    return out


def text(value, name: str, default=None, choices=None):
    """Lower-case, trimmed text from a cell; blank gives ``default``."""
    value = _scalar(value)
    if _is_blank(value):
        return default
    _check_error(value, name)
    out = str(value).strip()
    if choices is not None:
        key = out.lower()
        if key not in choices:
            raise XlgexError(f"xlgex: argument {name} '{out}' is not one of: {', '.join(choices)}")
        return key
    return out


def flag(value, name: str, default=False) -> bool:
    """TRUE/FALSE, 1/0 or yes/no; blank gives ``default``."""
    value = _scalar(value)
    if _is_blank(value):
        return default
    _check_error(value, name)
    if isinstance(value, (bool, int, float)):
        return bool(value)
    key = str(value).strip().lower()
    if key in ("true", "yes", "y", "1"):
        return True
    if key in ("false", "no", "n", "0"):
        return False
    raise XlgexError(f"xlgex: argument {name} '{value}' is not TRUE or FALSE")


def date_or_none(value, name: str):
    """A cell date (datetime, Excel serial number or text) passed through; blank gives None."""
    value = _scalar(value)
    if _is_blank(value):
        return None
    _check_error(value, name)
    return value


def _freeze(values):
    """A hashable form of a 2D range (rows of cells) to key the chain cache."""
    if isinstance(values, tuple) and all(type(row) is tuple for row in values):
        return values  # what pywin32 delivers: already hashable, no copy
    return tuple(tuple(row) if isinstance(row, (list, tuple)) else row for row in values)


class _Key:
    """A cache key that hashes its content once (a range's tuple is re-hashed on every use)."""

    __slots__ = ("content", "_hash")

    def __init__(self, content):
        self.content = content
        self._hash = hash(content)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return (isinstance(other, _Key) and self._hash == other._hash
                and self.content == other.content)  # fmt: skip


_CHAINS: OrderedDict = OrderedDict()
CHAIN_CACHE_SIZE = 8


def cached_chain(values, **read_kwargs):
    """Parse a chain range once: the same cells and settings reuse the parsed Chain.

    The key is the range's full content plus the reader settings, so an edited cell is a
    new chain. The cache keeps the :data:`CHAIN_CACHE_SIZE` most recent chains.
    """
    from .readers import read_chain

    if values is None or (isinstance(values, (list, tuple)) and len(values) == 0):
        raise XlgexError("xlgex: the chain argument is empty")
    if not isinstance(values, (list, tuple)):
        values = ((values,),)  # a one-cell range arrives as its value
    elif not isinstance(values[0], (list, tuple)):
        values = (tuple(values),)  # a one-row range may arrive flat
    try:
        key = _Key((_freeze(values), tuple(sorted(read_kwargs.items()))))
    except TypeError:
        key = None
    if key is not None and (chain := _CHAINS.get(key)) is not None:
        _CHAINS.move_to_end(key)
        return chain
    chain = read_chain(values, **read_kwargs)
    if key is not None:
        _CHAINS[key] = chain
        while len(_CHAINS) > CHAIN_CACHE_SIZE:
            _CHAINS.popitem(last=False)
    return chain


def _cell(value):
    """A Python value as a cell: NaN and None become blank, numpy scalars plain Python."""
    if value is None:
        return ""
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def table(frame, header) -> list:
    """A DataFrame as a spilled range: a header row, then one row per record."""
    rows = [[_cell(v) for v in record] for record in frame.itertuples(index=False, name=None)]
    return [list(header), *rows]


def pairs(items) -> list:
    """(label, value) pairs as a two-column spilled range."""
    return [[label, _cell(value)] for label, value in items]
