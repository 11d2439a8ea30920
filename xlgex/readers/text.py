"""Delimited text files: encoding, delimiter and number format sniffed once per file.

* encoding: UTF-8 with or without BOM, UTF-16 (BOM, or the zero bytes of ASCII text in
  UTF-16 without one), else Windows-1252;
* delimiter: comma, semicolon or tab, whichever splits the lines into the most fields;
* numbers: decimal point with optional comma thousands (``4,500.53``), or, when the file's
  numbers say so, decimal comma with optional dot thousands (``4.500,53``). The whole file
  is judged by counting the unambiguous numbers of each kind, never cell by cell;
* ``--`` and ``<empty>`` (broker placeholders for "no value") are blank cells;
* a file that ends in the middle of a row (a cut download) is refused, naming the row.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from itertools import chain

from ..errors import ChainError, error

__all__ = ["decode", "read_rows"]

_DELIMITERS = (",", ";", "\t")
_SAMPLE_LINES = 200
_SAMPLE_CHARS = 200_000
_PLACEHOLDERS = frozenset({"--", "<empty>"})
_EXPONENT = r"(?:[eE][+-]?\d+)?"  # 2,66e-21 as pandas writes it with decimal=","
_COMMA_DECIMAL = re.compile(
    r"[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d*,\d{1,2}|\d*,\d{4,}|\d{4,},\d+|0,\d+|\d+,\d+[eE][+-]?\d+)"
)
_POINT_DECIMAL = re.compile(
    r"[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d*\.\d{1,2}|\d*\.\d{4,}|\d{4,}\.\d+|0\.\d+|\d+\.\d+[eE][+-]?\d+)"
)
_EUROPEAN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?" + _EXPONENT)
_DATE_TIME_TEXT = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")  # 18.12.2026 stays a date


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the name of its encoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "UTF-16"
    head = raw[:4000]
    if len(head) >= 4 and head.count(b"\x00") * 3 > len(head):  # ASCII text in UTF-16, no BOM
        odd_zeros = head[1::2].count(b"\x00") > head[0::2].count(b"\x00")
        return raw.decode("utf-16-le" if odd_zeros else "utf-16-be", errors="replace"), "UTF-16"
    try:
        bom = raw.startswith(b"\xef\xbb\xbf")
        return raw.decode("utf-8-sig"), "UTF-8 with BOM" if bom else "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "Windows-1252"


def _delimiter(text: str) -> str:
    """The delimiter that splits most lines into one and the same number of fields (> 1)."""
    lines = [line for line in text[:_SAMPLE_CHARS].splitlines()[:_SAMPLE_LINES] if line.strip()]

    def score(delim: str) -> tuple:
        widths = Counter(len(r) for r in csv.reader(lines, delimiter=delim) if len(r) > 1)
        width, lines_of_width = widths.most_common(1)[0] if widths else (0, 0)
        return lines_of_width, width

    return max(_DELIMITERS, key=score)  # ties keep the comma


def _decimal_comma(rows) -> bool:
    votes = Counter()
    for row in rows[:_SAMPLE_LINES]:
        for cell in row:
            cell = cell.strip()
            if _COMMA_DECIMAL.fullmatch(cell):
                votes["comma"] += 1
            elif _POINT_DECIMAL.fullmatch(cell):
                votes["point"] += 1
    return votes["comma"] > votes["point"]


_LABELLED = re.compile(r"([A-Za-z][A-Za-z ]*:\s*)(.*)")  # "Last: 4.500,53" in a preamble


def _european(cell: str) -> str:
    text = cell.strip()
    if _EUROPEAN_NUMBER.fullmatch(text) and not _DATE_TIME_TEXT.fullmatch(text):
        return text.replace(".", "").replace(",", ".")
    if (m := _LABELLED.fullmatch(text)) and _EUROPEAN_NUMBER.fullmatch(m[2]):
        return m[1] + m[2].replace(".", "").replace(",", ".")
    return cell


def read_rows(raw: bytes) -> tuple[list, list, list]:
    """Rows of a delimited text file (lists of str), the line number where each starts, and
    notes on what was sniffed."""
    text, encoding = decode(raw)
    text = text.replace("\x00", "")  # a zero byte is damage; Python 3.10's csv refuses it
    delim = _delimiter(text)
    rows, numbers = _split(text, delim)
    notes = []
    if encoding not in ("UTF-8", "UTF-8 with BOM") or delim != ",":
        shown = {",": "comma", ";": "semicolon", "\t": "tab"}[delim]
        notes.append(f"text file read as {encoding}, {shown}-separated")
    if _decimal_comma(rows):
        rows = _each_distinct(rows, _european)
        notes.append("numbers read with decimal commas and '.' thousands (the file's convention)")
    if any(mark in text for mark in _PLACEHOLDERS):
        rows = _each_distinct(rows, lambda c: "" if c.strip() in _PLACEHOLDERS else c)
    _check_cut(text, rows, numbers)
    return rows, numbers, notes


_LINE_BREAKS_CSV_KEEPS = ("\v", "\f", "\x1c", "\x1d", "\x1e")  # splitlines() breaks there, csv not
_CSV_FIELD_LIMIT = 131_072  # csv's field size limit: longer lines take csv's own path


def _unquoted_rows(text: str, delim: str) -> list | None:
    """The rows csv.reader gives, split at C speed, for ASCII text without quotes; None for
    any other text."""
    if '"' in text or not text.isascii() or any(c in text for c in _LINE_BREAKS_CSV_KEEPS):
        return None
    lines = text.splitlines()
    if lines and max(map(len, lines)) >= _CSV_FIELD_LIMIT:
        return None
    return [line.split(delim) if line else [] for line in lines]


def _each_distinct(rows: list, convert) -> list:
    """``convert`` applied to every cell, called once per distinct cell (dates, types and
    strikes repeat down a chain) and mapped back at C speed."""
    mapping = {cell: convert(cell) for cell in set(chain.from_iterable(rows))}
    return [list(map(mapping.__getitem__, row)) for row in rows]


def _split(text: str, delim: str) -> tuple[list, list]:
    """Rows as csv.reader gives them and the line where each starts. The quoted lines of a
    file (CBOE's "Date: ..." title) go through csv; the unquoted lines after the last quote,
    the body of a usual download, are split at C speed (a 30,000-line file in half the time)."""
    last_quote = text.rfind('"')
    cut = 0 if last_quote < 0 else text.find("\n", last_quote) + 1
    if last_quote < 0 or 0 < cut <= _SAMPLE_CHARS:
        tail = _unquoted_rows(text[cut:], delim)
        if tail is not None:
            rows, numbers, lines = _csv_rows(text[:cut], delim)
            if not tail or not cut or _joins_cleanly(text[:cut], tail[0], rows, delim):
                return rows + tail, numbers + list(range(lines + 1, lines + 1 + len(tail)))
    return _csv_rows(text, delim)[:2]


def _joins_cleanly(head: str, first: list, head_rows: list, delim: str) -> bool:
    """Whether the head ends outside a quoted field: csv reads head + the next line as the
    head's rows and that line's own row."""
    line = delim.join(first) + "\n"
    return list(csv.reader(io.StringIO(head + line, newline=""), delimiter=delim)) == [*head_rows, first]


def _csv_rows(text: str, delim: str) -> tuple[list, list, int]:
    """Rows, the line where each starts, and the lines read, by csv.reader."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    if len(rows) == len(text.splitlines()):  # one line per row: row i is line i + 1
        return rows, list(range(1, len(rows) + 1)), len(rows)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)  # quoted line breaks
    rows, numbers, line = [], [], 0
    for row in reader:
        rows.append(row)
        numbers.append(line + 1)
        line = reader.line_num
    return rows, numbers, line


def _check_cut(text: str, rows: list, numbers: list) -> None:
    """A file cut mid-row: no final line break, and the last row short of fields (or any
    CBOE download, which always ends with a line break)."""
    if not rows or text.endswith(("\n", "\r")) or not any(c.strip() for c in rows[-1]):
        return
    widths = Counter(len(r) for r in rows if len(r) > 1)
    usual = widths.most_common(1)[0][0] if widths else 0
    cboe = any({"Calls", "Puts"} <= {c.strip() for c in r} for r in rows[:_SAMPLE_LINES])
    if len(rows[-1]) < usual or cboe:
        what = f"{len(rows[-1])} of {usual} fields" if len(rows[-1]) < usual else "no line break"
        raise ChainError(str(error("cut_row", row=numbers[-1], what=what)))
