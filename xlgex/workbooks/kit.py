"""The sheet-building kit of the templates and the report: formats, cells that know their
values, formulas evaluated by :mod:`xlgex.udfs` at build time, charts, the About sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ..conventions import ES_POINT_VALUE, MES_POINT_VALUE

TEMPLATES = ("xlgex_hedging.xlsx", "xlgex_dashboard.xlsx", "xlgex_whatif.xlsx")
"""File names of the templates, in build order."""

BUILD_DATE = dt.datetime(2026, 1, 1)
"""Created/modified date written into every template, so rebuilds compare equal."""

CHAIN_NAME = "ChainData"
"""Workbook name of the chain range that every GEX formula takes as its chain argument."""

CALC_ID = 191029
"""Excel's calculation-engine id (Excel 365). With an older id, Excel recalculates the whole
workbook on open, and before the functions are imported every xlgex cell would show #NAME?."""

HEDGES = {"shares": 1.0, "ES": ES_POINT_VALUE, "MES": MES_POINT_VALUE}

XL_EPOCH = dt.datetime(1899, 12, 30)

# Colours: inputs in the usual financial-model style (blue on light yellow).
INPUT_FILL, INPUT_FONT, HEADER_FILL, OK_FILL, BAD_FILL = (
    "#FFF2CC", "#0000FF", "#D9E1F2", "#C6EFCE", "#C00000",
)  # fmt: skip
LONG_COLOUR, SHORT_COLOUR, PROFILE_COLOUR, FLIP_COLOUR, SPOT_COLOUR = (
    "#2E8B57", "#C0392B", "#1F4E79", "#E67E22", "#7F7F7F",
)  # fmt: skip

MONEY = '[>=50000]$#,##0.0,,"m";[<=-50000]-$#,##0.0,,"m";$0.0,,"m"'
"""$ amounts shown in millions: 13,303.1m. Amounts that round to zero show "$0.0m", never
"-$0.0m" (the conditions pick the section; the third shows the magnitude)."""
MONEY_BN = '[>=50000000]$#,##0.0,,,"bn";[<=-50000000]-$#,##0.0,,,"bn";$0.0,,,"bn"'
MONEY_BN2 = '[>=5000000]$#,##0.00,,,"bn";[<=-5000000]-$#,##0.00,,,"bn";$0.00,,,"bn"'
DATETIME = "yyyy-mm-dd hh:mm"
BOOL_NUMBER = '"TRUE";"TRUE";"FALSE"'
"""A 1/0 shown as TRUE/FALSE (a TRUE/FALSE result read as a number)."""
DATE = "yyyy-mm-dd"

INFO_COUNTS = ("rows", "contracts", "IVs", "excluded", "dropped")
"""GEX_INFO rows that count contracts or rows: whole numbers with thousands separators."""


def info_formats(info) -> dict:
    """``{row: number format}`` of GEX_INFO's ``(item, value)`` rows that hold a number or a
    time: a share in %, a count with thousands separators, a date without a midnight time,
    any other number (a level, a skew, a ratio) with two decimals, never a 15-digit float."""
    out = {}
    for i, (key, value) in enumerate(info):
        if isinstance(value, dt.datetime):
            midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
            out[i] = DATE if midnight else DATETIME
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        elif key.startswith("0DTE share"):
            out[i] = "0.0%"
        elif key.startswith(INFO_COUNTS) and float(value).is_integer():
            out[i] = "#,##0"
        else:
            out[i] = "#,##0.00"
    return out


# --------------------------------------------------------------------------- cells


@dataclasses.dataclass(frozen=True)
class _Arg:
    """A formula argument: its Excel text and the value Excel would pass for it."""

    text: str
    value: object


def _lit(value) -> _Arg:
    """A literal argument: a number, text or TRUE/FALSE typed into the formula."""
    if isinstance(value, bool):
        return _Arg("TRUE" if value else "FALSE", value)
    if isinstance(value, str):
        return _Arg('"' + value.replace('"', '""') + '"', value)
    text = repr(float(value))
    return _Arg(text[:-2] if text.endswith(".0") else text, float(value))


def _serial(value: dt.datetime) -> float:
    """An Excel date serial number (1900 system) of a naive datetime."""
    return (value - XL_EPOCH) / dt.timedelta(days=1)


def _xl_round(x: float, digits: int = 0) -> float:
    """Excel's ROUND: halves away from zero."""
    scale = 10.0**digits
    return math.copysign(math.floor(abs(x) * scale + 0.5), x) / scale


