"""Property: a chain saved as text in any accepted dialect reads to the chain of its range.

Dialects: comma, semicolon or tab; decimal point or decimal comma; thousands separators or
none; UTF-8, UTF-8 with BOM or UTF-16; with or without a title line above the header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlgex.readers import read_chain

ASOF = dt.datetime(2024, 1, 10, 12, 0)
HEADER = ["Root", "Expiration", "Type", "Strike", "Open Interest", "IV", "Bid", "Ask"]

contract = st.tuples(
    st.sampled_from(["SPX", "SPXW", "SPY", "QQQ"]),
    st.dates(dt.date(2024, 1, 10), dt.date(2026, 12, 31)),
    st.sampled_from(["C", "P"]),
    st.integers(1, 200_000).map(lambda k: k / 20),  # strikes 0.05 .. 10,000 in 0.05 steps
    st.integers(0, 2_000_000),
    st.one_of(st.none(), st.integers(1, 15_000).map(lambda v: v / 10_000)),  # IV 0.0001 .. 1.5
    st.integers(1, 900_000).map(lambda v: v / 100),
)


def number(value, decimal_comma: bool, thousands: bool) -> str:
    text = f"{value:,}" if thousands else f"{value}"
    if decimal_comma:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(contract, min_size=1, max_size=12, unique_by=lambda r: r[1:4]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    decimal_comma=st.booleans(),
    thousands=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    title=st.booleans(),
)
def test_text_dialects_read_like_the_range(tmp_path_factory, rows, delimiter, decimal_comma, thousands,
                                           encoding, title):  # fmt: skip
    has_decimals = any(r[5] is not None for r in rows) or any(r[6] % 1 for r in rows)
    if decimal_comma and not has_decimals:
        decimal_comma = False  # nothing in such a file says "decimal comma"; not a dialect
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerow(["Option chain export"])
    writer.writerow(HEADER)
    dates = "%d.%m.%Y" if decimal_comma else "%Y-%m-%d"
    for root, expiry, kind, strike, oi, iv, mid in rows:
        cells = [number(v, decimal_comma, thousands) for v in (strike, oi)]
        iv_cell = "" if iv is None else number(iv, decimal_comma, False)
        quotes = [number(round(mid * f, 4), decimal_comma, thousands) for f in (0.99, 1.01)]
        writer.writerow([root, expiry.strftime(dates), kind, *cells, iv_cell, *quotes])
    path = tmp_path_factory.mktemp("dialect") / "chain.csv"
    path.write_bytes(out.getvalue().encode(encoding))

    from_file = read_chain(path, spot=4000.0, asof=ASOF)
    grid = [HEADER] + [[r[0], r[1], r[2], r[3], r[4], r[5], round(r[6] * 0.99, 4), round(r[6] * 1.01, 4)]
                       for r in rows]  # fmt: skip
    from_range = read_chain(grid, spot=4000.0, asof=ASOF)
    for name in ("strike", "is_call", "expiry", "open_interest", "am_settled", "source_row"):
        a, b = getattr(from_file, name), getattr(from_range, name)
        shifted = b + 1 if (name == "source_row" and title) else b
        assert np.array_equal(a, shifted), name
    assert np.array_equal(from_file.iv, from_range.iv, equal_nan=True)
