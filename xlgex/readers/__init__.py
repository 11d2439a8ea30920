"""Read an option chain from an Excel range, a DataFrame or a file into a :class:`Chain`.

One entry point, :func:`read_chain`, looks at what it is given and hands it to the reader
of that format; each format's quirks stay in its own module:

* ``grid``      any table as header, body columns and the title lines above the header;
                Excel ranges and DataFrames go straight here;
* ``layouts``   **long** (one contract per row, columns named through :data:`FIELDS`) or
                **side by side** (calls and puts of a strike on one row: CBOE's download,
                Fidelity's export, ``Call``/``Put``-prefixed columns);
* ``table``     the contracts, validated column by column, into a :class:`Chain`;
* ``preamble``  spot and as-of from the argument, the title lines or the columns;
* ``values``, ``dates``  cell values and dates, converted column-wise;
* ``text``      delimited text: comma, semicolon or tab; UTF-8 (± BOM) or UTF-16; decimal
                point or decimal comma, judged per file;
* ``xlsx``      .xlsx/.xlsm workbooks (first sheet holding a chain, or a named one);
* ``parquet``   Parquet files (needs pyarrow: the ``parquet`` extra);
* ``cboe_json`` CBOE's delayed-quotes JSON; ``schwab_json`` TD Ameritrade/Schwab chain JSON;
* ``occ``       OCC/OSI option symbols, decoded where a table has no expiry/type/strike;
* ``memory``    cyclic garbage collection paused while a chain is read (a third of the time);
* ``quotes``    IVs where the IV cell is blank, 0 or a placeholder: from each strike's
                out-of-the-money side (the other side's IV, or solved from bid/ask).
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pandas as pd

from ..chain import Chain
from ..errors import XlgexError, error
from . import cboe_json, parquet, schwab_json, text, xlsx
from .dates import _when_argument, parse_date
from .grid import FIELDS, grid_from_frame, grid_from_rows, looks_like_header
from .memory import gc_paused
from .table import chain_from_grid
from .values import AM_SETTLED_ROOTS, EXCEL_ERRORS, _choice, _is_blank, _positive_argument

__all__ = ["read_chain", "parse_date", "FIELDS", "AM_SETTLED_ROOTS", "EXCEL_ERRORS", "ACCEPTED"]

ACCEPTED = ("CSV or other delimited text (comma, semicolon, tab; UTF-8 or UTF-16), "
            ".xlsx/.xlsm, Parquet, CBOE delayed-quotes JSON or TD/Schwab chain JSON")  # fmt: skip
"""The file formats :func:`read_chain` reads, as named in its messages."""


def read_chain(source, *, spot=None, asof=None, iv_unit="decimal", multiplier=None, sheet=None,
               iv_from_quotes=True) -> Chain:  # fmt: skip
    """Read an option chain, validate it and return a :class:`~xlgex.chain.Chain`.

    Parameters
    ----------
    source : 2D list/tuple, ndarray, pandas.DataFrame, str, os.PathLike or Traversable
        A table with a header row as Excel passes a range (``None`` for blank cells, numbers
        as floats, dates as ``datetime`` or Excel serials), a DataFrame, or the path of a
        file in any format of :data:`ACCEPTED` (the content decides, not the file name).
    spot : float, optional
        Underlying price, spot units. Overrides the file's (``Last:``, ``current_price``,
        ``underlyingPrice``) or an ``Underlying Price`` column (noted in the diagnostics).
        Required if none exists.
    asof : datetime, date, str or float, optional
        Valuation instant. Naive means New York wall-clock; a float is an Excel serial.
        Overrides the file's quote time or a ``Quote Time`` column; if none exists, now.
    iv_unit : {"decimal", "percent", "auto"}
        Unit of the IV column: 0.18 (decimal) or 18 (percent). The chain is judged as a
        whole by the median of its positive IVs: a declared unit that contradicts it raises,
        ``"auto"`` infers percent when the median is above 2. Formats that state their unit
        (TD/Schwab JSON: percent) use it.
    multiplier : float, optional
        Units of underlying per contract where the source has no ``Multiplier`` value.
        Default 100.
    sheet : str or int, optional
        Workbook sheet by name or 1-based position; default the first holding a chain.
    iv_from_quotes : bool
        Give quoted contracts whose IV is blank, 0 or a placeholder (< 1e-4) the IV of their
        strike's out-of-the-money side: the other side's IV, or their own bid/ask mid's when
        they are out of the money (default True; ``chain.diagnostics.iv_solved`` and
        ``iv_other_side`` count them; see :mod:`xlgex.readers.quotes`).

    Returns
    -------
    Chain
        Live contracts; expired ones are in ``chain.expired``. ``chain.diagnostics`` records
        the rows read, dropped (``"blank"``, ``"expired"``; counted per contract, so a blank
        CBOE line is two) and every assumption made.

    Raises
    ------
    ChainError
        Bad input, with the row (1-based in the range as given, the line number in a text
        file, the sheet row in a workbook) and the column named, e.g.
        ``xlgex: row 7 (strike 4500), column 'Open Interest': open interest -3 must be >= 0``.
    XlgexError
        No spot anywhere (``no_spot``), a file in no accepted format, or an invalid argument.

    Notes
    -----
    Contracts without IV (blank or <= 0, and none solved) are kept with ``iv = NaN``; blank
    open interest is 0. Settlement is AM (09:30 New York) for roots in
    :data:`AM_SETTLED_ROOTS` or where a ``Settlement`` column says ``AM``, else PM (16:00
    New York); the time rule itself is :meth:`Chain.from_arrays`'.
    """
    unit = _choice(iv_unit, "iv_unit", ("decimal", "percent", "auto"))
    spot_arg = _positive_argument(spot, "spot")
    mult_arg = _positive_argument(multiplier, "multiplier")
    asof_arg = None if _is_blank(asof) else _when_argument(asof)
    with gc_paused():
        grid = _load(source, sheet)
        return chain_from_grid(grid, spot=spot_arg, asof=asof_arg, unit=grid.iv_unit or unit,
                               multiplier=mult_arg, iv_from_quotes=bool(iv_from_quotes))  # fmt: skip


def _load(source, sheet):
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read_bytes"):
        return _load_file(source, sheet)
    if isinstance(source, pd.DataFrame):
        return grid_from_frame(source)
    if isinstance(source, np.ndarray):
        source = source.tolist() if source.ndim == 2 else [source.tolist()]
    if not isinstance(source, (list, tuple)):
        raise error("bad_argument", what="source", value=type(source).__name__,
                    expected="a range, DataFrame or file path")  # fmt: skip
    if source and not any(isinstance(r, (list, tuple)) for r in source):
        source = [source]  # a single row (xlwings passes 1-row ranges as a flat list)
    return grid_from_rows(source, None)


def _read_bytes(path) -> bytes:
    try:
        if hasattr(path, "read_bytes"):  # pathlib.Path or an importlib.resources Traversable
            return path.read_bytes()
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise error("no_file", path=str(path), reason=exc.strerror or "error") from None


def _load_file(path, sheet):
    raw = _read_bytes(path)
    kind = sniff(raw)
    if kind == "xlsx":
        rows, name, names = xlsx.read_sheet(path, sheet)
        grid = grid_from_rows(rows, None)
        if len(names) > 1:
            grid.notes.append(f"sheet '{name}' read (of {', '.join(names)})")
        return grid
    if kind == "parquet":
        return grid_from_frame(parquet.read_frame(path))
    if kind == "json":
        return _json_grid(raw)
    if kind != "text":
        raise XlgexError(f"xlgex: '{os.fspath(path) if not hasattr(path, 'name') else path.name}' "
                         f"looks like {kind}; xlgex reads {ACCEPTED}")  # fmt: skip
    rows, numbers, notes = text.read_rows(raw)
    grid = grid_from_rows(rows, numbers)
    grid.notes.extend(notes)
    if rows and rows[0] and rows[0][0].lstrip("\ufeff").startswith("Stock quote and option quote"):
        grid.hint = ("this looks like a thinkorswim export: add 'Open Int' and 'Impl Vol' (or "
                     "'Gamma') to the option chain layout before exporting")  # fmt: skip
    return grid


_MAGIC = (
    (b"PAR1", "parquet"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook (save it as .xlsx or CSV)"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive (unpack it first)"),
)  # fmt: skip


def _zip_kind(raw: bytes) -> str:
    """``"xlsx"`` for an Excel workbook; otherwise what the zip file holds."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "xlsx"  # a damaged workbook: openpyxl says what is wrong with it
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if b"opendocument.spreadsheet" in mimetype:
        return "an OpenDocument spreadsheet (.ods; save it as .xlsx or CSV)"
    return "a zip archive (unpack it first)"