def _grid(result) -> list:
    """A worksheet function's result as rows of cells (a scalar is 1x1)."""
    if isinstance(result, (list, tuple)):
        if result and isinstance(result[0], (list, tuple)):
            return [list(row) for row in result]
        return [list(result)]
    return [[result]]


class _TypedWorksheet(Worksheet):
    """A worksheet that stores an empty formula result as an empty text (``t="str"``).

    XlsxWriter stores it untyped, and what an application shows for an untyped empty result
    before recalculating is its own guess.
    """

    def _xml_formula_element(self, formula, result, attributes=()):
        attributes = list(attributes)
        if result == "" and not any(key == "t" for key, _ in attributes):
            attributes.append(("t", "str"))
        super()._xml_formula_element(formula, result, attributes)


class _Book:
    """An XlsxWriter workbook with the templates' formats and deterministic properties.

    The file is built in memory and written by :meth:`close` through a temporary file that
    replaces ``path`` only once complete (:func:`xlgex.files.replace_atomically`).
    """

    def __init__(self, path: Path, title: str, subject: str, *, created=BUILD_DATE,
                 comments="Built by `xlgex workbooks`; every formula cell stores its value.",
                 inputs=None):  # fmt: skip
        self.path = Path(path)
        self.inputs = dict(inputs or {})  # {(sheet, "B6"): value}: inputs other than the defaults
        self._buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self._buffer)
        self.wb.set_properties({
            "title": title, "subject": subject, "author": "xlgex", "company": "xlgex",
            "comments": comments, "created": created,
        })  # fmt: skip
        # Keep the stored values on open: no fullCalcOnLoad, and the current engine id.
        self.wb.set_calc_mode("auto", calc_id=CALC_ID)
        self.wb.calc_on_load = False
        self._formats: dict = {}
        self.sheets: dict = {}
        self._state: _State | None = None

    def add_worksheet(self, name: str):
        return self.wb.add_worksheet(name, worksheet_class=_TypedWorksheet)

    @property
    def state(self) -> _State:
        """The hidden State sheet: saved inputs, whether xlgex runs, whether numbers are stale."""
        if self._state is None:
            self._state = _State(self)
        return self._state

    def fmt(self, kind: str = "plain", num_format: str | None = None, **extra):
        """A cached cell format: ``kind`` picks the style, ``num_format`` the number format."""
        key = (kind, num_format, tuple(sorted(extra.items())))
        if key not in self._formats:
            props = {"font_name": "Calibri", "font_size": 11, "valign": "vcenter"}
            props |= {
                "plain": {},
                "title": {"bold": True, "font_size": 15, "font_color": "#1F4E79"},
                "instruction": {"italic": True, "font_color": "#404040"},
                "source": {"font_color": "#7F7F7F", "font_size": 10},
                "section": {"bold": True, "font_size": 12, "font_color": "#1F4E79",
                            "bottom": 2, "bottom_color": "#1F4E79"},
                "header": {"bold": True, "bg_color": HEADER_FILL, "border": 1,
                           "border_color": "#8EA9DB", "text_wrap": True},
                "label": {},
                "note": {"font_color": "#595959", "italic": True, "font_size": 10},
                "input": {"bg_color": INPUT_FILL, "font_color": INPUT_FONT, "border": 1,
                          "border_color": "#BF8F00"},
                "calc": {"bg_color": "#F2F2F2", "border": 1, "border_color": "#D9D9D9"},
                "output": {"bold": True},
                "text": {},
                "check": {"bold": True, "align": "center", "border": 1},
                "banner": {"bold": True, "font_color": "#C00000"},
            }[kind]  # fmt: skip
            if num_format:
                props["num_format"] = num_format
            props |= extra
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def check_colours(self) -> tuple:
        """The conditional formats of check cells: green for OK, red for anything else."""
        if "check" not in self._formats:
            self._formats["check"] = (
                self.wb.add_format({"bg_color": OK_FILL, "font_color": "#006100"}),
                self.wb.add_format({"bg_color": BAD_FILL, "font_color": "#FFFFFF", "bold": True}),
            )
        return self._formats["check"]

    def sheet(self, name: str) -> _Sheet:
        self.sheets[name] = _Sheet(self, name)
        return self.sheets[name]

    def conf_sheet(self) -> None:
        """The ``xlwings.conf`` sheet: xlwings reads A1:B1 and down for its settings."""
        ws = self.add_worksheet("xlwings.conf")
        ws.write_string("A1", "UDF Modules")
        ws.write_string("B1", "xlgex.udfs")
        ws.write_string("D1", "xlwings reads its settings from columns A:B (UDF Modules = "
                        "xlgex.udfs); add e.g. Interpreter_Win in A2:B2 if you need it.",
                        self.fmt("instruction"))  # fmt: skip
        ws.set_column("A:A", 16)
        ws.set_column("B:B", 14)

    def close(self) -> Path:
        from ..files import replace_atomically

        self.wb.close()
        with replace_atomically(self.path) as tmp:
            tmp.write_bytes(self._buffer.getvalue())
        return self.path


