"""Build the template workbooks in ``workbooks/`` with XlsxWriter (``xlgex workbooks``).

Three templates, each a plain ``.xlsx`` with an ``xlwings.conf`` sheet (``UDF Modules`` =
``xlgex.udfs``):

* ``xlgex_hedging.xlsx``: the delta-hedging walkthroughs of "Inside the Machine: How Market
  Makers Actually Hedge Gamma" and Unusual Whales' "How To Interpret Periscope Net Gamma
  Exposure", one sheet each, every trade worked out in plain Excel beside ``=HEDGE_TRADE()``,
  and a rehedge ladder with a tolerance band (``=HEDGE_LADDER()``);
* ``xlgex_dashboard.xlsx``: the bundled sample chain as an Excel Table, and a dashboard of
  ``GEX_STRIKE``, ``GEX_FLIP``, ``GEX_REGIME``, ``GEX_WALLS``, ``GEX_INFO``, ``GEX_PROFILE``
  with native charts;
* ``xlgex_whatif.xlsx``: net GEX, the flip and the dealer hedge under spot shocks, vol shifts
  and clock rolls, and the profile before and after the 0DTE expiry.

Every formula cell stores the value xlgex computes for it at build time (spilled results:
the dynamic-array formula in the anchor, the values in the spill cells), so a template reads
correctly before its functions are imported: in Excel, in file previewers, in Python readers.
The values come from calling the worksheet functions of :mod:`xlgex.udfs` with the cells'
contents, exactly as Excel would pass them. The workbook does not ask Excel for a full
recalculation on load (no ``fullCalcOnLoad``, the current ``calcId``), so the stored values stay
until an input changes. LibreOffice always recalculates array formulas on load (its OOXML import
sets matrix cells without their cached results), so there spilled results show ``#NAME?``;
single-cell formulas keep their stored values when these are numbers or text (a stored
TRUE/FALSE, or an empty text, is recalculated too), even when they read cells of a spill.
The hedging workbook therefore has no spills:
its tables are read cell by cell, ``=INDEX(HEDGE_TRADE(..., TRUE),k,2)`` and
``=INDEX(HEDGE_LADDER(...),r,c)`` (:meth:`_Sheet.udf_cells`; HEDGE_TRADE and HEDGE_LADDER need
no chain, so one call per cell is cheap), with the fixed labels and headers as plain text, and
it reads correctly in LibreOffice too. The dashboard and what-if keep their spills (live in
Excel) on a sheet of their own (``Live``, ``Workings``) and show them on the visible sheets
with single-cell mirrors, ``=IF(Live!J7="","",Live!J7)`` (:meth:`_Sheet.mirror`), sized to
the build-time result plus 20% blank rows for the chain-dependent tables; the charts plot the
mirrors, so these workbooks read correctly in LibreOffice except their spill sheet.

Rebuilds are deterministic: fixed document properties, fixed zip timestamps (XlsxWriter), and
values from deterministic code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from .conventions import CONVENTIONS, DEFAULT_CONVENTION, ES_POINT_VALUE, MES_POINT_VALUE

__all__ = [
    "build_all",
    "build_hedging",
    "build_dashboard",
    "build_whatif",
    "TEMPLATES",
    "BUILD_DATE",
    "CHAIN_NAME",
]

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

MONEY = '$#,##0.0,,"m";-$#,##0.0,,"m";$0.0"m"'
"""$ amounts shown in millions: 13,303.1m."""
MONEY_BN = '$#,##0.0,,,"bn";-$#,##0.0,,,"bn";$0"bn"'
MONEY_BN2 = '$#,##0.00,,,"bn";-$#,##0.00,,,"bn";$0.00"bn"'
DATETIME = "yyyy-mm-dd hh:mm"
BOOL_NUMBER = '"TRUE";"TRUE";"FALSE"'
"""A 1/0 shown as TRUE/FALSE (a TRUE/FALSE result read as a number)."""
DATE = "yyyy-mm-dd"


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


class _Book:
    """An XlsxWriter workbook with the templates' formats and deterministic properties."""

    def __init__(self, path: Path, title: str, subject: str, *, created=BUILD_DATE,
                 comments="Built by `xlgex workbooks`; every formula cell stores its value."):
        self.path = Path(path)
        self.wb = xlsxwriter.Workbook(str(self.path))
        self.wb.set_properties({
            "title": title, "subject": subject, "author": "xlgex", "company": "xlgex",
            "comments": comments, "created": created,
        })  # fmt: skip
        # Keep the stored values on open: no fullCalcOnLoad, and the current engine id.
        self.wb.set_calc_mode("auto", calc_id=CALC_ID)
        self.wb.calc_on_load = False
        self._formats: dict = {}
        self.sheets: dict = {}

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
        ws = self.wb.add_worksheet("xlwings.conf")
        ws.write_string("A1", "UDF Modules")
        ws.write_string("B1", "xlgex.udfs")
        ws.write_string("D1", "xlwings reads its settings from columns A:B (UDF Modules = "
                        "xlgex.udfs); add e.g. Interpreter_Win in A2:B2 if you need it.",
                        self.fmt("instruction"))  # fmt: skip
        ws.set_column("A:A", 16)
        ws.set_column("B:B", 14)

    def close(self) -> Path:
        self.wb.close()
        return self.path


class _Sheet:
    """A worksheet that remembers what it holds, so formulas can be evaluated at build time."""

    def __init__(self, book: _Book, name: str):
        self.book, self.name = book, name
        self.ws = book.wb.add_worksheet(name)
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
        """A constant (number, text, bool, datetime or None for a formatted blank)."""
        row, col = xl_cell_to_rowcol(cell)
        self._write_value(row, col, value, fmt)
        return value

    def text(self, cell: str, value: str, kind: str = "text"):
        return self.put(cell, value, self.book.fmt(kind))

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

        ``fmts`` gives one format per result column (``fmt`` one for all), ``header`` the
        format of the result's first row. Returns the result as rows of cells.
        """
        from . import udfs

        args = [a if isinstance(a, _Arg) else _lit(a) for a in args]
        formula = f"={name}({','.join(a.text for a in args)})"
        grid = _grid(getattr(udfs, name)(*[a.value for a in args]))
        row, col = xl_cell_to_rowcol(cell)
        width = max(len(r) for r in grid)
        col_fmts = fmts if fmts is not None else [fmt] * width
        col_fmts = [f if f is not None else self.book.fmt() for f in col_fmts]
        if len(grid) == 1 and width == 1:
            self.formula(cell, formula, grid[0][0], col_fmts[0])
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

    def udf_cells(self, cell: str, name: str, *args, fmts, header=None, text_rows: int = 0,
                  text_cols: int = 0, blank_if: str | None = None):  # fmt: skip
        """``=NAME(args)`` laid out cell by cell, without a spill: ``=INDEX(NAME(args),r,c)``.

        LibreOffice recalculates every array formula when it opens a file (and cannot call
        xlwings functions), but keeps the stored values of single-cell formulas; read cell by
        cell, the result shows its numbers there too. The first ``text_rows`` rows (a header,
        in the ``header`` format) and the first ``text_cols`` columns (labels) are fixed by the
        function, so they are written as plain text. ``fmts`` gives one format per result
        column. A TRUE/FALSE cell is read as a number, ``=INDEX(...)*1`` shown as TRUE/FALSE
        by its number format: LibreOffice ignores a formula's stored TRUE/FALSE (it keeps only
        stored numbers and text) and would recalculate the cell to #NAME?. ``blank_if`` names a
        column (``"$B"``): a row whose cell there is blank shows "" (``=IF($B16="","",
        INDEX(...))``), as the shorter spill would. Returns the result as rows of cells.
        """
        from . import udfs

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
                if isinstance(value, bool):
                    formula, value = formula + "*1", float(value)
                    fmt = self.book.fmt("plain", BOOL_NUMBER, align="center")
                if blank_if is not None:
                    formula = f'IF({blank_if}{row + i + 1}="","",{formula})'
                self.formula(xl_rowcol_to_cell(row + i, col + j), "=" + formula, value, fmt)
        return grid

    def mirror(self, cell: str, source: _Sheet, src_cell: str, grid, fmts, *, header=None,
               margin: int = 0, cell_fmts=None):  # fmt: skip
        """A spilled result on ``source`` shown here cell by cell: ``=IF(src="","",src)``.

        LibreOffice recalculates array formulas on open (and cannot call xlwings functions),
        but keeps the stored values of single-cell formulas, even when they read cells of a
        spill: these mirrors show their numbers there, and stay live in Excel. ``grid`` is the
        build-time result (its size and stored values); ``margin`` blank rows follow it, for a
        longer result after the inputs change. A blank cell inside the result shows "–" (a
        stored empty text is recalculated by LibreOffice). ``fmts`` gives one format per
        column, ``header`` the first row's, ``cell_fmts`` ``{(i, j): format}`` overrides.
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
                self.formula(xl_rowcol_to_cell(row + i, col + j), f'=IF({src}="",{blank},{read})',
                             value, fmt)  # fmt: skip

    def check(self, cell: str, plain: str, xlgex: str, value: str) -> str:
        """A cell that says OK when the plain-Excel and xlgex numbers agree, else MISMATCH."""
        formula = f'=IFERROR(IF(ABS({plain}-{xlgex})<1E-9,"OK","MISMATCH"),"MISMATCH")'
        return self.formula(cell, formula, value, self.book.fmt("check"))

    def check_formats(self, cells: str) -> None:
        """Green when OK, red when anything else (a mismatch or an error)."""
        first = cells.split(":")[0].replace("$", "")
        row, col = xl_cell_to_rowcol(first)
        anchor = f"${xl_col_to_name(col)}{row + 1}"
        ok, bad = self.book.check_colours()
        self.ws.conditional_format(cells, {"type": "formula", "criteria": f'={anchor}="OK"',
                                           "format": ok})  # fmt: skip
        self.ws.conditional_format(cells, {"type": "formula", "criteria": f'={anchor}<>"OK"',
                                           "format": bad})  # fmt: skip

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