def sniff(raw: bytes) -> str:
    """``"xlsx"``, ``"parquet"``, ``"json"`` or ``"text"``; otherwise what the bytes look like."""
    if raw.startswith(b"PK\x03\x04"):
        return _zip_kind(raw)
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    if not raw.strip():
        return "an empty file"
    content, _ = text.decode(raw)
    head = content.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith(("<!doctype html", "<html", "<?xml", "<")):
        return "a web page or XML document"
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in content[:4000])
    if printable < 0.95 * min(len(content), 4000):
        return "a binary file"
    return "text"


def _json_grid(raw: bytes):
    content, _ = text.decode(raw)
    try:
        obj = json.loads(content)
    except json.JSONDecodeError as exc:
        obj = _json_lines(content) if exc.msg == "Extra data" else None
        if obj is not None:
            return grid_from_frame(_records(obj))
        raise XlgexError(f"xlgex: the file starts like JSON but is not valid JSON "
                         f"(line {exc.lineno}: {exc.msg})") from None  # fmt: skip
    iv_unit = None
    if cboe_json.is_cboe(obj):
        frame, found, notes = cboe_json.frame(obj)
    elif schwab_json.is_schwab(obj):
        frame, found, notes = schwab_json.frame(obj)
        iv_unit = schwab_json.IV_UNIT
    else:
        frame, found, notes = _records(obj), {}, []
    grid = grid_from_frame(frame)
    grid.found.update(found)
    grid.notes.extend(notes)
    grid.iv_unit = iv_unit
    return grid


def _json_lines(content: str):
    """Rows of a JSON Lines file (one object per line), or None."""
    try:
        return [json.loads(line) for line in content.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None


def _records(obj) -> pd.DataFrame:
    """A JSON table saved by pandas or a script: a list of row objects or columns of values."""
    frame = None
    if isinstance(obj, dict) and isinstance(obj.get("data"), list):  # pandas' "split"/"table"
        columns = obj.get("columns")
        obj = (
            [dict(zip(columns, r, strict=False)) for r in obj["data"]]
            if isinstance(columns, list)
            else obj["data"]
        )
    try:
        if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
            frame = pd.DataFrame(obj)
        if isinstance(obj, dict) and obj and all(isinstance(v, (list, dict)) for v in obj.values()):
            frame = pd.DataFrame(obj)
    except ValueError:
        pass
    if frame is not None and looks_like_header([str(c) for c in frame.columns]):
        return frame
    keys = ", ".join(list(obj)[:8]) if isinstance(obj, dict) else f"a list of {len(obj)} items"
    raise XlgexError(f"xlgex: JSON holding {keys or 'nothing'} is not an option chain xlgex knows; "
                     f"it reads {ACCEPTED}, or a JSON list of contract rows")  # fmt: skip