class _Sheet:
    """A worksheet that remembers what it holds, so formulas can be evaluated at build time."""

    def __init__(self, book: _Book, name: str):
        self.book, self.name = book, name
        self.ws = book.add_worksheet(name)
        self.values: dict = {}
        self.ws.hide_gridlines(2)
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 0)  # print one page wide
        self.ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    # -- reading back ---------------------------------------------------------------------
    def at(self, cell: str):
        """The value stored in ``cell`` (None when blank)."""
        return self.values.get(xl_cell_to_rowcol(cell))

    def ref(self, cell: str, *, external: bool = False) -> _Arg:
        """A single-cell argument: Excel passes the cell's value (None when blank)."""
        prefix = self._prefix() if external else ""
        return _Arg(prefix + cell, self.at(cell))

    def column(self, cells: str, *, external: bool = False) -> _Arg:
        """A one-column range argument (``ndim=1``): the list of its values."""
        first, last = cells.split(":")
        (r0, c0), (r1, _) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last)
        prefix = self._prefix() if external else ""
        return _Arg(prefix + cells, [self.values.get((r, c0)) for r in range(r0, r1 + 1)])

    def _prefix(self) -> str:
        safe = self.name.replace("_", "").isalnum()
        return (self.name if safe else "'" + self.name.replace("'", "''") + "'") + "!"

    # -- writing ----------------------------------------------------------------------------
    def put(self, cell: str, value, fmt=None):
        """A constant (number, text, bool, datetime or None for a formatted blank).

        The book's ``inputs`` replace ``value`` at their cells: the template built with other
        inputs, every stored value computed from them.
        """
        value = self.book.inputs.get((self.name, cell), value)
        row, col = xl_cell_to_rowcol(cell)
        self._write_value(row, col, value, fmt)
        return value

    def text(self, cell: str, value: str, kind: str = "text"):
        return self.put(cell, value, self.book.fmt(kind))

    def input(self, cell: str, value, num_format: str | None, key: str):
        """A yellow input cell, watched by the State sheet as ``key``; returns its value."""
        value = self.put(cell, value, self.book.fmt("input", num_format))
        self.book.state.watch(key, self, cell)
        return value

    def input_rows(self, first_row: int, rows, *, watch_as=str, choices=None,
                   computed=()) -> dict:  # fmt: skip
        """Inputs one per row from ``first_row``: ``rows`` of ``(key, label, value, number
        format, note)``, the label in A, the input in B (watched as ``watch_as(key)``), the
        note in C. A key in ``computed`` gets its label only (the caller writes B's formula),
        one in ``choices`` a dropdown of ``choices[key]``. Returns ``{key: "$B$row"}``."""
        addr = {}
        for i, (key, label, value, num_format, note) in enumerate(rows):
            row = first_row + i
            self.text(f"A{row}", label)
            addr[key] = f"$B${row}"
            if key not in computed:
                self.input(f"B{row}", value, num_format, watch_as(key))
            if key in (choices or {}):
                self.dropdown(f"B{row}", choices[key])
            if note:
                self.text(f"C{row}", note, "note")
        return addr

    def _write_value(self, row: int, col: int, value, fmt) -> None:
        ws = self.ws
        fmt = fmt if fmt is not None else self.book.fmt()
        if value is None or (isinstance(value, str) and value == ""):
            ws.write_blank(row, col, None, fmt)
            value = None
        elif isinstance(value, bool):  # General format, so every application shows TRUE/FALSE
            ws.write_boolean(row, col, value, self.book.fmt("plain"))
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, fmt)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        else:
            value = float(value)
            ws.write_number(row, col, value, fmt)
        self.values[(row, col)] = value

    def formula(self, cell: str, formula: str, value, fmt=None):
        """A plain Excel formula and the value it computes (given by the caller)."""
        row, col = xl_cell_to_rowcol(cell)
        stored = _serial(value) if isinstance(value, dt.datetime) else value
        self.ws.write_formula(row, col, formula, fmt if fmt is not None else self.book.fmt(),
                              stored)  # fmt: skip
        self.values[(row, col)] = value
        return value

    def udf(self, cell: str, name: str, *args, fmt=None, fmts=None, header=None):
        """``=NAME(args)`` evaluated by :mod:`xlgex.udfs`; a spilled result fills its range.

        A one-cell result is written ``=IFERROR(NAME(args),"")``: where the functions do not
        run (no add-in, LibreOffice) a recalculated cell is blank, never an error; the sheet's
        banner says why. ``fmts`` gives one format per result column (``fmt`` one for all), ``header`` the
        format of the result's first row. Returns the result as rows of cells.
        """
        from .. import udfs

        args = [a if isinstance(a, _Arg) else _lit(a) for a in args]
        formula = f"={name}({','.join(a.text for a in args)})"
        grid = _grid(getattr(udfs, name)(*[a.value for a in args]))
        row, col = xl_cell_to_rowcol(cell)
        width = max(len(r) for r in grid)
        col_fmts = fmts if fmts is not None else [fmt] * width
        col_fmts = [f if f is not None else self.book.fmt() for f in col_fmts]
        if len(grid) == 1 and width == 1:
            self.formula(cell, f'=IFERROR({formula[1:]},"")', grid[0][0], col_fmts[0])
            return grid
        anchor = grid[0][0]
        if isinstance(anchor, bool) or anchor is None:
            raise TypeError(f"{name} at {cell}: a spilled result cannot start with {anchor!r}")
        last = xl_rowcol_to_cell(row + len(grid) - 1, col + width - 1)
        stored = _serial(anchor) if isinstance(anchor, dt.datetime) else anchor
        first_fmts = [header] * width if header is not None else col_fmts
        self.ws.write_dynamic_array_formula(f"{cell}:{last}", formula, first_fmts[0], stored)
        for i, values in enumerate(grid):
            for j in range(width):
                value = values[j] if j < len(values) else None
                if i or j:
                    self._write_value(row + i, col + j, value, (col_fmts if i else first_fmts)[j])
        self.values[(row, col)] = anchor
        return grid

    def restyle(self, cell: str, grid, fmts: dict) -> None:
        """Give cells of the result ``grid`` spilled at ``cell`` formats of their own: ``fmts``
        maps ``(row, column)`` within the result to a format (a number format per row, where
        the rows of one column hold different kinds of numbers)."""
        row, col = xl_cell_to_rowcol(cell)
        for (i, j), fmt in fmts.items():
            self._write_value(row + i, col + j, grid[i][j], fmt)

    def udf_cells(self, cell: str, name: str, *args, fmts, header=None, text_rows: int = 0,
                  text_cols: int = 0, blank_if: str | None = None, row_fmts=None):  # fmt: skip
        """``=NAME(args)`` laid out cell by cell, without a spill: ``=INDEX(NAME(args),r,c)``.

        LibreOffice recalculates every array formula when it opens a file (and cannot call
        xlwings functions), but keeps the stored values of single-cell formulas; read cell by
        cell, the result shows its numbers there too. The first ``text_rows`` rows (a header,
        in the ``header`` format) and the first ``text_cols`` columns (labels) are fixed by the
        function, so they are written as plain text. ``fmts`` gives one format per result
        column. A TRUE/FALSE cell is read as a number, ``=INDEX(...)*1`` shown as TRUE/FALSE
        by its number format: LibreOffice ignores a formula's stored TRUE/FALSE (it keeps only
        stored numbers and text) and would recalculate the cell to #NAME?. Each cell is wrapped
        in ``IFERROR(...,"")``: blank where the functions do not run. ``blank_if`` names a
        column (``"$B"``): a row whose cell there is blank shows "" (``=IF($B16="","",
        INDEX(...))``), as the shorter spill would. ``row_fmts`` maps a row's label (its
        first cell) to the format of its other cells. Returns the result as rows of cells.
        """
        from .. import udfs

        args = [a if isinstance(a, _Arg) else _lit(a) for a in args]
        call = f"{name}({','.join(a.text for a in args)})"
        grid = _grid(getattr(udfs, name)(*[a.value for a in args]))
        width = len(grid[0])
        if any(len(values) != width for values in grid):
            raise ValueError(f"{name} at {cell}: a ragged result cannot be laid out by INDEX")
        row, col = xl_cell_to_rowcol(cell)
        for i, values in enumerate(grid):
            for j, value in enumerate(values):
                if i < text_rows or j < text_cols:
                    fmt = header if i < text_rows and header is not None else fmts[j]
                    self._write_value(row + i, col + j, value, fmt)
                    continue
                formula, fmt = f"INDEX({call},{i + 1},{j + 1})", fmts[j]
                fmt = (row_fmts or {}).get(values[0], fmt)
                if isinstance(value, bool):
                    formula, value = formula + "*1", float(value)
                    fmt = self.book.fmt("plain", BOOL_NUMBER, align="center")
                formula = f'IFERROR({formula},"")'
                if blank_if is not None:
                    formula = f'IF({blank_if}{row + i + 1}="","",{formula})'
                self.formula(xl_rowcol_to_cell(row + i, col + j), "=" + formula, value, fmt)
        return grid

    def mirror(self, cell: str, source: _Sheet, src_cell: str, grid, fmts, *, stale: str,
               header=None, margin: int = 0, cell_fmts=None):  # fmt: skip
        """A spilled result on ``source`` shown here cell by cell: ``=IF(src="","",src)``.

        LibreOffice recalculates array formulas on open (and cannot call xlwings functions),
        but keeps the stored values of single-cell formulas, even when they read cells of a
        spill: these mirrors show their numbers there, and stay live in Excel. ``grid`` is the
        build-time result (its size and stored values); ``margin`` blank rows follow it, for a
        longer result after the inputs change. A blank cell inside the result shows "–" (a
        stored empty text is recalculated by LibreOffice). ``fmts`` gives one format per
        column, ``header`` the first row's, ``cell_fmts`` ``{(i, j): format}`` overrides.

        ``stale`` is the State cell that is 1 when the functions do not run and an input the
        result depends on changed since the file was saved: the mirror is then blank (a
        mirror of a spill that cannot recalculate keeps its old number otherwise). A spill
        that is an error (the functions missing, the file recalculated) shows blank too:
        ``=IF(stale=1,"",IFERROR(IF(src="","",src),""))``.
        """
        row, col = xl_cell_to_rowcol(cell)
        r0, c0 = xl_cell_to_rowcol(src_cell)
        width = max(len(r) for r in grid)
        for i in range(len(grid) + margin):
            for j in range(width):
                inside = i < len(grid)
                value = grid[i][j] if inside and j < len(grid[i]) else None
                src = source._prefix() + xl_rowcol_to_cell(r0 + i, c0 + j)
                fmt = header if i == 0 and header is not None else fmts[j]
                fmt = (cell_fmts or {}).get((i, j), fmt)
                blank, read = '""', src
                if isinstance(value, bool):
                    read, value = src + "*1", float(value)
                    fmt = self.book.fmt("plain", BOOL_NUMBER, align="center")
                elif inside and value in (None, ""):
                    blank, value = '"–"', "–"
                elif value is None:
                    value = ""
                formula = f'=IF({stale}=1,"",IFERROR(IF({src}="",{blank},{read}),""))'
                self.formula(xl_rowcol_to_cell(row + i, col + j), formula, value, fmt)

    def vlines(self, cell: str, note: str, lines, ys: str, span) -> list:
        """Vertical lines for an XY chart, as two-point series: ``note`` in ``cell``, an x/y
        header below it, then two rows per ``(x cell, x value)`` of ``lines``: x that cell's
        number (blank otherwise), y the lowest and the highest of the ``ys`` ranges (``span``:
        their build-time values). Returns each line's ``(x range, y range)`` for a series."""
        row, col = xl_cell_to_rowcol(cell)
        x, y = xl_col_to_name(col), xl_col_to_name(col + 1)
        f, prefix = self.book.fmt, "=" + self._prefix()
        self.text(cell, note, "note")
        self.header_row(xl_rowcol_to_cell(row + 1, col), ["x", "y"])
        out = []
        for k, (src, value) in enumerate(lines):
            r = row + 3 + 2 * k  # 1-based: the rows below the header
            for rr, m, level in ((r, "MIN", span[0]), (r + 1, "MAX", span[1])):
                self.formula(f"{x}{rr}", f'=IF(ISNUMBER({src}),{src},"")', value,
                             f("calc", "#,##0.00"))  # fmt: skip
                self.formula(f"{y}{rr}", f'=IF(COUNT({ys})=0,"",{m}({ys}))', level,
                             f("calc", MONEY))  # fmt: skip
            out.append((f"{prefix}${x}${r}:${x}${r + 1}", f"{prefix}${y}${r}:${y}${r + 1}"))
        return out

    def check(self, cell: str, plain: str, xlgex: str, value: str, *, blank_if=None) -> str:
        """OK when the plain-Excel and xlgex numbers agree, MISMATCH only when both are numbers
        that differ; "xlgex not running" when the xlgex cell holds no number (a blank: its
        function could not run), "xlgex message" when it holds xlgex's one-line reason."""
        formula = (f'=IF(AND(ISNUMBER({plain}),ISNUMBER({xlgex})),IF(ABS({plain}-{xlgex})<1E-9,'
                   f'"OK","MISMATCH"),IF(LEFT({xlgex}&"",6)="xlgex:","xlgex message",'
                   f'"xlgex not running"))')
        if blank_if is not None:  # a row past the end of its table
            formula = f'=IF({blank_if}="","",{formula[1:]})'
        return self.formula(cell, formula, value, self.book.fmt("check"))

    def check_formats(self, cells: str) -> None:
        """Green when OK, red when MISMATCH, grey otherwise (xlgex not running, a message)."""
        first = cells.split(":")[0].replace("$", "")
        row, col = xl_cell_to_rowcol(first)
        anchor = f"${xl_col_to_name(col)}{row + 1}"
        ok, bad = self.book.check_colours()
        self.ws.conditional_format(cells, {"type": "formula", "criteria": f'={anchor}="OK"',
                                           "format": ok})  # fmt: skip
        self.ws.conditional_format(cells, {"type": "formula",
                                           "criteria": f'={anchor}="MISMATCH"',
                                           "format": bad})  # fmt: skip

    def banner(self, cell: str = "A4", keys=None) -> None:
        """The line that says when the xlgex functions are not running (plain formulas).

        Blank while they run. Otherwise it says the numbers are those saved with the file, or,
        once an input in ``keys`` (None: this sheet's own inputs) changed, that the numbers
        depending on it are hidden. See :class:`_State`.
        """
        state = self.book.state
        if keys is None:
            keys = [key for key, owner in state.owners.items() if owner == self.name]
        stale = state.stale(keys)
        formula = f'=IF({state.running}=1,"",IF({stale}=1,"{BANNER_STALE}","{BANNER_SAVED}"))'
        self.formula(cell, formula, "", self.book.fmt("banner"))

    def header_row(self, cell: str, labels) -> None:
        row, col = xl_cell_to_rowcol(cell)
        for j, label in enumerate(labels):
            self._write_value(row, col + j, label, self.book.fmt("header"))

    def top(self, title: str, instruction: str, source: str | None = None) -> None:
        """Title, the one-line instruction, and the source line."""
        self.text("A1", title, "title")
        self.text("A2", instruction, "instruction")
        if source:
            self.text("A3", source, "source")
        self.ws.set_row(0, 24)

    def dropdown(self, cell: str, choices) -> None:
        self.ws.data_validation(cell, {
            "validate": "list", "source": list(choices),
            "input_title": "Choose one", "input_message": "Pick from the list",
        })  # fmt: skip