def _libreoffice_spills(sheet: str) -> str:
    """The About line of a workbook whose spills are on ``sheet``, mirrored elsewhere."""
    return (f"LibreOffice opens this workbook with its stored values, except the {sheet} sheet: "
            "LibreOffice recalculates array formulas when it opens a file and cannot call "
            f"xlwings functions, so the spilled tables on {sheet} show #NAME? there. The other "
            f"sheets read them with single-cell formulas (=IF({sheet}!J7=\"\",\"\",{sheet}!J7)), "
            "which keep their stored values, and the charts plot those cells; once you change "
            "an input in LibreOffice, the xlgex cells that depend on it show #NAME?.")


def _about(book: _Book, purpose: str, lines, sources, libreoffice: str) -> None:
    """A short 'About' sheet: what the workbook is and how to switch its functions on.

    ``libreoffice`` is the line on how the workbook reads in LibreOffice.
    """
    sh = book.sheet("About")
    sh.top("About this workbook", "Nothing to change here: this sheet explains how to use "
           "the others.")  # fmt: skip
    sh.text("A4", purpose, "output")
    row = 6
    steps = [
        "How to make the functions live (Windows Excel with xlwings):",
        "1. pip install xlgex xlwings, then: xlwings addin install",
        "2. Save this file as .xlsm; in Excel allow 'Trust access to the VBA project object "
        "model' (Trust Center > Macro Settings).",
        "3. On the xlwings ribbon tab click 'Import Functions' (the xlwings.conf sheet already "
        "says UDF Modules = xlgex.udfs).",
        "4. Change the yellow cells; every xlgex formula recalculates.",
        "Until then each formula cell shows the value xlgex calculated when this template was "
        "built (Excel, file previewers, Python readers). If cells show #NAME?, the functions "
        "are not imported yet (step 3).",
        libreoffice,
        "No xlwings (e.g. on a Mac)? `xlgex report chain.csv -o report.xlsx` writes a "
        "values-only report.",
    ]
    for line in steps:
        sh.text(f"A{row}", line, "section" if line.endswith(":") else "text")
        row += 1
    row += 1
    for line in lines:
        sh.text(f"A{row}", line)
        row += 1
    row += 1
    sh.text(f"A{row}", "Sources:", "section")
    for source in sources:
        row += 1
        sh.text(f"A{row}", source)
    sh.ws.set_column("A:A", 120)


# --------------------------------------------------------------------------- hedging


