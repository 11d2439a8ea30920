"""Recalculate a workbook with the ``formulas`` engine, xlgex's functions called as Excel would.

``Recalc("xlgex.udfs")`` registers every UDF of the module as a ``formulas`` function. Each
call goes through :class:`tests.xlharness.UDFHarness`, i.e. xlwings' own Windows call path:

* a range reference reaches ``formulas`` as a :class:`formulas.ranges.Ranges`; it is handed
  on as an Excel-shaped 2D tuple (a reference), blanks as ``None``, numbers as floats, Excel
  errors as their COM codes, and date-formatted cells as datetimes (the engine only sees
  serial numbers, so the cell formats are read from the file with openpyxl);
* a one-cell reference is a one-cell reference (``cell(value)``), an array value from another
  formula is an array (``array(value)``), literals stay literals (ints as floats);
* what Excel receives back (a scalar, a row, or rows) goes back to ``formulas`` as a scalar
  or a 2D object array; datetimes (which xlwings tags UTC) become the serial number of
  their wall-clock time, as pywin32 writes them into the cell.

:meth:`Recalc.calculate` loads the workbook (``ExcelModel().loads(path).finish()``),
recalculates everything and returns ``{(SHEET, "A1"): value}`` for every cell the engine
computed, spilled ranges cell by cell.

Limits of the ``formulas`` engine (1.3.x) that the templates respect:

* A skipped argument (``=F(a,,b)``) reaches a function as ``0``, not as a missing argument,
  so templates never skip arguments (they pass ``""`` for "blank").
* Structured references (``Chain[#All]``) do not parse: templates use a defined name.
* ``INDEX(array, 0, n)`` returns one cell, not the column: templates use plain references.
* A dynamic array keeps the size stored in the file (its ``ref``): a result of another size
  is cut or padded with ``#N/A``, which the value comparison then reports.
* Number constants are rounded to 15 decimal places on load (``round(x, 15)``), so tiny
  numbers such as a chain's Gamma column lose digits; the templates use model gamma.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import schedula as sh

from tests.xlharness import MISSING, UDFHarness, array, cell, excel_error

__all__ = ["Recalc", "StoredCell", "XL_EPOCH", "stored_cells", "to_serial"]

XL_EPOCH = dt.datetime(1899, 12, 30)
_KEY = re.compile(r"^'\[(?P<book>[^\]]+)\](?P<sheet>.+)'!(?P<ref>\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)$")


def to_serial(value: dt.datetime) -> float:
    """Excel serial number of a naive datetime (1900 date system)."""
    return (value - XL_EPOCH) / dt.timedelta(days=1)


def _from_serial(value: float) -> dt.datetime:
    when = XL_EPOCH + dt.timedelta(days=float(value))
    return when.replace(microsecond=0) + dt.timedelta(seconds=round(when.microsecond / 1e6))


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class Recalc:
    """The ``formulas`` engine with the UDFs of ``module`` routed through the xlwings harness."""

    def __init__(self, module: str = "xlgex.udfs"):
        self.harness = UDFHarness(module)
        self.names = sorted(self.harness.functions)
        self.date_cells: set = set()
        self.calls: list = []
        self._converted: dict = {}  # range name -> Excel-shaped grid, for one calculation
        self._models: dict = {}  # path -> the loaded model: loading is most of the time

    # -- registration ---------------------------------------------------------------------
    @contextlib.contextmanager
    def registered(self):
        """The UDFs as ``formulas`` functions while the block runs (parse time included)."""
        import formulas

        table = formulas.get_functions()
        saved = {name: table[name] for name in self.names if name in table}
        for name in self.names:
            table[name] = self._bridge(name)
        try:
            yield self
        finally:
            for name in self.names:
                table.pop(name, None)
            table.update(saved)

    def _bridge(self, name: str):
        def udf(*args):
            excel_args = [self._argument(a) for a in args]
            value = self.harness.call(name, *excel_args)
            self.calls.append(name)
            return self._result(value)

        udf.__name__ = name
        return udf

    # -- values in ------------------------------------------------------------------------
    def _cell_value(self, value, key=None):
        from formulas.tokens.operand import XlError

        if value is sh.EMPTY or value is None:
            return None
        if isinstance(value, XlError):
            return excel_error(str(value))
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            if key is not None and key in self.date_cells:
                return _from_serial(value)
            return float(value)
        return value

    def _argument(self, arg):
        from formulas.ranges import Ranges

        if isinstance(arg, Ranges):
            values = np.asarray(arg.value, dtype=object)
            if len(arg.ranges) != 1:
                raise NotImplementedError("multi-area references are not modelled")
            rng = arg.ranges[0]
            if rng["name"] not in self._converted:  # a chain range is read by many formulas
                sheet, r0, c0 = rng["sheet"].upper(), int(rng["r1"]), int(rng["n1"])
                self._converted[rng["name"]] = tuple(
                    tuple(self._cell_value(v, (sheet, r0 + i, c0 + j)) for j, v in enumerate(row))
                    for i, row in enumerate(values)
                )
            grid = self._converted[rng["name"]]
            return cell(grid[0][0]) if values.shape == (1, 1) else grid
        if isinstance(arg, np.ndarray):
            grid = tuple(tuple(self._cell_value(v) for v in row) for row in np.atleast_2d(arg))
            return array(grid)
        if arg is sh.EMPTY:
            return MISSING
        return self._cell_value(arg)

    # -- values out -----------------------------------------------------------------------
    @staticmethod
    def _out(value):
        if isinstance(value, dt.datetime):  # pywin32 writes the wall time xlwings tagged UTC
            return to_serial(value.replace(tzinfo=None))
        return value

    def _result(self, value):
        if isinstance(value, (list, tuple)):
            rows = [list(r) for r in value] if value and isinstance(value[0], (list, tuple)) \
                else [list(value)]  # fmt: skip
            out = np.empty((len(rows), max(len(r) for r in rows)), dtype=object)
            out[:, :] = ""
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    out[i, j] = self._out(v)
            return out
        return self._out(value)

    # -- the workbook ---------------------------------------------------------------------
    def _read_date_cells(self, path) -> None:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if getattr(c, "is_date", False) and c.value is not None:
                        self.date_cells.add((ws.title.upper(), c.row, c.column))
        book.close()

    def calculate(self, path, inputs=None) -> dict:
        """Load ``path``, recalculate, and return ``{(SHEET, "A1"): value}``.

        ``inputs`` (``{("Sheet", "B6"): value}``) replaces input cells before calculating.
        A workbook is loaded once per :class:`Recalc`; each calculation starts from the
        file's own inputs and replaces only those given.
        """
        import formulas

        self._read_date_cells(path)
        self._converted.clear()
        name = Path(path).name
        given = {f"'[{name}]{sheet.upper()}'!{ref}": value
                 for (sheet, ref), value in (inputs or {}).items()}  # fmt: skip
        with self.registered():
            model = self._models.get(str(path))
            if model is None:
                model = self._models[str(path)] = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate(inputs=given) if given else model.calculate()
        out: dict = {}
        for key, value in solution.items():
            match = _KEY.match(str(key))
            if match is None:
                continue
            sheet, ref = match["sheet"].upper(), match["ref"].replace("$", "")
            grid = np.atleast_2d(np.asarray(getattr(value, "value", value), dtype=object))
            first = ref.split(":")[0]
            col0 = _col_number(re.match(r"[A-Z]+", first)[0])
            row0 = int(re.search(r"\d+", first)[0])
            for i, row in enumerate(grid):
                for j, v in enumerate(row):
                    out[(sheet, f"{_letters(col0 + j)}{row0 + i}")] = v
        return out


# -- what the file stores -------------------------------------------------------------------

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


@dataclasses.dataclass(frozen=True)
class StoredCell:
    """One ``<c>`` element: its formula (None for a constant), array ``ref``, stored value."""

    formula: str | None
    array_ref: str | None
    dynamic: bool
    value: object


def _stored_value(c, shared: list):
    kind = c.get("t", "n")
    v = c.find("m:v", _NS)
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{{{_NS['m']}}}t"))
    if v is None or v.text is None:
        return "" if kind == "str" else None
    if kind == "s":
        return shared[int(v.text)]
    if kind == "b":
        return v.text == "1"
    if kind in ("str", "e"):
        return v.text
    return float(v.text)


def stored_cells(path) -> dict:
    """``{sheet name: {"A1": StoredCell}}`` read straight from the file's XML."""
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", _NS):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        out = {}
        for sheet in book.find("m:sheets", _NS):
            target = targets[sheet.get(f"{{{_NS['r']}}}id")]
            part = posixpath.normpath(posixpath.join("xl", target.lstrip("/")))
            root = ElementTree.fromstring(z.read(part.replace("xl/xl/", "xl/")))
            cells = {}
            for c in root.iter(f"{{{_NS['m']}}}c"):
                f = c.find("m:f", _NS)
                cells[c.get("r")] = StoredCell(
                    formula=None if f is None else (f.text or ""),
                    array_ref=None if f is None or f.get("t") != "array" else f.get("ref"),
                    dynamic=c.get("cm") is not None,
                    value=_stored_value(c, shared),
                )
            out[sheet.get("name")] = cells
        return out
