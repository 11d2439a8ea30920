"""Dates and instants from cells and file text: Excel serials, ISO, US, European and CBOE forms."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np

from ..chain import to_new_york
from ..conventions import NEW_YORK
from ..errors import XlgexError, error
from .values import _CellError, _excel_error, _per_value, _show, _Where, distinct

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # 1900 date system: serial 45000 = 2023-03-15
_SERIAL_RANGE = (25569.0, 109574.0)  # 1970-01-01 .. 2199-12-31: plausible chain dates
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
_EASTERN = {
    "est": dt.timezone(dt.timedelta(hours=-5)),
    "edt": dt.timezone(dt.timedelta(hours=-4)),
    "et": NEW_YORK,
}


def _dates(col, label, where: _Where) -> tuple[np.ndarray, np.ndarray]:
    """Dates of a column. Slashed dates are month first (US) unless the column itself shows
    day first (a first number above 12, as in ``17/03/2023``, and none in second place)."""
    if isinstance(col, np.ndarray) and col.dtype.kind == "M":
        days = col.astype("datetime64[D]")
        return days, np.isnat(days)
    parse = _parse_date_day_first if _day_first(col) else _parse_date
    return _per_value(col, label, where, parse, "datetime64[D]", np.datetime64("NaT", "D"))


def _day_first(col) -> bool:
    firsts, seconds = set(), set()
    for v in (v for v in distinct(col) if isinstance(v, str)):
        if m := _US_DATE.match(v.strip()):
            firsts.add(int(m[1]))
            seconds.add(int(m[2]))
    return bool(firsts) and max(firsts) > 12 and max(seconds) <= 12


def _parse_date_day_first(v) -> dt.date:
    if isinstance(v, str) and (m := _US_DATE.fullmatch(v.strip())):
        try:
            return dt.date(_year(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            raise _CellError("bad_date", value=_show(v)) from None
    return _parse_date(v)


# -- dates and times ---------------------------------------------------------------------------
_TIME_TAIL = re.compile(
    r"(?P<date>.+?)\s*(?:,|\bat\b|@|\s)\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>e[sd]?t)?",
    re.I,
)  # a date, then a time: "June 11, 2022, 8:47 PM EDT", "Jun 22 2020 @ 20:42 ET"
_MONTH_DAY_YEAR = re.compile(r"(?:[a-z]{3,9}\.?,?\s+)?([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})", re.I)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[-\s]([a-z]{3,9})\.?[-\s,]+(\d{4}|\d{2})", re.I)
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")  # European: 18.12.2026


def _month(name: str) -> int:
    name = name.lower()
    for i, month in enumerate(_MONTHS):
        if month.startswith(name):
            return i + 1
    raise ValueError(name)


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _date_from_text(text: str) -> dt.date | None:
    text = text.strip()
    try:
        if m := _MONTH_DAY_YEAR.fullmatch(text):
            return dt.date(int(m[3]), _month(m[1]), int(m[2]))
        if m := _DAY_MONTH_YEAR.fullmatch(text):
            return dt.date(_year(m[3]), _month(m[2]), int(m[1]))
        if m := _YEAR_FIRST.fullmatch(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _US_DATE.fullmatch(text):
            return dt.date(_year(m[3]), int(m[1]), int(m[2]))
        if m := _DOTTED_DATE.fullmatch(text):
            return dt.date(_year(m[3]), int(m[2]), int(m[1]))
        if re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.datetime.fromisoformat(text).date()  # "2022-02-07 00:00:00" and the like
    except ValueError:
        return None


def _serial(value: float, with_time: bool):
    """Excel serial (1900 system) -> datetime rounded to the second; YYYYMMDD ints as dates."""
    lo, hi = _SERIAL_RANGE
    if lo <= value <= hi:
        seconds = round(value * 86400.0) if with_time else math.floor(value + 1e-9) * 86400
        return _EXCEL_EPOCH + dt.timedelta(seconds=seconds)
    if 19000101 <= value <= 29991231 and float(value).is_integer():
        text = str(int(value))
        return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:]))
    raise ValueError(value)


def parse_date(value, name: str = "date") -> dt.date:
    """A calendar date from a cell: datetime, date, Excel serial number or text."""
    try:
        return _parse_date(value)
    except _CellError:
        raise XlgexError(f"xlgex: {name}: '{_show(value)}' is not a date") from None


def _parse_date(v) -> dt.date:
    try:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, np.datetime64):
            return v.astype("datetime64[D]").item()
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return _serial(float(v), with_time=False).date()
        if isinstance(v, str):
            date = _date_from_text(v)
            if date is None:
                date = _serial(float(v), with_time=False).date()
            return date
    except (ValueError, OverflowError):
        pass
    raise _CellError("bad_date", value=_show(v))


def _when_from_text(text: str) -> dt.datetime | None:
    """A datetime from text: ISO 8601, or a date followed by a time (12 or 24 hour) and an
    optional Eastern zone (EST/EDT are fixed offsets, ET is New York). None if not a time."""
    text = re.sub(r"^\s*date:\s*", "", text, flags=re.I).strip()
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    if m := _TIME_TAIL.fullmatch(text):
        date = _date_from_text(m["date"])
        if date is None:
            return None
        hour = int(m["h"])
        if m["ampm"]:
            hour = hour % 12 + (12 if m["ampm"][0].lower() == "p" else 0)
        when = dt.datetime.combine(date, dt.time(hour, int(m["m"]), int(m["s"] or 0)))
        zone = _EASTERN.get((m["tz"] or "").lower())
        return when if zone is None else to_new_york(when.replace(tzinfo=zone))
    date = _date_from_text(text)
    return None if date is None else dt.datetime.combine(date, dt.time(0, 0))


def _parse_when(v) -> dt.datetime:
    """An instant from a cell or argument: datetime, date, Excel serial or text."""
    try:
        if type(v).__module__ == "pywintypes":
            # pywin32 tags an Excel date cell UTC, but its fields are Excel's wall clock
            v = dt.datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        if isinstance(v, (dt.date, np.datetime64)):
            return to_new_york(v)
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return to_new_york(_serial(float(v), with_time=True))
        if isinstance(v, str):
            when = _when_from_text(v)
            if when is None:
                when = _serial(float(v), with_time=True)
            return to_new_york(when)
    except (ValueError, OverflowError):
        pass
    raise _CellError("bad_date", value=_show(v))


def _when_argument(value) -> dt.datetime:
    err = _excel_error(value)
    shown = err or _show(value)
    try:
        if err:
            raise _CellError("bad_date")
        return _parse_when(value)
    except _CellError:
        raise error("bad_argument", what="asof", value=shown, expected="a date or time") from None
