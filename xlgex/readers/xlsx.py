""".xlsx/.xlsm workbooks, read with openpyxl in read-only mode (stored cell values)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..errors import XlgexError
from .grid import looks_like_header
from .values import one_line

__all__ = ["open_book", "read_sheet"]


def read_sheet(path, sheet=None) -> tuple[list, str, list]:
    """Rows of one sheet (tuples of cell values), the sheet name and the workbook's sheet names.

    ``sheet`` is a name or a 1-based position; by default the first sheet whose rows name a
    strike or option-symbol column (the first sheet if none does).
    """
    with open_book(path) as book:
        return _read_book(book, path, sheet)


@contextmanager
def open_book(path):
    """A read-only openpyxl workbook of stored values, closed (file and archive) on leaving.

    The file is opened here, not by openpyxl, so that it is closed even when openpyxl gives up
    half-way through a damaged workbook or a sheet's rows are not read to the end.
    """
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is installed with pandas' Excel support
        raise XlgexError("xlgex: reading .xlsx needs openpyxl: pip install openpyxl") from None
    with open(path, "rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged workbook
            raise XlgexError(f"xlgex: cannot open '{path}' as a workbook: {one_line(exc)}") from None
        try:
            yield book
        finally:
            book.close()


def _read_book(book, path, sheet) -> tuple[list, str, list]:
    names = book.sheetnames
    _refuse_report(book, path)
    if sheet not in (None, ""):
        name = _pick(names, sheet)
        return [list(r) for r in book[name].iter_rows(values_only=True)], name, names
    first = None
    for name in names:
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        first = first or (rows, name, names)
        if any(looks_like_header(r) for r in rows[:50]):
            return rows, name, names
    return first


def _refuse_report(book, path) -> None:
    """xlgex's own report holds results (GEX by strike, ...), not contracts: say so."""
    if "Summary" not in book.sheetnames or "By strike" not in book.sheetnames:
        return
    head = [r[0] for r in book["Summary"].iter_rows(max_row=3, max_col=1, values_only=True)]
    if any(isinstance(c, str) and "computed by xlgex" in c for c in head):
        raise XlgexError(f"xlgex: '{Path(str(path)).name}' is an xlgex report, which holds results, "
                         "not contracts: read the chain file it was made from")  # fmt: skip


def _pick(names: list, sheet) -> str:
    if isinstance(sheet, (int, float)) and not isinstance(sheet, bool) and 1 <= sheet <= len(names):
        return names[int(sheet) - 1]
    wanted = str(sheet).strip().lower()
    for name in names:
        if name.strip().lower() == wanted:
            return name
    raise XlgexError(f"xlgex: no sheet '{sheet}' in the workbook; its sheets: {', '.join(names)}")
