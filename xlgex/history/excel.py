"""A history table for a dashboard: the rows of a written history, shaped for cells.

:func:`history_table` backs the ``GEX_HISTORY`` worksheet function: it reads a history that
``xlgex history`` wrote (``.csv``, ``.parquet``, or the History sheet of the ``.xlsx``),
optionally keeps one underlying, some columns and the last rows, and returns a header row
and one row per snapshot. Quote times come back as naive New York date-times (Excel dates);
a blank figure (no flip in the grid, no wall) is the text ``"none"``, never NaN.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from ..conventions import NEW_YORK
from ..errors import XlgexError
from .task import ROW_COLUMNS

__all__ = ["history_table", "DEFAULT_COLUMNS", "read_history"]

DEFAULT_COLUMNS = ("quote_time", "underlying", "spot", "total_gex", "share_0dte", "flip", "crossings",
                   "distance_to_flip_pct", "call_wall", "put_wall", "regime")  # fmt: skip
NO_VALUE = "none"
_CACHE: dict = {}


def read_history(path) -> pd.DataFrame:
    """A written history as a DataFrame (quote time aware New York), cached by path and mtime."""
    path = Path(str(path).strip().strip('"'))
    try:
        stat = path.stat()
    except OSError:
        raise XlgexError(f"xlgex: no history file at '{path}'") from None
    key = (os.fspath(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE.clear()  # one history at a time: a dashboard reads one file
        _CACHE[key] = _read(path)
    return _CACHE[key]


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(path, keep_default_na=True)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        elif suffix == ".xlsx":
            df = pd.read_excel(path, sheet_name="History")
        else:
            raise XlgexError(f"xlgex: '{path.name}' is not a history (.csv, .parquet or .xlsx)")
    except ImportError as err:
        raise XlgexError(f"xlgex: reading '{path.name}' needs {err.name} (pip install {err.name}); "
                         "or read the .csv") from None  # fmt: skip
    except (OSError, ValueError) as err:
        if isinstance(err, XlgexError):
            raise
        raise XlgexError(f"xlgex: cannot read history '{path.name}': {err}") from None
    missing = [c for c in ("quote_time", "underlying", "spot") if c not in df.columns]
    if missing:
        raise XlgexError(f"xlgex: '{path.name}' is not an xlgex history: no column {', '.join(missing)}")
    when = df["quote_time"]
    if suffix == ".csv":
        when = pd.to_datetime(when, utc=True, format="ISO8601")
    if getattr(when.dt, "tz", None) is None:
        when = when.dt.tz_localize(NEW_YORK)
    df["quote_time"] = when.dt.tz_convert(NEW_YORK)
    return df


def _cell(value):
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime()
    if isinstance(value, float) and not math.isfinite(value):
        return NO_VALUE
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


def history_table(path, underlying=None, columns=None, last_n=None) -> list:
    """Header row and one row per snapshot of a written history (see the module docstring).

    underlying : str, optional   Keep this underlying only (case-insensitive).
    columns : str or list, optional
        Column names (comma separated); default :data:`DEFAULT_COLUMNS`.
    last_n : int, optional       Only the last ``last_n`` snapshots (by quote time).
    """
    df = read_history(path)
    if underlying:
        df = df[df["underlying"].astype(str).str.upper() == str(underlying).strip().upper()]
        if df.empty:
            raise XlgexError(f"xlgex: no snapshot of underlying '{underlying}' in the history")
    if isinstance(columns, str) and columns.strip():
        names = [c.strip() for c in columns.split(",")]
    else:
        names = list(columns or DEFAULT_COLUMNS)
    unknown = [c for c in names if c not in df.columns]
    if unknown:
        raise XlgexError(f"xlgex: no column {', '.join(unknown)} in the history (columns: "
                         f"{', '.join(c for c in ROW_COLUMNS if c in df.columns)})")  # fmt: skip
    df = df.sort_values("quote_time", kind="stable")
    if last_n:
        df = df.tail(int(last_n))
    return [names, *[[_cell(v) for v in row] for row in df[names].itertuples(index=False, name=None)]]