BANNER_SAVED = ("xlgex functions not running here: the numbers below are those saved with the "
                "file, for the inputs as saved (blank where this app recalculated them).")
BANNER_STALE = ("xlgex functions not running here, and inputs changed since the file was saved: "
                "the xlgex numbers that depend on them are hidden (blank); plain-Excel cells "
                "still work.")


class _State:
    """The hidden ``State`` sheet: is xlgex running, and which inputs changed since saving.

    * ``running`` (B3) is 1 while the xlgex functions run: ``=IF(ISERROR(HEDGE_TRADE(1,0)
      +0*NOW()+0*SUM(flags)),0,1)``. ``NOW()`` makes the cell volatile, so it is evaluated
      when the file opens and after every edit; where the functions are missing it is 0.
      Only the banners read it: LibreOffice recalculates everything downstream of a volatile
      cell when it opens a file, which would blank every stored number.
    * one row per watched input: the value saved with the file (a constant) and a flag,
      1 once the input differs (``=IF(input&""=saved&"",0,1)``, so a blank and a 0 differ);
      a chain range is watched through its sum and count.
    * ``stale(keys)``: 1 when a watched input among ``keys`` changed and xlgex is not running
      (``=IF(SUM(flags)=0,0,IF(ISERROR(HEDGE_TRADE(1,0)),1,0))``, reading only those flags,
      so an edit elsewhere recalculates nothing that depends on it); mirrors of spills and
      the plain formulas fed by them show blank then, and :meth:`_Sheet.banner` says so.
      While xlgex runs, every number is live and none is stale.
    """

    FIRST, LAST = 8, 80

    def __init__(self, book: _Book):
        sh = self.sheet = book.sheet("State")
        sh.ws.hide()
        sh.top("State: is xlgex running, and did an input change since the file was saved?",
               "Nothing to change here: the banners and the blank-when-stale cells read it.")
        sh.text("A3", "xlgex running (1) or not (0)")
        flags = f"B{self.FIRST}:B{self.LAST}"
        sh.formula("B3", f"=IF(ISERROR(HEDGE_TRADE(1,0)+0*NOW()+0*SUM({flags})),0,1)", 1.0,
                   book.fmt("calc", "0"))  # fmt: skip
        self.running = "State!$B$3"
        sh.header_row(f"A{self.FIRST - 1}", ["input", "changed (1)", "saved value", "saved count"])
        self.flags: dict = {}
        self.owners: dict = {}  # key -> the sheet whose input it is
        self._stale: dict = {}
        self._row = self.FIRST
        sh.ws.set_column("A:A", 44)
        sh.ws.set_column("B:D", 16)

    def _next(self, key: str, label: str) -> int:
        if key in self.flags or self._row > self.LAST:
            raise ValueError(f"State: {key!r} watched twice or too many inputs")
        row, self._row = self._row, self._row + 1
        self.sheet.text(f"A{row}", label)
        self.flags[key] = f"State!$B${row}"
        return row

    def watch(self, key: str, sheet: _Sheet, cell: str) -> None:
        """Watch the input ``cell`` of ``sheet`` (its current value is the saved one)."""
        row = self._next(key, f"{sheet.name}!{cell}")
        self.owners[key] = sheet.name
        cell = cell.replace("$", "")
        src = sheet._prefix() + xl_rowcol_to_cell(*xl_cell_to_rowcol(cell), True, True)
        self.sheet.put(f"C{row}", sheet.at(cell), self.sheet.book.fmt())
        self.sheet.formula(f"B{row}", f'=IF({src}&""=C{row}&"",0,1)', 0.0)

    def watch_range(self, key: str, ref: str, rows) -> None:
        """Watch a range (``ref``, e.g. a defined name) holding ``rows`` (all of them, header
        included): its sum and its count of non-blank cells."""
        row = self._next(key, ref)
        cells = [v for r in rows for v in r if v not in (None, "")]
        numbers = [_serial(v) if isinstance(v, dt.datetime) else v for v in cells
                   if not isinstance(v, (str, bool))]  # fmt: skip
        self.sheet.put(f"C{row}", math.fsum(numbers))
        self.sheet.put(f"D{row}", float(len(cells)))
        self.sheet.formula(f"B{row}", f"=IF(OR(ABS(SUM({ref})-C{row})>1E-12*ABS(C{row})+1E-9,"
                           f"COUNTA({ref})<>D{row}),1,0)", 0.0)  # fmt: skip

    def stale(self, keys=None) -> str:
        """The cell that is 1 when xlgex is not running and one of ``keys`` (None: all) changed."""
        keys = tuple(self.flags) if keys is None else tuple(keys)
        if keys not in self._stale:
            row = self.LAST + 2 + len(self._stale)
            self.sheet.text(f"A{row}", "stale: " + ", ".join(keys))
            flags = ",".join(self.flags[k].replace("State!", "") for k in keys)
            self.sheet.formula(f"B{row}", f"=IF(SUM({flags})=0,0,IF(ISERROR(HEDGE_TRADE(1,0)),"
                               "1,0))", 0.0)  # fmt: skip
            self._stale[keys] = f"State!$B${row}"
        return self._stale[keys]