def _walkthrough(book: _Book, name: str, spec: dict) -> None:
    """One hedging walkthrough: inputs, the steps in plain Excel and HEDGE_TRADE, checks."""
    sh, f = book.sheet(name), book.fmt
    sh.top(spec["title"],
           "Change the yellow cells: each trade is worked out in plain Excel (column H) and by "
           "=HEDGE_TRADE (column I); column J turns red if they disagree.",
           spec["source"])  # fmt: skip
    sh.text("A5", "Inputs", "section")
    addr = {}
    for i, (key, label, value, num_format, note) in enumerate(spec["inputs"]):
        row = 6 + i
        sh.text(f"A{row}", label, "label")
        addr[key] = f"$B${row}"
        if key == "units":
            units = HEDGES[sh.at(addr["hedge"])]
            sh.formula(f"B{row}", f'=IF({addr["hedge"]}="ES",50,IF({addr["hedge"]}="MES",5,1))',
                       units, f("calc", "0"))  # fmt: skip
        else:
            sh.put(f"B{row}", value, f("input", num_format))
        if key == "hedge":
            sh.dropdown(f"B{row}", HEDGES)
        if note:
            sh.text(f"C{row}", note, "note")
    row = 6 + len(spec["inputs"])
    v = {key: sh.at(cell) for key, cell in addr.items() if key != "units"}
    v["units"] = HEDGES[v["hedge"]]
    row = spec["facts"](sh, row, addr, v)

    top = row + 1
    sh.text(f"A{top}", "Steps", "section")
    head = top + 1
    move_label = spec["move_label"]
    sh.header_row(f"A{head}", [
        "Step", "What happens", move_label, "Option delta now (per option)",
        "Dealer delta (units of underlying)", f"Hedge held before ({v['hedge']})",
        "Net delta before the trade", f"Trade, plain Excel ({v['hedge']}; + buy, − sell)",
        f"Trade, xlgex =HEDGE_TRADE ({v['hedge']})", "Check", f"Hedge held after ({v['hedge']})",
        "The document says",
    ])  # fmt: skip
    sh.ws.set_row(head - 1, 45)
    first = head + 1
    details = []
    for i, step in enumerate(spec["steps"]):
        r = first + i
        sh.text(f"A{r}", step["label"])
        sh.text(f"B{r}", step["what"])
        delta_arg = spec["step_cells"](sh, r, addr, v, step)
        delta_now = sh.at(f"D{r}")
        position = v["contracts"] * delta_now * v["multiplier"]
        sh.formula(f"E{r}", f"={addr['contracts']}*D{r}*{addr['multiplier']}", position,
                   f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        if step["held_from"] is None:
            held = sh.put(f"F{r}", 0.0, f("calc", "#,##0;-#,##0;0"))
        else:
            src = f"$K${first + step['held_from']}"
            held = sh.formula(f"F{r}", f"={src}", sh.at(src), f("calc", "#,##0;-#,##0;0"))
        sh.formula(f"G{r}", f"=E{r}+F{r}*{addr['units']}", position + held * v["units"],
                   f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        plain = _xl_round(-position / v["units"]) - held
        sh.formula(f"H{r}", f"=ROUND(-E{r}/{addr['units']},0)-F{r}", plain,
                   f("output", "+#,##0;-#,##0;0"))  # fmt: skip
        args, detail_args = spec["trade_args"](sh, r, addr, delta_arg)
        (trade,), = sh.udf(f"I{r}", "HEDGE_TRADE", *args, fmt=f("output", "+#,##0;-#,##0;0"))
        ok = "OK" if isinstance(trade, float) and abs(plain - trade) < 1e-9 else "MISMATCH"
        sh.check(f"J{r}", f"H{r}", f"I{r}", ok)
        sh.formula(f"K{r}", f"=F{r}+I{r}", held + trade, f("calc", "#,##0;-#,##0;0"))
        sh.text(f"L{r}", step["doc"], "note")
        details.append((step["label"], detail_args))
    last = first + len(spec["steps"]) - 1
    sh.check_formats(f"J{first}:J{last}")

    row = last + 2
    sh.text(f"A{row}", "The same trades with =HEDGE_TRADE(..., details TRUE): the whole "
            "decision, one line per cell (=INDEX(HEDGE_TRADE(..., TRUE), line, 2))",
            "section")  # fmt: skip
    for i, (label, args) in enumerate(details):
        col = 3 * i
        sh.text(xl_rowcol_to_cell(row, col), f"Step {label}", "header")
        sh.udf_cells(xl_rowcol_to_cell(row + 1, col), "HEDGE_TRADE", *args, text_cols=1,
                     fmts=[f("label"), f("output", "#,##0.####")])  # fmt: skip
    sh.text(f"A{row + 11}", spec["footnote"], "note")
    if spec.get("slip"):
        sh.text(f"A{row + 12}", spec["slip"], "note")
    sh.ws.set_column("A:A", 46)
    sh.ws.set_column("B:B", 46)
    sh.ws.set_column("C:C", 16)
    sh.ws.set_column("D:K", 14)
    sh.ws.set_column("L:L", 46)
    sh.ws.freeze_panes(head, 0)


def _spx_spec(kind: str) -> dict:
    """The two SPX walkthroughs of "How To Interpret Periscope Net Gamma Exposure"."""
    short = kind == "short"
    contracts, delta, gamma, spot = (-200, -0.25, 0.01, 5875) if short else (50, 0.40, 0.02, 5975)
    option = "SPX 5700P" if short else "SPX 6050C"
    if short:
        docs = ["sell 100 ES (dealer delta +5,000)",
                "sell 4 more ES (delta −0.26, dealer delta +5,200)",
                "buy back 4 ES (delta −0.24, dealer delta +4,800)"]  # fmt: skip
    else:
        docs = ["sell 40 ES (dealer delta +2,000)",
                "buy back 2 ES (delta +0.38, dealer delta +1,900)",
                "sell 2 more ES (delta +0.42, dealer delta +2,100)"]  # fmt: skip

    def facts(sh, row, addr, v):
        f = sh.book.fmt
        sh.text(f"A{row}", "Dealer gamma (units of underlying per 1.00 move)")
        gamma_units = v["contracts"] * v["gamma"] * v["multiplier"]
        sh.formula(f"B{row}", f"={addr['contracts']}*{addr['gamma']}*{addr['multiplier']}",
                   gamma_units, f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        text = ("short gamma: the hedge trades WITH the move (amplifies)" if gamma_units < 0
                else "long gamma: the hedge trades AGAINST the move (dampens)")  # fmt: skip
        sh.formula(f"C{row}", f'=IF(B{row}<0,"short gamma: the hedge trades WITH the move '
                   f'(amplifies)","long gamma: the hedge trades AGAINST the move (dampens)")',
                   text, f("output"))  # fmt: skip
        return row + 1

    def step_cells(sh, r, addr, v, step):
        f = sh.book.fmt
        sh.put(f"C{r}", step["move"], f("input", "+0.00;-0.00;0"))
        value = v["delta"] + v["gamma"] * step["move"]
        sh.formula(f"D{r}", f"={addr['delta']}+{addr['gamma']}*C{r}", value, f("calc", "0.00"))
        return None

    def trade_args(sh, r, addr, _):
        common = [sh.ref(addr["contracts"]), sh.ref(addr["delta"]), sh.ref(addr["multiplier"]),
                  sh.ref(addr["hedge"]), sh.ref(f"F{r}"), sh.ref(addr["gamma"]),
                  sh.ref(f"C{r}")]  # fmt: skip
        return common, [*common, 0.0, "", True]

    role = "short 200 (the customer bought them)" if short else "long 50 (the customer sold them)"
    return {
        "title": f"{option}: dealer {role}, hedged with ES — "
                 f"{'short' if short else 'long'} gamma",
        "source": "Source: Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\", "
                  f"Delta Hedging: {'Negative' if short else 'Positive'} Gamma.",
        "inputs": [
            ("contracts", "Dealer position (contracts; + long, − short)", float(contracts),
             "+#,##0;-#,##0", "signed: −200 = the dealer sold 200"),
            ("delta", "Option delta at the start (per option)", delta, "+0.00;-0.00", None),
            ("gamma", "Option gamma (delta change per 1.00 SPX move)", gamma, "0.000", None),
            ("multiplier", "Contract multiplier (index units per contract)", 100.0, "0", None),
            ("hedge", "Hedge instrument", "ES", None, "ES = $50 per SPX point"),
            ("units", "Index units per hedge unit", None, None, "from the instrument: ES 50, "
             "MES 5, shares 1"),
            ("spot", "SPX at the start", float(spot), "#,##0.00", "for reference"),
        ],
        "facts": facts,
        "move_label": "SPX move (points)",
        "steps": [
            {"label": "1", "what": f"Dealer {'sells' if short else 'buys'} the {option}s and "
             "hedges from flat", "move": 0.0, "held_from": None, "doc": docs[0]},
            {"label": "2a", "what": "SPX falls 1 point (from the step-1 book)", "move": -1.0,
             "held_from": 0, "doc": docs[1]},
            {"label": "2b", "what": "SPX rises 1 point instead (from the step-1 book)",
             "move": 1.0, "held_from": 0, "doc": docs[2]},
        ],
        "step_cells": step_cells,
        "trade_args": trade_args,
        "footnote": "Delta after a move = delta + gamma × move (the document's linear step); "
                    "HEDGE_TRADE gets gamma and the move and does the same. Trades are whole "
                    "ES contracts, halves rounded away from zero.",
        "slip": None if short else (
            "Note: one line of the document says the dealer's inventory is \"long 200\" of the "
            "6050Cs. That is a slip: the customer sold 50 contracts and every number after it "
            "(+2,000 delta, 40 ES) uses 50, as this sheet does."
        ),
    }  # fmt: skip


def _spy_spec() -> dict:
    """Part 1 of "Inside the Machine": SPY 450C sold to a customer, hedged with shares."""

    def facts(sh, row, addr, v):
        f = sh.book.fmt
        sh.text(f"A{row}", "Implied gamma (per $1, from the two deltas)")
        gamma = (v["delta_after"] - v["delta"]) / (v["spot_after"] - v["spot"])
        sh.formula(f"B{row}", f"=({addr['delta_after']}-{addr['delta']})/"
                   f"({addr['spot_after']}-{addr['spot']})", gamma, f("calc", "0.000"))
        sh.text(f"C{row}", "the Rehedge ladder sheet uses this gamma", "note")
        return row + 1

    def step_cells(sh, r, addr, v, step):
        f = sh.book.fmt
        src = addr[step["spot_key"]]
        sh.formula(f"C{r}", f"={src}", v[step["spot_key"]], f("calc", "#,##0.00"))
        src = addr[step["delta_key"]]
        sh.formula(f"D{r}", f"={src}", v[step["delta_key"]], f("calc", "0.00"))
        return sh.ref(f"D{r}")

    def trade_args(sh, r, addr, delta_arg):
        common = [sh.ref(addr["contracts"]), delta_arg, sh.ref(addr["multiplier"]),
                  sh.ref(addr["hedge"]), sh.ref(f"F{r}")]  # fmt: skip
        return common, [*common, "", 0.0, 0.0, "", True]

    return {
        "title": "SPY 450C: dealer short 100 calls, hedged with shares",
        "source": "Source: \"Inside the Machine: How Market Makers Actually Hedge Gamma\", "
                  "Part 1: The Delta-Neutral Imperative.",
        "inputs": [
            ("contracts", "Dealer position (contracts; + long, − short)", -100.0,
             "+#,##0;-#,##0", "a customer bought 100 calls, so the dealer is short 100"),
            ("delta", "Call delta at the sale (per option)", 0.35, "0.00", None),
            ("delta_after", "Call delta after the rally", 0.50, "0.00", None),
            ("multiplier", "Contract multiplier (shares per contract)", 100.0, "0", None),
            ("hedge", "Hedge instrument", "shares", None, None),
            ("units", "Shares per hedge unit", None, None, "from the instrument: shares 1"),
            ("spot", "SPY at the sale ($)", 445.0, "#,##0.00", None),
            ("spot_after", "SPY two days later ($)", 448.0, "#,##0.00", None),
        ],
        "facts": facts,
        "move_label": "SPY price ($)",
        "steps": [
            {"label": "1", "what": "Dealer sells 100 calls and hedges from flat",
             "spot_key": "spot", "delta_key": "delta", "held_from": None,
             "doc": "buy 3,500 shares (dealer delta −3,500)"},
            {"label": "2", "what": "SPY rallies to $448; delta 0.35 → 0.50",
             "spot_key": "spot_after", "delta_key": "delta_after", "held_from": 0,
             "doc": "net delta −1,500: buy another 1,500 shares"},
        ],
        "step_cells": step_cells,
        "trade_args": trade_args,
        "footnote": "The document gives the delta after the rally (0.50) directly, so both "
                    "steps pass the current delta to HEDGE_TRADE; a short-call dealer buys as "
                    "SPY rises (short gamma).",
    }  # fmt: skip


LADDER_PATH = (445.0, 445.5, 446.0, 446.5, 447.0, 447.5, 448.0, 447.0, 446.0, 445.5, 445.0,
               444.0, 443.0, 442.0)  # fmt: skip
"""Spot path of the rehedge ladder: a rally through $448 and back down."""


def _ladder(book: _Book) -> None:
    """A rehedge ladder with a band ("Inside the Machine", Part 4) and its plain-Excel twin."""
    sh, f = book.sheet("Rehedge ladder"), book.fmt
    sh.top("Rehedge ladder with a tolerance band: dealer short 100 SPY 450C",
           "Change the yellow cells: the position, the band, and the spot path in column B "
           "(blank cells at the end of the path are skipped).",
           "Source: \"Inside the Machine: How Market Makers Actually Hedge Gamma\", Part 4 "
           "(tolerance bands) with the Part 1 position.")  # fmt: skip
    sh.text("A5", "Inputs", "section")
    inputs = [
        ("contracts", "Dealer position (contracts; + long, − short)", -100.0, "+#,##0;-#,##0",
         None),
        ("delta", "Call delta at step 0 (per option)", 0.35, "0.00", None),
        ("gamma", "Call gamma (delta change per $1)", 0.05, "0.000",
         "0.35 → 0.50 from $445 to $448, as in Part 1"),
        ("multiplier", "Contract multiplier (shares per contract)", 100.0, "0", None),
        ("hedge", "Hedge instrument", "shares", None, None),
        ("units", "Shares per hedge unit", None, None, "from the instrument"),
        ("band", "Band (shares): trade only when |net delta| > band", 1000.0, "#,##0",
         "Part 4: a normal band is ±1,000–2,000 delta"),
    ]  # fmt: skip
    a, v = {}, {}
    for i, (key, label, value, num_format, note) in enumerate(inputs):
        row = 6 + i
        a[key] = f"$B${row}"
        sh.text(f"A{row}", label)
        if key == "units":
            v[key] = HEDGES[v["hedge"]]
            sh.formula(f"B{row}", f'=IF({a["hedge"]}="ES",50,IF({a["hedge"]}="MES",5,1))',
                       v[key], f("calc", "0"))  # fmt: skip
        else:
            v[key] = sh.put(f"B{row}", value, f("input", num_format))
        if key == "hedge":
            sh.dropdown(f"B{row}", HEDGES)
        if note:
            sh.text(f"C{row}", note, "note")

    sh.text("A14", "Ladder: =HEDGE_LADDER in C:K (one =INDEX(HEDGE_LADDER(...), row, column) "
            "per cell), the same decisions in plain Excel in M:R", "section")  # fmt: skip
    head, first = 15, 16
    last = first + len(LADDER_PATH) - 1
    sh.text(f"A{head}", "Spot path (edit the yellow cells) →", "header")
    sh.text(f"B{head}", "spot", "header")
    for i, spot in enumerate(LADDER_PATH):
        sh.put(f"B{first + i}", spot, f("input", "#,##0.00"))
    path = f"$B${first}:$B${last}"
    money = f("calc", "+#,##0;-#,##0;0")
    # Row 1 of the result is its header (plain text here); a blank spot blanks its row.
    ladder = sh.udf_cells(
        f"C{head}", "HEDGE_LADDER", sh.ref(a["contracts"]), sh.column(path), sh.ref(a["delta"]),
        sh.ref(a["gamma"]), "", "", "", "", sh.ref(a["multiplier"]), sh.ref(a["hedge"]),
        sh.ref(a["band"]),
        fmts=[f("calc", "0"), f("calc", "#,##0.00"), f("calc", "0.000"), money,
              f("output", "+#,##0;-#,##0;0"), money, f("calc"), money, money],
        header=f("header"), text_rows=1, blank_if="$B",
    )  # fmt: skip

    sh.header_row(f"M{head}", ["option delta", "position delta", "net delta before",
                               "trade, plain Excel", "hedge held", "check vs ladder"])  # fmt: skip
    held = 0.0
    for i in range(len(LADDER_PATH)):
        r = first + i
        spot = sh.at(f"B{r}")
        delta = max(-1.0, min(1.0, v["delta"] + v["gamma"] * (spot - LADDER_PATH[0])))
        sh.formula(f"M{r}", f'=IF(B{r}="","",MAX(-1,MIN(1,{a["delta"]}+{a["gamma"]}*'
                   f"(B{r}-$B${first}))))", delta, f("calc", "0.000"))  # fmt: skip
        position = v["contracts"] * delta * v["multiplier"]
        sh.formula(f"N{r}", f'=IF(B{r}="","",{a["contracts"]}*M{r}*{a["multiplier"]})',
                   position, money)  # fmt: skip
        before = position + held * v["units"]
        prev = "0" if i == 0 else f"Q{r - 1}"
        sh.formula(f"O{r}", f'=IF(B{r}="","",N{r}+{prev}*{a["units"]})', before, money)
        trade = _xl_round(-position / v["units"]) - held if abs(before) > v["band"] else 0.0
        sh.formula(f"P{r}", f'=IF(B{r}="","",IF(ABS(O{r})>{a["band"]},'
                   f'ROUND(-N{r}/{a["units"]},0)-{prev},0))', trade,
                   f("output", "+#,##0;-#,##0;0"))  # fmt: skip
        held += trade
        sh.formula(f"Q{r}", f'=IF(B{r}="","",{prev}+P{r})', held, money)
        ok = "OK" if abs(ladder[i + 1][4] - trade) < 1e-9 else "MISMATCH"
        sh.formula(f"R{r}", f'=IF(B{r}="","",IFERROR(IF(ABS(P{r}-G{r})<1E-9,"OK",'
                   f'"MISMATCH"),"MISMATCH"))', ok, f("check"))  # fmt: skip
    sh.check_formats(f"R{first}:R{last}")
    sh.text(f"A{last + 2}", "Each step: delta = delta0 + gamma × (spot − spot0), kept within "
            "±1; position delta = contracts × delta × multiplier; net delta before = position "
            "+ hedge carried in; trade to neutral only when |net| > band.", "note")
    sh.text(f"A{last + 3}", "P&L columns: the hedge's P&L and the gamma P&L (½ Γ dS² per step; "
            "negative for a short-gamma book on every move), $ cumulative.", "note")

    chart = book.wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "hedge held (shares)", "categories": f"='{sh.name}'!$C${first}:$C${last}",
        "values": f"='{sh.name}'!$H${first}:$H${last}",
        "fill": {"color": "#9DC3E6"}, "gap": 60,
    })  # fmt: skip
    line = book.wb.add_chart({"type": "line"})
    line.add_series({
        "name": "SPY ($)", "categories": f"='{sh.name}'!$C${first}:$C${last}",
        "values": f"='{sh.name}'!$D${first}:$D${last}", "y2_axis": True,
        "line": {"color": PROFILE_COLOUR, "width": 2.25}, "marker": {"type": "circle"},
    })  # fmt: skip
    chart.combine(line)
    chart.set_title({"name": "The band at work: hedge held (bars) as SPY moves (line)",
                     "name_font": {"size": 12}})  # fmt: skip
    chart.set_x_axis({"name": "step"})
    chart.set_y_axis({"name": "shares held", "num_format": "#,##0"})
    line.set_y2_axis({"name": "SPY ($)", "num_format": "0.0"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 320})
    sh.ws.insert_chart(f"A{last + 5}", chart)
    sh.ws.set_column("A:A", 44)
    sh.ws.set_column("B:B", 10)
    sh.ws.set_column("C:K", 12)
    sh.ws.set_column("L:L", 2)
    sh.ws.set_column("M:R", 13)
    sh.ws.set_row(head - 1, 32)


def build_hedging(path) -> Path:
    """``xlgex_hedging.xlsx``: the seed walkthroughs step by step, and a rehedge ladder."""
    book = _Book(path, "xlgex: delta-hedging walkthroughs",
                 "Dealer delta hedges step by step: plain Excel beside HEDGE_TRADE")  # fmt: skip
    _walkthrough(book, "SPY 450C shares", _spy_spec())
    _walkthrough(book, "SPX 5700P short gamma", _spx_spec("short"))
    _walkthrough(book, "SPX 6050C long gamma", _spx_spec("long"))
    _ladder(book)
    _about(book, "Delta-hedging walkthroughs: what a dealer trades after a fill and after each "
           "move, in plain Excel and with xlgex's HEDGE_TRADE and HEDGE_LADDER.", [
               "Signs: the dealer's position is signed (+ long, − short contracts); trades are "
               "+ buy, − sell, in hedge units (shares, or ES at 50 index units each).",
               "Short gamma (dealer sold options): the hedge trades with the move and amplifies "
               "it. Long gamma: the hedge trades against the move and dampens it.",
           ], [
               "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (Parts 1 and 4).",
               "Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\" (Delta "
               "Hedging: Negative Gamma, Positive Gamma).",
           ], libreoffice="LibreOffice opens this workbook with its stored values: it has no "
           "array formulas (LibreOffice recalculates those on open), as the HEDGE_TRADE details "
           "and the HEDGE_LADDER table are read one cell at a time with =INDEX(...). LibreOffice "
           "cannot call xlwings functions, so an xlgex cell there shows #NAME? once you change "
           "an input it depends on; the plain-Excel columns keep working.")  # fmt: skip
    book.conf_sheet()
    return book.close()


# --------------------------------------------------------------------------- chain sheet

CHAIN_FORMATS = {
    "Expiration": DATE, "Strike": "#,##0", "Open Interest": "#,##0", "IV": "0.0000",
    "Gamma": "0.000E+00", "Underlying Price": "#,##0.00", "Quote Time": DATETIME,
}  # fmt: skip
CHAIN_DATES = {"Expiration": "%Y-%m-%d", "Quote Time": "%Y-%m-%d %H:%M"}
CHAIN_TOP = 3
"""The chain table's header is on this row of the Chain sheet (1-based)."""


def _chain_rows(frame) -> list:
    """The chain as Excel holds it: a header row, numbers as floats, dates as datetimes."""
    rows = [list(frame.columns)]
    columns = list(frame.columns)
    for record in frame.itertuples(index=False, name=None):
        row = []
        for name, value in zip(columns, record, strict=True):
            if name in CHAIN_DATES and isinstance(value, str):
                value = dt.datetime.strptime(value, CHAIN_DATES[name])
            elif not isinstance(value, str):
                value = float(value)
            row.append(value)
        rows.append(row)
    return rows


def _chain_sheet(book: _Book, frame, label: str) -> _Arg:
    """The chain as an Excel Table named Chain; returns the ChainData argument."""
    sh, f = book.sheet("Chain"), book.fmt
    rows = _chain_rows(frame)
    sh.text("A1", f"{label}. To use your own chain, paste it (same columns) over this "
            "table's rows; if it is longer, point the name ChainData (Formulas > Name Manager) "
            "at the new range. Blank rows at the end are skipped.", "instruction")  # fmt: skip
    top = CHAIN_TOP - 1
    fmts = [f("plain", CHAIN_FORMATS.get(name)) for name in rows[0]]
    for i, row in enumerate(rows[1:], start=top + 1):
        for j, value in enumerate(row):
            sh._write_value(i, j, value, fmts[j])
    last_row, last_col = top + len(rows) - 1, len(rows[0]) - 1
    sh.ws.add_table(top, 0, last_row, last_col, {
        "name": "Chain", "style": "Table Style Light 9",
        "columns": [{"header": name, "format": fmts[j]} for j, name in enumerate(rows[0])],
    })  # fmt: skip
    for j, name in enumerate(rows[0]):
        sh.values[(top, j)] = name
    sh.ws.set_column(0, last_col, 14)
    sh.ws.freeze_panes(CHAIN_TOP, 0)
    ref = f"Chain!$A${CHAIN_TOP}:${xl_col_to_name(last_col)}${last_row + 1}"
    book.wb.define_name(CHAIN_NAME, "=" + ref)
    return _Arg(CHAIN_NAME, rows)


def _spot_axis(lo: float, hi: float) -> dict:
    """An XY chart's spot axis over [lo, hi] with round ticks, labels below the plot."""
    span = hi - lo
    unit = next(u for u in (10, 25, 50, 100, 250, 500, 1000, 2500) if span / u <= 12)
    return {"name": "spot", "num_format": "#,##0", "label_position": "low",
            "min": math.floor(lo / unit) * unit, "max": math.ceil(hi / unit) * unit,
            "major_unit": unit}  # fmt: skip



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
    chart.set_y_axis({"num_format": MONEY_BN, "major_gridlines": {"visible": True,
                      "line": {"color": "#E0E0E0"}}})  # fmt: skip
    chart.set_legend({"position": "bottom"})
    chart.set_size(size)
    return chart


def _sample():
    from .sample import SAMPLE_LABEL, load_sample

    return load_sample(), SAMPLE_LABEL


def _gex_inputs(sh: _Sheet, first_row: int, extra=()) -> dict:
    """Spot, as-of and convention inputs (blank spot/as-of: the chain's own)."""
    f = sh.book.fmt
    rows = [
        ("spot", "Spot (blank: the chain's own)", None, "#,##0.00", "index points"),
        ("asof", "As of, New York (blank: the chain's own)", None, DATETIME,
         "e.g. 2026-11-13 10:30"),
        ("convention", "Dealer convention (who is long what)", DEFAULT_CONVENTION, None,
         "pick from the list; see 'meaning' in GEX_INFO"),
        *extra,
    ]  # fmt: skip
    addr = {}
    for i, (key, label, value, num_format, note) in enumerate(rows):
        row = first_row + i
        sh.text(f"A{row}", label)
        sh.put(f"B{row}", value, f("input", num_format))
        addr[key] = f"$B${row}"
        if note:
            sh.text(f"C{row}", note, "note")
    sh.dropdown(addr["convention"].replace("$", ""), CONVENTIONS)
    return addr


# --------------------------------------------------------------------------- dashboard

BUCKETS = 25
"""Bars in the dashboard's strike chart: spot's bucket and 12 on each side."""

LIVE_NOTE = ("Excel's live results (spilled). LibreOffice cannot run xlwings functions, so this "
             "sheet shows #NAME? there; the other sheets show the stored values.")
"""The note at the top of the sheet that holds a workbook's spills."""

MARGIN = 0.2
"""Blank mirror rows after a chain-dependent table, as a share of its build-time rows."""


def _margin(rows) -> int:
    """Blank rows to mirror after ``rows``: room for a longer result in Excel."""
    return math.ceil(MARGIN * len(rows))


def build_dashboard(path, frame=None, label: str | None = None) -> Path:
    """``xlgex_dashboard.xlsx``: the chain as a Table and a GEX dashboard with charts."""
    if frame is None:
        frame, label = _sample()
    book = _Book(path, "xlgex: dealer GEX dashboard",
                 "GEX by strike, flip, regime, walls, profile of an option chain")  # fmt: skip
    dash = book.sheet("Dashboard")
    chain = _chain_sheet(book, frame, label or "Chain")
    sh, f = dash, book.fmt
    n_rows = len(chain.value) - 1
    sh.top("xlgex dashboard: dealer gamma exposure of the chain on the Chain sheet",
           "Change the yellow cells (blank spot/as-of = the chain's own), or replace the Chain "
           "table's rows; every number below recalculates.",
           f"Chain: {label}, {n_rows:,} contracts in the Chain table (name {CHAIN_NAME}). "
           "GEX in $ of underlying dealers trade per 1% move ($bn; by strike in $m).")
    sh.text("A5", "Inputs", "section")
    a = _gex_inputs(sh, 6, extra=[
        ("bucket", "Bar chart: strike bucket width (points)", 25.0, "0", "bars sum the strikes "
         "in each bucket"),
    ])  # fmt: skip
    base = [chain, sh.ref(a["spot"]), sh.ref(a["asof"]), sh.ref(a["convention"])]

    sh.text("A11", "Results", "section")
    sh.text("A12", "Regime (GEX_REGIME)")
    (regime,), = sh.udf("B12", "GEX_REGIME", *base, fmt=f("output"))
    sh.text("A13", "Gamma flip (GEX_FLIP, index points)")
    (flip,), = sh.udf("B13", "GEX_FLIP", *base, fmt=f("output", "#,##0.00"))
    sh.text("A14", "Net GEX at spot (GEX_TOTAL, $ per 1% move)")
    sh.udf("B14", "GEX_TOTAL", *base, fmt=f("output", MONEY_BN2))

    # The spills live on the Live sheet; the Dashboard shows them with single-cell mirrors.
    live = book.sheet("Live")
    live.top("Live: the xlgex tables the Dashboard shows, as Excel spills them",
             LIVE_NOTE, "Nothing to change here: edit the yellow cells on the Dashboard sheet.")
    ext = [chain, sh.ref(a["spot"], external=True), sh.ref(a["asof"], external=True),
           sh.ref(a["convention"], external=True)]  # fmt: skip
    pair_fmts = [f("label"), f("output", "#,##0.00")]
    live.text("A5", "=GEX_WALLS", "section")
    walls = live.udf("A6", "GEX_WALLS", *ext, fmts=[f("label"), f("output", "#,##0")])
    live.text("D5", "=GEX_REGIME(..., details TRUE)", "section")
    details = live.udf("D6", "GEX_REGIME", *ext, "", "", True, fmts=pair_fmts)
    live.text("G5", "=GEX_INFO", "section")
    info = live.udf("G6", "GEX_INFO", *ext, fmts=[f("label"), f("plain", "#,##0.####")])
    live.text("J5", "=GEX_STRIKE", "section")
    strikes = live.udf("J6", "GEX_STRIKE", *ext, header=f("header"),
                       fmts=[f("calc", "#,##0")] + [f("plain", MONEY)] * 3)  # fmt: skip
    live.text("O5", "=GEX_PROFILE", "section")
    profile = live.udf("O6", "GEX_PROFILE", *ext, header=f("header"),
                       fmts=[f("calc", "#,##0.00")] + [f("plain", MONEY)] * 3)  # fmt: skip
    row_formats = {"net GEX at spot ($ per 1%)": MONEY_BN2, "0DTE share of gross GEX": "0.0%",
                   "distance to flip %": '0.00"%"'}  # fmt: skip
    detail_fmts = {(i, 1): f("output", row_formats[key]) for i, (key, value) in
                   enumerate(details) if key in row_formats and isinstance(value, float)}
    for (i, _), fmt in detail_fmts.items():  # per-row number formats inside the spill
        live.ws.write_number(5 + i, 4, details[i][1], fmt)
    info_fmts = {}
    for i, (key, value) in enumerate(info):
        if isinstance(value, dt.datetime):
            info_fmts[i, 1] = f("plain", DATETIME)
            live.ws.write_datetime(5 + i, 7, value, info_fmts[i, 1])
        elif key.startswith("0DTE share"):
            info_fmts[i, 1] = f("plain", "0.0%")
            live.ws.write_number(5 + i, 7, value, info_fmts[i, 1])
    live.ws.set_column("A:A", 18)
    live.ws.set_column("B:B", 12)
    live.ws.set_column("D:D", 26)
    live.ws.set_column("E:E", 14)
    live.ws.set_column("G:G", 26)
    live.ws.set_column("H:H", 18)
    live.ws.set_column("J:M", 13)
    live.ws.set_column("O:R", 13)
    live.ws.set_column("C:C", 2)
    live.ws.set_column("F:F", 2)
    live.ws.set_column("I:I", 2)
    live.ws.set_column("N:N", 2)

    # Mirrors: =IF(Live!X="","",Live!X), with blank rows after the chain-dependent tables.
    sh.text("A17", "Walls: =GEX_WALLS (read from the Live sheet)", "section")
    sh.mirror("A18", live, "A6", walls, [f("label"), f("output", "#,##0")])
    sh.text("A22", "Regime details: =GEX_REGIME(..., details TRUE)", "section")
    sh.mirror("A23", live, "D6", details, pair_fmts, cell_fmts=detail_fmts)
    spot_row = next(i for i, r in enumerate(details) if r[0] == "spot")
    spot_cell = f"$B${23 + spot_row}"
    spot_used = details[spot_row][1]
    sh.text("A15", "Spot used (from the regime details)")
    sh.formula("B15", f"={spot_cell}", spot_used, f("output", "#,##0.00"))

    sh.text("A37", "Assumptions and diagnostics: =GEX_INFO", "section")
    info_margin = _margin(info)
    sh.mirror("A38", live, "G6", info, [f("label"), f("plain", "#,##0.####")],
              margin=info_margin, cell_fmts=info_fmts)  # fmt: skip

    # Long tables to the right of the charts.
    sh.text("R3", "GEX by strike: =GEX_STRIKE", "section")
    strike_margin = _margin(strikes[1:])
    sh.text("R4", f"$ per 1% move, shown in $ millions; {strike_margin} blank rows after "
            "the last strike take a longer chain (all of it is on the Live sheet)", "note")
    sh.mirror("R5", live, "J6", strikes, [f("calc", "#,##0")] + [f("plain", MONEY)] * 3,
              header=f("header"), margin=strike_margin)  # fmt: skip
    sh.text("W3", "Profile if spot moved: =GEX_PROFILE", "section")
    sh.text("W4", "every contract re-priced at each level (161 levels, ±20%)", "note")
    sh.mirror("W5", live, "O6", profile, [f("calc", "#,##0.00")] + [f("plain", MONEY)] * 3,
              header=f("header"))  # fmt: skip

    # Chart helpers: strike buckets near spot (SUMIFS over the GEX_STRIKE columns).
    cap = 1000  # rows of GEX_STRIKE the helpers read: plenty for any listed chain
    s_col, n_col = f"Live!$J$7:$J${cap}", f"Live!$M$7:$M${cap}"
    sh.text("AB3", "Chart helpers (nothing to change)", "section")
    sh.text("AB4", "net GEX summed over strike buckets centred near spot", "note")
    sh.header_row("AB5", ["bucket centre", "net GEX", "> 0", "< 0"])
    width = sh.at(a["bucket"])
    centre0 = _xl_round(spot_used / width) * width
    pairs = [(float(r[0]), float(r[3])) for r in strikes[1:]]
    half = BUCKETS // 2
    first = 6
    for k in range(BUCKETS):
        r = first + k
        offset = k - half
        centre = centre0 + offset * width
        sh.formula(f"AB{r}", f"=ROUND({spot_cell}/{a['bucket']},0)*{a['bucket']}"
                   f"{offset:+d}*{a['bucket']}", centre, f("calc", "#,##0"))  # fmt: skip
        lo, hi = centre - width / 2, centre + width / 2
        total = sum(n for s, n in pairs if lo <= s < hi)
        sh.formula(f"AC{r}", f'=SUMIFS({n_col},{s_col},">="&(AB{r}-{a["bucket"]}/2),'
                   f'{s_col},"<"&(AB{r}+{a["bucket"]}/2))', total, f("calc", MONEY))
        sh.formula(f"AD{r}", f"=MAX(AC{r},0)", max(total, 0.0), f("calc", MONEY))
        sh.formula(f"AE{r}", f"=MIN(AC{r},0)", min(total, 0.0), f("calc", MONEY))
    last = first + BUCKETS - 1

    n_profile = len(profile) - 1
    p_x, p_y = f"$W$6:$W${5 + n_profile}", f"$Z$6:$Z${5 + n_profile}"
    nets = [float(r[3]) for r in profile[1:]]
    lo, hi = min(nets), max(nets)
    sh.text("AB33", "vertical lines at the flip and at spot", "note")
    sh.header_row("AB34", ["x", "y"])
    flip_x = flip if isinstance(flip, float) else "#N/A"
    for r, (formula_x, x, y_formula, y) in enumerate([
        ("=IF(ISNUMBER($B$13),$B$13,NA())", flip_x, f"=MIN({p_y})", lo),
        ("=IF(ISNUMBER($B$13),$B$13,NA())", flip_x, f"=MAX({p_y})", hi),
        (f"={spot_cell}", spot_used, f"=MIN({p_y})", lo),
        (f"={spot_cell}", spot_used, f"=MAX({p_y})", hi),
    ], start=35):  # fmt: skip
        sh.formula(f"AB{r}", formula_x, x, f("calc", "#,##0.00"))
        sh.formula(f"AC{r}", y_formula, y, f("calc", MONEY))

    bars = _gex_bars(book.wb, f"=Dashboard!$AB${first}:$AB${last}",
                     f"=Dashboard!$AD${first}:$AD${last}", f"=Dashboard!$AE${first}:$AE${last}", 40)
    bars.set_title({"name": "Net dealer GEX near spot, by strike bucket ($ per 1% move)",
                    "name_font": {"size": 12}})  # fmt: skip
    bars.set_x_axis({"name": "strike (bucket centre)", "num_font": {"rotation": -45},
                     "num_format": "#,##0", "label_position": "low"})  # fmt: skip
    bars.set_y_axis({"num_format": MONEY_BN, "major_gridlines": {"visible": True,
                     "line": {"color": "#E0E0E0"}}})  # fmt: skip
    bars.set_legend({"position": "bottom"})
    bars.set_size({"width": 760, "height": 360})
    sh.ws.insert_chart("G5", bars)

    marks = [(name, f"=Dashboard!$AB${a}:$AB${b}", f"=Dashboard!$AC${a}:$AC${b}", colour)
             for name, (a, b), colour in (("gamma flip", (35, 36), FLIP_COLOUR),
                                          ("spot", (37, 38), SPOT_COLOUR))]  # fmt: skip
    prof = _profile_chart(book.wb, f"=Dashboard!{p_x}", f"=Dashboard!{p_y}", marks,
                          "Net dealer GEX if spot moved (GEX_PROFILE), flip and spot",
                          (float(profile[1][0]), float(profile[-1][0])),
                          {"width": 760, "height": 360})  # fmt: skip
    sh.ws.insert_chart("G25", prof)

    sh.ws.set_column("A:A", 40)
    sh.ws.set_column("B:B", 24)
    sh.ws.set_column("C:E", 20)
    sh.ws.set_column("F:F", 2)
    sh.ws.set_column("G:P", 10)
    sh.ws.set_column("Q:Q", 2)
    sh.ws.set_column("R:U", 13)
    sh.ws.set_column("V:V", 2)
    sh.ws.set_column("W:Z", 13)
    sh.ws.set_column("AA:AA", 2)
    sh.ws.set_column("AB:AE", 13)
    sh.ws.print_area(f"A1:P{38 + len(info) + info_margin}")
    sh.ws.activate()
    _about(book, "A dealer gamma-exposure dashboard for the option chain on the Chain sheet.", [
        f"The chain argument of every formula is the name {CHAIN_NAME}, which points at the "
        "Chain table's range (header row included).",
        "The bar chart sums net GEX per strike bucket around spot with SUMIFS over the "
        "GEX_STRIKE columns, so it follows spot and stays readable when strikes are 5 or "
        "100 points apart; the helper cells are in columns AB:AE.",
        "The profile chart is an XY chart: GEX_PROFILE's net column, plus two-point series "
        "drawing vertical lines at the flip and at spot.",
        "The spilled results (GEX_WALLS, GEX_REGIME details, GEX_INFO, GEX_STRIKE, "
        "GEX_PROFILE) are dynamic arrays on the Live sheet; the Dashboard shows them cell by "
        "cell with =IF(Live!J7=\"\",\"\",Live!J7), plus 20% blank rows after GEX_STRIKE and "
        "GEX_INFO for a longer chain (a result longer still is complete on the Live sheet, and "
        "the bar chart's SUMIFS read the Live sheet's whole columns).",
        f"The bundled chain is a {label}.",
    ], [
        "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (flip, walls, regime).",
        "Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\" (net GEX by strike).",
    ], libreoffice=_libreoffice_spills("Live"))  # fmt: skip
    book.conf_sheet()
    return book.close()


# --------------------------------------------------------------------------- what-if

SHOCK_STEPS = 5
"""Spot shocks run from -5 to +5 steps of the shock-step input."""
VOL_SHIFTS = (-0.02, 0.0, 0.02, 0.05)
ROLL_HOURS = (0.0, 5.0, 6.0)
MELT_LEVELS, MELT_RANGE_PCT, MELT_HOURS = 81, 4.0, 6.0
VOL_HEADER = '"vol "+0.00;"vol "-0.00;"vol "0.00'
"""A vol-shift cell shown as a column header: vol +0.02."""


def build_whatif(path, frame=None, label: str | None = None) -> Path:
    """``xlgex_whatif.xlsx``: spot shocks x vol shifts x clock rolls, and expiration melt."""
    if frame is None:
        frame, label = _sample()
    book = _Book(path, "xlgex: what-if grid",
                 "Net GEX, flip and dealer hedge under spot, vol and time scenarios")  # fmt: skip
    sh, f = book.sheet("WhatIf"), book.fmt
    work = book.sheet("Workings")
    chain = _chain_sheet(book, frame, label or "Chain")
    sh.top("What-if: net GEX, the gamma flip and the dealer hedge under spot shocks, vol "
           "shifts and the clock",
           "Change the yellow cells: spot/as-of (blank = the chain's own), convention, the "
           "shock step, the four vol shifts, the three clock rolls and the melt roll.",
           f"Chain: {label} (name {CHAIN_NAME}). GEX in $ of underlying dealers trade per 1% "
           "move; hedges in $ of underlying (+ buy, − sell); both shown in $ billions.")
    sh.text("A5", "Inputs", "section")
    a = _gex_inputs(sh, 6, extra=[
        ("step", "Spot shock step (% of spot)", 1.0, "0.0#", "the grids run from −5 to +5 "
         "steps"),
    ])  # fmt: skip
    step = sh.at(a["step"])
    sh.text("A10", "Vol shifts (decimal: 0.02 = +2 vol points)")
    vol_cells = []
    for j, shift in enumerate(VOL_SHIFTS):
        vol_cells.append(f"${xl_col_to_name(1 + j)}$10")
        sh.put(f"{xl_col_to_name(1 + j)}10", shift, f("input", "+0.00;-0.00;0.00"))
    sh.text("A11", "Clock rolls (hours after as-of; expired options drop out)")
    roll_cells = []
    for j, hours in enumerate(ROLL_HOURS):
        roll_cells.append(f"${xl_col_to_name(1 + j)}$11")
        sh.put(f"{xl_col_to_name(1 + j)}11", hours, f("input", "0.0"))
    base = [chain, sh.ref(a["spot"]), sh.ref(a["asof"]), sh.ref(a["convention"])]
    ext = [chain, sh.ref(a["spot"], external=True), sh.ref(a["asof"], external=True),
           sh.ref(a["convention"], external=True)]  # fmt: skip

    # Workings: GEX_INFO (the spot and clock used) and one GEX_PROFILE per (roll, vol shift).
    work.top("Workings: the full spills the WhatIf sheet reads", LIVE_NOTE,
             "Nothing to change here: edit the inputs on the WhatIf sheet.")
    work.text("A5", "=GEX_INFO: spot and as-of used", "section")
    info = work.udf("A6", "GEX_INFO", *ext, fmts=[f("label"), f("plain", "#,##0.####")])
    facts = {key: (i, value) for i, (key, value) in enumerate(info)}
    asof_row, asof_used = facts["as of (New York)"]
    work.ws.write_datetime(5 + asof_row, 1, asof_used, f("plain", DATETIME))
    share_row, share_0dte = facts["0DTE share of gross GEX"]
    work.ws.write_number(5 + share_row, 1, share_0dte, f("plain", "0.0%"))
    asof_cell = f"Workings!$B${6 + asof_row}"
    n = 2 * SHOCK_STEPS + 1
    blocks = {}
    for i, roll_cell in enumerate(roll_cells):
        for j, vol_cell in enumerate(vol_cells):
            row, col = 5 + i * (n + 4), 4 + j * 5
            work.text(xl_rowcol_to_cell(row - 1, col), f"clock roll {i + 1}, vol shift {j + 1}",
                      "section")  # fmt: skip
            range_arg = _Arg(f"{SHOCK_STEPS}*WhatIf!{a['step']}", SHOCK_STEPS * step)
            grid = work.udf(xl_rowcol_to_cell(row, col), "GEX_PROFILE", *ext, float(n),
                            range_arg, sh.ref(vol_cell, external=True),
                            sh.ref(roll_cell, external=True), header=f("header"),
                            fmts=[f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3)
            blocks[i, j] = (row, col, grid)

    sh.text("A12", "Clock after each roll (New York)")
    sh.text("A13", "Today's 0DTE options (16:00 settlement)")
    settle = dt.datetime.combine(asof_used.date(), dt.time(16, 0))
    clocks = []
    for j, roll_cell in enumerate(roll_cells):
        col = xl_col_to_name(1 + j)
        clock = asof_used + dt.timedelta(hours=sh.at(roll_cell))
        clocks.append(clock)
        sh.formula(f"{col}12", f"={asof_cell}+{roll_cell}/24", clock, f("calc", DATETIME))
        sh.formula(f"{col}13", f'=IF({col}12>=INT({asof_cell})+16/24,"expired","still live")',
                   "expired" if clock >= settle else "still live", f("calc"))  # fmt: skip

    # Panels: one per clock roll; rows are spot shocks, columns vol shifts.
    top = 15
    money = f("output", MONEY_BN2)
    for i, roll_cell in enumerate(roll_cells):
        col = xl_col_to_name(1 + i)
        sh.text(f"A{top}", f"Clock roll {i + 1}", "section")
        sh.formula(f"B{top}", f"={roll_cell}", sh.at(roll_cell), f("section", '"+"0.0" h"'))
        sh.formula(f"C{top}", f"={col}12", clocks[i], f("calc", DATETIME, bold=True))
        sh.formula(f"D{top}", f'="0DTE "&{col}13', "0DTE " + sh.at(f"{col}13"),
                   f("calc", None, bold=True))  # fmt: skip
        sh.ws.merge_range(f"C{top + 1}:F{top + 1}", "net GEX ($ per 1% move)", f("header"))
        sh.ws.merge_range(f"H{top + 1}:K{top + 1}", "dealer hedge from spot ($; + buy, − sell)",
                          f("header"))  # fmt: skip
        head = top + 2
        sh.header_row(f"A{head}", ["spot shock", "spot"])
        for j, vol_cell in enumerate(vol_cells):
            for k in (2, 7):
                sh.formula(xl_rowcol_to_cell(head - 1, k + j), f"={vol_cell}", sh.at(vol_cell),
                           f("header", VOL_HEADER))  # fmt: skip
        first = head + 1
        centre = first + SHOCK_STEPS
        for k in range(n):
            r, offset = first + k, k - SHOCK_STEPS
            sh.formula(f"A{r}", f"={offset}*{a['step']}/100", offset * step / 100,
                       f("calc", "+0.0%;-0.0%;0.0%"))  # fmt: skip
            brow, bcol, grid = blocks[i, 0]
            src = "Workings!" + xl_rowcol_to_cell(brow + 1 + k, bcol, True, True)
            sh.formula(f"B{r}", f"={src}", grid[1 + k][0], f("calc", "#,##0.00"))
            for j in range(len(vol_cells)):
                brow, bcol, grid = blocks[i, j]
                src = "Workings!" + xl_rowcol_to_cell(brow + 1 + k, bcol + 3, True, True)
                sh.formula(xl_rowcol_to_cell(r - 1, 2 + j), f"={src}", grid[1 + k][3], money)
        # The dealer hedge from spot to each shocked spot: trapezoid over the GEX column.
        for j in range(len(vol_cells)):
            g = [blocks[i, j][2][1 + k][3] for k in range(n)]
            hedge = [0.0] * n
            for k in range(SHOCK_STEPS - 1, -1, -1):
                hedge[k] = hedge[k + 1] + (g[k] + g[k + 1]) / 2 * step
            for k in range(SHOCK_STEPS + 1, n):
                hedge[k] = hedge[k - 1] - (g[k] + g[k - 1]) / 2 * step
            gcol, hcol = xl_col_to_name(2 + j), xl_col_to_name(7 + j)
            for k in range(n):
                r = first + k
                if r == centre:
                    formula = "=0"
                elif r < centre:
                    formula = f"={hcol}{r + 1}+({gcol}{r}+{gcol}{r + 1})/2*{a['step']}"
                else:
                    formula = f"={hcol}{r - 1}-({gcol}{r}+{gcol}{r - 1})/2*{a['step']}"
                sh.formula(f"{hcol}{r}", formula, hedge[k], f("calc", MONEY_BN2))
        if i == 0:
            chart_rows = (first, first + n - 1)
        top = first + n + 1
    sh.text(f"A{top}", "Dealer hedge ≈ what dealers trade to stay delta-neutral from spot to "
            "the shocked spot: minus the net GEX averaged along the way (trapezoid) × the move "
            "in % (GEX is $ per 1% move).", "note")  # fmt: skip

    # The flip under each vol shift and clock roll.
    top += 2
    sh.text(f"A{top}", "Gamma flip (index points): =GEX_FLIP(..., vol_shift, roll_hours)",
            "section")  # fmt: skip
    head = top + 1
    sh.header_row(f"A{head}", ["clock roll"])
    for j, vol_cell in enumerate(vol_cells):
        sh.formula(xl_rowcol_to_cell(head - 1, 1 + j), f"={vol_cell}", sh.at(vol_cell),
                   f("header", VOL_HEADER))  # fmt: skip
    for i, roll_cell in enumerate(roll_cells):
        r = head + 1 + i
        sh.formula(f"A{r}", f"={roll_cell}", sh.at(roll_cell), f("calc", '"+"0.0" h"'))
        for j, vol_cell in enumerate(vol_cells):
            sh.udf(xl_rowcol_to_cell(r - 1, 1 + j), "GEX_FLIP", *base, "profile", "all",
                   sh.ref(vol_cell), sh.ref(roll_cell), fmt=f("output", "#,##0.00"))
    top = head + len(roll_cells) + 2

    # Expiration melt: the profile now and after today's 16:00 settlement.
    melt_top = top
    sh.text(f"A{top}", "Expiration melt: the profile now and after today's 0DTE options settle",
            "section")  # fmt: skip
    rows = iter(range(top + 1, top + 20))
    r = next(rows)
    melt_cell = f"$B${r}"
    sh.text(f"A{r}", "Clock roll for 'after' (hours; past 16:00 New York)")
    sh.put(f"B{r}", MELT_HOURS, f("input", "0.0"))
    sh.text(f"C{r}", "from 10:30, 6 h is 16:30: after the 16:00 settlement", "note")
    r = next(rows)
    sh.text(f"A{r}", "Clock after the roll")
    sh.formula(f"B{r}", f"={asof_cell}+{melt_cell}/24",
               asof_used + dt.timedelta(hours=MELT_HOURS), f("calc", DATETIME))  # fmt: skip
    r = next(rows)
    sh.text(f"A{r}", "0DTE share of gross GEX now (GEX_INFO)")
    sh.formula(f"B{r}", f"=Workings!$B${6 + share_row}", share_0dte, f("output", "0.0%"))
    r = next(rows)
    sh.text(f"A{r}", "Gamma flip now")
    sh.udf(f"B{r}", "GEX_FLIP", *base, "profile", "all", 0.0, 0.0, fmt=f("output", "#,##0.00"))
    r = next(rows)
    sh.text(f"A{r}", "Gamma flip after")
    sh.udf(f"B{r}", "GEX_FLIP", *base, "profile", "all", 0.0, sh.ref(melt_cell),
           fmt=f("output", "#,##0.00"))  # fmt: skip
    melt_col = 4 + len(VOL_SHIFTS) * 5 + 1
    melt = {}
    for k, (name, hours, expiries) in enumerate((
        ("now", 0.0, "all"), ("after", sh.ref(melt_cell, external=True), "all"),
        ("0DTE only, now", 0.0, "0dte"),
    )):  # fmt: skip
        col = melt_col + 5 * k
        work.text(xl_rowcol_to_cell(3, col), f"melt: profile {name}", "section")
        grid = work.udf(xl_rowcol_to_cell(4, col), "GEX_PROFILE", *ext, float(MELT_LEVELS),
                        MELT_RANGE_PCT, 0.0, hours, "sticky_strike", expiries,
                        header=f("header"),
                        fmts=[f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3)
        melt[name] = (col, grid)
    mid = MELT_LEVELS // 2
    for name in ("now", "after"):
        col, grid = melt[name]
        r = next(rows)
        src = "Workings!" + xl_rowcol_to_cell(5 + mid, col + 3, True, True)
        sh.text(f"A{r}", f"Net GEX at spot {name} (from the profile)")
        sh.formula(f"B{r}", f"={src}", grid[1 + mid][3], money)

    # The melt profiles, mirrored beside the charts (the melt chart reads these cells).
    mirror_col = 24
    sh.text(xl_rowcol_to_cell(12, mirror_col), "Expiration melt profiles: =GEX_PROFILE on the "
            "Workings sheet, read cell by cell (the melt chart plots these)", "section")
    mirrors = {}
    for k, name in enumerate(melt):
        col, grid = melt[name]
        mcol = mirror_col + 5 * k
        sh.text(xl_rowcol_to_cell(13, mcol), f"profile {name}", "output")
        sh.mirror(xl_rowcol_to_cell(14, mcol), work, xl_rowcol_to_cell(4, col), grid,
                  [f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3, header=f("header"))
        mirrors[name] = (mcol, grid)

    lines = book.wb.add_chart({"type": "line"})
    colours = ("#C55A11", "#1F4E79", "#548235", "#7030A0")
    for j in range(len(vol_cells)):
        col = xl_col_to_name(2 + j)
        lines.add_series({
            "name": f"=WhatIf!${col}${chart_rows[0] - 1}",
            "categories": f"=WhatIf!$A${chart_rows[0]}:$A${chart_rows[1]}",
            "values": f"=WhatIf!${col}${chart_rows[0]}:${col}${chart_rows[1]}",
            "line": {"color": colours[j], "width": 2},
            "marker": {"type": "circle", "size": 4, "fill": {"color": colours[j]},
                       "border": {"color": colours[j]}},
        })  # fmt: skip
    lines.set_title({"name": "Net GEX by spot shock (clock roll 1), one line per vol shift",
                     "name_font": {"size": 12}})  # fmt: skip
    lines.set_x_axis({"name": "spot shock", "num_format": "+0%;-0%;0%",
                      "label_position": "low"})  # fmt: skip
    lines.set_y_axis({"num_format": MONEY_BN, "major_gridlines": {"visible": True,
                      "line": {"color": "#E0E0E0"}}})  # fmt: skip
    lines.set_legend({"position": "bottom"})
    lines.set_size({"width": 720, "height": 380})
    sh.ws.insert_chart("M15", lines)

    melt_chart = book.wb.add_chart({"type": "scatter", "subtype": "straight"})
    styles = {"now": (PROFILE_COLOUR, "solid"), "after": (FLIP_COLOUR, "solid"),
              "0DTE only, now": (SPOT_COLOUR, "dash")}  # fmt: skip
    for name, (colour, dash) in styles.items():
        col, grid = mirrors[name]
        x, y, last = xl_col_to_name(col), xl_col_to_name(col + 3), 15 + len(grid) - 1
        melt_chart.add_series({
            "name": f"net GEX {name}", "categories": f"=WhatIf!${x}$16:${x}${last}",
            "values": f"=WhatIf!${y}$16:${y}${last}",
            "line": {"color": colour, "width": 2.25, "dash_type": dash},
            "marker": {"type": "none"},
        })  # fmt: skip
    melt_chart.set_title({"name": "Expiration melt: GEX_PROFILE now, after the 0DTE "
                          "settlement, and the 0DTE part now", "name_font": {"size": 12}})
    now_grid = melt["now"][1]
    melt_chart.set_x_axis(_spot_axis(float(now_grid[1][0]), float(now_grid[-1][0])))
    melt_chart.set_y_axis({"num_format": MONEY_BN, "major_gridlines": {"visible": True,
                           "line": {"color": "#E0E0E0"}}})  # fmt: skip
    melt_chart.set_legend({"position": "bottom"})
    melt_chart.set_size({"width": 720, "height": 380})
    sh.ws.insert_chart(f"M{melt_top - 8}", melt_chart)

    sh.ws.set_column("A:A", 50)
    sh.ws.set_column("B:F", 16)
    sh.ws.set_column("G:G", 2)
    sh.ws.set_column("H:K", 16)
    sh.ws.set_column("L:L", 2)
    sh.ws.set_column("X:X", 2)
    sh.ws.set_column(mirror_col, mirror_col + 14, 12)
    sh.ws.print_area(f"A1:W{melt_top + 10}")
    work.ws.set_column("A:A", 30)
    work.ws.set_column("B:B", 40)
    work.ws.set_column("C:C", 2)
    work.ws.set_column(3, melt_col + 15, 12)
    sh.ws.activate()
    _about(book, "What-if scenarios for dealer gamma exposure: spot shocks, vol shifts, the "
           "clock, and the expiration melt of 0DTE options.", [
               "Each grid column is one =GEX_PROFILE on the Workings sheet (11 levels over spot "
               "± 5 shock steps, with that vol shift and clock roll); the flips are =GEX_FLIP "
               "with the same vol_shift and roll_hours. The WhatIf sheet reads the Workings "
               "spills with single-cell formulas, and mirrors the three melt profiles beside "
               "the charts (=IF(Workings!X6=\"\",\"\",Workings!X6)) for the melt chart.",
               "Rolling the clock past 16:00 New York drops today's PM-settled options: the "
               "'expiration melt' (gamma decay) of \"Inside the Machine\".",
               f"The bundled chain is a {label}.",
           ], [
               "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (Part 5: "
               "Failure Mode 3, volatility regime shift; Failure Mode 4, gamma decay).",
           ], libreoffice=_libreoffice_spills("Workings"))  # fmt: skip
    book.conf_sheet()
    return book.close()



# --------------------------------------------------------------------------- all


def build_all(out_dir) -> list[Path]:
    """Build every template into ``out_dir`` (created if needed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame, label = _sample()
    return [
        build_hedging(out / TEMPLATES[0]),
        build_dashboard(out / TEMPLATES[1], frame, label),
        build_whatif(out / TEMPLATES[2], frame, label),
    ]
