"""The Chain sheet (the bundled sample chain as an Excel Table) and the GEX inputs block."""

from __future__ import annotations

import datetime as dt

from xlsxwriter.utility import xl_col_to_name

from ..conventions import CONVENTIONS, DEFAULT_CONVENTION
from .kit import (
    CHAIN_NAME,
    DATE,
    DATETIME,
    _Arg,
    _Book,
    _Sheet,
)

# --------------------------------------------------------------------------- chain sheet

CHAIN_FORMATS = {
    "Expiration": DATE, "Strike": "#,##0", "Open Interest": "#,##0", "IV": "0.0000",
    "Gamma": "0.000E+00", "Underlying Price": "#,##0.00", "Quote Time": DATETIME,
}  # fmt: skip
CHAIN_DATES = {"Expiration": "%Y-%m-%d", "Quote Time": "%Y-%m-%d %H:%M"}
CHAIN_PRINT_ROWS = 40
"""Rows of the chain in the Chain sheet's print area."""
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
    book.state.watch_range("chain", CHAIN_NAME, rows)
    # A PDF of the workbook shows the chain's first rows, not its thousands.
    sh.ws.print_area(f"A1:{xl_col_to_name(last_col)}{CHAIN_TOP + CHAIN_PRINT_ROWS}")
    sh.text(f"K{CHAIN_TOP}", f"Printing shows the first {CHAIN_PRINT_ROWS} rows of the chain "
            "(its print area); the dashboard sheets print the results.", "note")
    return _Arg(CHAIN_NAME, rows)



def _sample():
    from ..sample import SAMPLE_LABEL, load_sample

    return load_sample(), SAMPLE_LABEL


def _chain_book(path, frame, label, title: str, subject: str, inputs, sheets) -> tuple:
    """A template over a chain: ``(book, its sheets, the ChainData argument, the label)``.

    ``sheets`` are created in this order ahead of the Chain sheet; ``frame`` None means the
    bundled sample chain.
    """
    if frame is None:
        frame, label = _sample()
    book = _Book(path, title, subject, inputs=inputs)
    own = [book.sheet(name) for name in sheets]
    return book, own, _chain_sheet(book, frame, label or "Chain"), label


def _gex_inputs(sh: _Sheet, first_row: int, extra=()) -> dict:
    """Spot, as-of and convention inputs (blank spot/as-of: the chain's own)."""
    rows = [
        ("spot", "Spot (blank: the chain's own)", None, "#,##0.00",
         "index points (an index) or $ (a stock or ETF)"),
        ("asof", "As of, New York (blank: the chain's own)", None, DATETIME,
         "e.g. 2026-11-13 10:30"),
        ("convention", "Dealer convention (who is long what)", DEFAULT_CONVENTION, None,
         "pick from the list; see 'meaning' in GEX_INFO"),
        *extra,
    ]  # fmt: skip
    return sh.input_rows(first_row, rows, choices={"convention": CONVENTIONS})


def _gex_args(sh: _Sheet, addr: dict, chain: _Arg, *, external: bool = False) -> list:
    """The leading arguments of the GEX functions: chain, spot, as-of, convention (the inputs
    of :func:`_gex_inputs`); ``external`` for a formula on another sheet."""
    return [chain, *(sh.ref(addr[key], external=external) for key in ("spot", "asof", "convention"))]