def _libreoffice_spills(sheet: str) -> str:
    """The About line of a workbook whose spills are on the hidden ``sheet``, mirrored elsewhere."""
    return (f"LibreOffice (or Excel without the add-in) opens this workbook with its stored "
            f"values, except the hidden {sheet} sheet: LibreOffice recalculates array formulas "
            f"when it opens a file and cannot call xlwings functions, so the spilled tables on "
            f"{sheet} show #NAME? there. The other sheets read them with single-cell formulas "
            f"(=IF(State!$B$82=1,\"\",IFERROR(IF({sheet}!J7=\"\",\"\",{sheet}!J7),\"\"))), "
            "which keep their stored values, and the charts plot those cells. A red line at the "
            "top of a sheet says when the xlgex functions are not running; once you change an "
            "input there, the numbers that depend on it turn blank instead of staying stale "
            "(the hidden State sheet keeps the inputs as saved and compares).")


def _about(book: _Book, purpose: str, lines, sources, libreoffice: str) -> None:
    """A short 'About' sheet: what the workbook is and how to switch its functions on.

    ``libreoffice`` is the line on how the workbook reads in LibreOffice.
    """
    sh = book.sheet("About")
    sh.top("About this workbook", "Nothing to change here: this sheet explains how to use "
           "the others.")  # fmt: skip
    sh.text("A4", purpose, "output")
    _wrap(sh, 4, purpose, book.fmt("output", text_wrap=True, valign="top"))
    row = 6
    steps = [
        "How to make the functions live (Windows Excel with xlwings):",
        "1. Install xlgex into a virtual environment as its README says (pip install . in "
        "its folder; it brings xlwings), then, in that environment: xlwings addin install",
        "2. Save this file as .xlsm; in Excel allow 'Trust access to the VBA project object "
        "model' (Trust Center > Macro Settings).",
        "3. On the xlwings ribbon tab click 'Import Functions' (the xlwings.conf sheet already "
        "says UDF Modules = xlgex.udfs).",
        "4. Change the yellow cells; every xlgex formula recalculates.",
        "Until then each formula cell shows the value xlgex calculated when this template was "
        "built (Excel, file previewers, Python readers), and a red line at the top of each "
        "sheet says the functions are not running; numbers that depend on an input changed "
        "since turn blank (step 3 makes them live).",
        libreoffice,
        "Excel on a Mac or the web: xlwings Lite (see the README); or, on any machine, "
        "`xlgex report chain.csv -o report.xlsx` writes a values-only report.",
    ]
    wrapped = book.fmt("text", text_wrap=True, valign="top")
    for line in steps:
        sh.text(f"A{row}", line, "section" if line.endswith(":") else "text")
        _wrap(sh, row, line, wrapped)
        row += 1
    row += 1
    for line in lines:
        sh.text(f"A{row}", line)
        _wrap(sh, row, line, wrapped)
        row += 1
    row += 1
    sh.text(f"A{row}", "Sources:", "section")
    for source in sources:
        row += 1
        sh.text(f"A{row}", source)
        _wrap(sh, row, source, wrapped)
    sh.ws.set_column("A:A", ABOUT_WIDTH)
    sh.ws.fit_to_pages(1, 0)


ABOUT_WIDTH = 100
"""Width of the About sheet's text column; a longer line wraps inside it."""


def _wrap(sh, row: int, line: str, fmt) -> None:
    """A long About line wrapped inside column A, its row tall enough for every line (set
    explicitly: not every application fits a row's height to wrapped text)."""
    per_line = ABOUT_WIDTH  # characters of 11-point text per line, a little under
    if len(line) > per_line:
        sh.ws.write_string(row - 1, 0, line, fmt)
        sh.ws.set_row(row - 1, 15 * math.ceil(len(line) / per_line))



def _spot_axis(lo: float, hi: float) -> dict:
    """An XY chart's spot axis over [lo, hi] with round ticks, labels below the plot."""
    span = hi - lo
    unit = next(u for u in (10, 25, 50, 100, 250, 500, 1000, 2500) if span / u <= 12)
    return {"name": "spot", "num_format": "#,##0", "label_position": "low",
            "min": math.floor(lo / unit) * unit, "max": math.ceil(hi / unit) * unit,
            "major_unit": unit}  # fmt: skip



def _money_axis(num_format: str = MONEY_BN) -> dict:
    """A chart's $ value axis (``num_format``, $ billions by default) with light gridlines."""
    return {"num_format": num_format,
            "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}}  # fmt: skip


def _gex_bars(wb, categories: str, long_values: str, short_values: str, gap: int):
    """A stacked column chart: net GEX by strike, green where dealers are long gamma."""
    chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for name, values, colour in (("dealers long gamma (net > 0)", long_values, LONG_COLOUR),
                                 ("dealers short gamma (net < 0)", short_values, SHORT_COLOUR)):
        chart.add_series({
            "name": name, "categories": categories, "values": values,
            "fill": {"color": colour}, "border": {"none": True}, "gap": gap, "overlap": 100,
        })  # fmt: skip
    return chart


def _profile_chart(wb, xs: str, ys: str, markers, title: str, x_span, size):
    """A net-GEX-against-spot line chart with dashed vertical marker lines (flip, spot).

    ``xs``/``ys`` are the profile's ranges; ``markers`` are ``(name, x range, y range,
    colour)`` of two-point series.
    """
    chart = wb.add_chart({"type": "scatter", "subtype": "straight"})
    chart.add_series({
        "name": "net GEX", "categories": xs, "values": ys,
        "line": {"color": PROFILE_COLOUR, "width": 2.25}, "marker": {"type": "none"},
    })  # fmt: skip
    for name, mx, my, colour in markers:
        chart.add_series({
            "name": name, "categories": mx, "values": my,
            "line": {"color": colour, "width": 1.75, "dash_type": "dash"},
            "marker": {"type": "none"},
        })  # fmt: skip
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_x_axis(_spot_axis(*x_span))
    chart.set_y_axis(_money_axis())
    chart.set_legend({"position": "bottom"})
    chart.set_size(size)
    return chart
