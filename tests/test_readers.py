"""Tests for :func:`xlgex.readers.read_chain`: sources, layouts, validation and the clock.

Time values are checked by hand: ACT/365 in whole minutes, MINUTES_PER_YEAR = 525600.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlgex import readers
from xlgex.chain import epoch_minutes
from xlgex.conventions import MINUTES_PER_YEAR, NEW_YORK
from xlgex.errors import ChainError, XlgexError
from xlgex.readers import read_chain

FIXTURES = Path(__file__).parent / "fixtures"
CBOE_CSV = FIXTURES / "cboe_spx_small.csv"
CBOE_OLD = FIXTURES / "cboe_spy_oldformat.dat"
LONG_CSV = FIXTURES / "long_chain.csv"

UTC = dt.timezone.utc
ASOF = dt.datetime(2023, 3, 15, 15, 0)  # naive: 15:00 New York (EDT, UTC-4)
SPOT = 3891.93
HEADER = ["Root", "Expiration", "Type", "Strike", "Open Interest", "IV", "Gamma"]
MAR17 = dt.datetime(2023, 3, 17)


def table(*rows, header=HEADER):
    """A range as Excel passes it: header row, then lists of cells."""
    return [list(header), *[list(r) for r in rows]]


def three_rows():
    """Rows 2-4 of a small range; row 3 has strike 4500 (the row the bad-input tests spoil)."""
    return table(
        ["SPXW", MAR17, "C", 3900.0, 100.0, 0.20, 0.003],
        ["SPXW", MAR17, "P", 4500.0, 200.0, 0.21, 0.003],
        ["SPX", MAR17, "C", 3950.0, 300.0, 0.19, 0.002],
    )


def contracts(chain):
    """The chain as a sorted list of hashable per-contract tuples (NaN IV as None)."""
    f = chain.to_frame()
    return sorted(
        (r.strike, bool(r.is_call), str(r.expiry)[:10], r.open_interest,
         None if np.isnan(r.iv) else r.iv, bool(r.am_settled), r.multiplier)
        for r in f.itertuples()
    )  # fmt: skip


def minutes(chain):
    """Whole minutes to settlement per contract."""
    return np.rint(chain.t_years * MINUTES_PER_YEAR).astype(int)


# -- CSV files -------------------------------------------------------------------------------
def test_cboe_current_format_file():
    chain = read_chain(CBOE_CSV, iv_from_quotes=False)
    d = chain.diagnostics
    assert chain.spot == 3891.9299  # "Last: 3891.9299"
    assert chain.asof == dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK)  # 3:00 PM EDT
    assert (d.spot_source, d.asof_source, d.iv_unit) == ("file", "file", "decimal")
    # 11 lines x (call, put) = 22 contracts; the Mar 14 lines (2 x 2) expired the day before
    assert (d.rows_read, d.rows_used, d.dropped) == (22, 18, {"expired": 4})
    assert len(chain.expired) == 4
    # SPX roots (3 Mar 17 lines + 1 Apr 21 line) x 2 sides are AM-settled, SPXW PM
    assert any("8 of 22 contracts AM-settled" in a for a in d.assumptions)
    # first data line is line 5 (blank line, title, date line, header above it)
    assert chain.source_row.min() == 7 and set(chain.expired.source_row) == {5, 6}
    keys = zip(chain.expiry.astype(str), chain.am_settled, strict=True)
    by_expiry = dict(zip(keys, minutes(chain), strict=True))
    assert by_expiry[("2023-03-15", False)] == 60  # 0DTE SPXW: 15:00 -> 16:00
    assert by_expiry[("2023-03-17", True)] == 2 * 1440 - 330  # SPX: Fri 09:30, 2550 min
    assert by_expiry[("2023-03-17", False)] == 2 * 1440 + 60  # SPXW: Fri 16:00, 2940 min
    assert by_expiry[("2023-04-21", True)] == 37 * 1440 - 330  # 37 days to Apr 21 09:30
    # put 3950 of Mar 15 has IV 0 (CBOE's "none"): kept, NaN, counted with its OI of 12
    put = (chain.strike == 3950) & ~chain.is_call & (chain.expiry == np.datetime64("2023-03-15"))
    assert np.isnan(chain.iv[put]).all() and chain.open_interest[put].tolist() == [12.0]
    assert any(a.startswith("1 of 18 live contracts have no IV") and "carrying 12 open" in a
               for a in d.assumptions)  # fmt: skip
    # Mar 15 3900 call: IV 0.1987, gamma 0.0261, OI 3000 (line 8)
    call = (chain.source_row == 8) & chain.is_call
    assert (chain.iv[call][0], chain.chain_gamma[call][0], chain.open_interest[call][0]) == (
        0.1987, 0.0261, 3000.0)  # fmt: skip


def test_cboe_old_format_dat():
    chain = read_chain(CBOE_OLD)
    d = chain.diagnostics
    assert chain.spot == 310.68  # second field of the first line
    assert chain.asof == dt.datetime(2020, 6, 22, 20, 42, tzinfo=NEW_YORK)  # "20:42 ET" (EDT)
    # 6 lines x 2 sides; the two 06/22 lines settled at 16:00, before 20:42
    assert (d.rows_read, d.rows_used, d.dropped) == (12, 8, {"expired": 4})
    assert not chain.am_settled.any()
    # 06/24 16:00 EDT from 06/22 20:42 EDT: 2 days - 4 h 42 min = 2598 min
    assert set(minutes(chain)) == {2598, 2598 + 2 * 1440}
    # far-wing put IV 22.001 is a real decimal IV: the median decides, not single rows
    assert 22.001 in chain.iv.tolist()
    assert chain.open_interest[(chain.strike == 320) & ~chain.is_call].tolist() == [880.0]


def test_long_csv():
    chain = read_chain(LONG_CSV)
    d = chain.diagnostics
    assert (chain.spot, d.spot_source, d.asof_source) == (3891.93, "column", "column")
    assert chain.asof == dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK)
    # 8 data lines: 1 blank (line 9), 1 expired (Mar 14), 6 used
    assert (d.rows_read, d.rows_used, d.dropped) == (8, 6, {"blank": 1, "expired": 1})
    assert chain.source_row.tolist() == [2, 3, 4, 5, 6, 7]  # file line numbers
    assert chain.open_interest.tolist() == [1500, 2200, 0, 5000, 7000, 800]  # blank OI -> 0
    assert np.isnan(chain.iv[[4, 5]]).all()  # IV 0 and blank IV
    assert chain.am_settled.tolist() == [False, False, False, True, True, False]
    assert any("2 of 6 live contracts have no IV" in a and "carrying 7800" in a
               for a in d.assumptions)  # fmt: skip


def test_csv_path_as_str_and_path_agree():
    assert contracts(read_chain(str(LONG_CSV))) == contracts(read_chain(LONG_CSV))


def test_missing_file():
    with pytest.raises(ChainError, match="cannot read"):
        read_chain(FIXTURES / "no_such_file.csv")


# -- 2D tables and DataFrames ------------------------------------------------------------------
def excel_cell(text: str):
    """What Excel makes of a pasted CSV cell: numbers -> float, m/d/Y -> datetime."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if re.fullmatch(r"\d\d/\d\d/\d{4}", text):
        return dt.datetime.strptime(text, "%m/%d/%Y")
    return text


def pasted(path: Path):
    with open(path, newline="") as f:
        rows = [[excel_cell(c) for c in r] for r in csv.reader(f)]
    width = max(map(len, rows))
    return [r + [None] * (width - len(r)) for r in rows]  # a rectangular range


@pytest.mark.parametrize("path", [CBOE_CSV, CBOE_OLD], ids=["current", "old"])
def test_cboe_pasted_into_excel_reads_like_the_file(path):
    from_file, from_range = read_chain(path), read_chain(pasted(path))
    assert contracts(from_range) == contracts(from_file)
    assert from_range.source_row.tolist() == from_file.source_row.tolist()  # rows = lines
    assert (from_range.spot, from_range.asof) == (from_file.spot, from_file.asof)
    assert from_range.diagnostics.dropped == from_file.diagnostics.dropped


def test_cboe_table_without_preamble_needs_spot(monkeypatch):
    rows = pasted(CBOE_CSV)[3:]  # header and data only
    with pytest.raises(XlgexError, match="no spot price"):
        read_chain(rows)
    monkeypatch.setattr(readers.preamble, "_now", lambda: dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK))
    chain = read_chain(rows, spot=3900.0)
    d = chain.diagnostics
    assert (d.spot_source, d.asof_source) == ("argument", "now")
    assert any(a.startswith("no as-of time given or found: used now") for a in d.assumptions)
    assert contracts(chain) == contracts(read_chain(CBOE_CSV))


def test_arguments_override_the_file():
    chain = read_chain(CBOE_CSV, spot=3900.0, asof=dt.datetime(2023, 3, 15, 12, 0))
    d = chain.diagnostics
    assert (chain.spot, chain.asof.hour) == (3900.0, 12)
    assert (d.spot_source, d.asof_source) == ("argument", "argument")
    assert any("spot from spot= overrides" in a and "3891.93" in a for a in d.assumptions)
    assert any("as-of from asof= overrides" in a for a in d.assumptions)


def test_excel_shaped_range():
    rows = table(
        ["SPXW", MAR17, "C", 3900.0, 12.0, 0.2, None, None, None],
        ["SPXW", MAR17, "P", 3900.0, None, 0.21, None, None, None],  # blank OI -> 0
        [None] * 9,  # a blank row inside the range
        ["SPX", MAR17, "c", 3950.0, 3.0, 0.19, None, None, None],
        *[[None] * 9] * 5,  # trailing blank rows
        header=HEADER + [None, None],  # blank columns at the right
    )
    rows[1] += [None]  # (header has 9 cells, rows 10: ragged input is fine too)
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    d = chain.diagnostics
    assert (d.rows_read, d.rows_used, d.dropped) == (9, 3, {"blank": 6})
    assert chain.source_row.tolist() == [2, 3, 5]
    assert chain.open_interest.tolist() == [12.0, 0.0, 3.0]
    assert chain.is_call.tolist() == [True, False, True]
    assert np.isnan(chain.chain_gamma).all()


def test_excel_serial_dates():
    serial = 45000.0  # 1900 date system: 2023-03-15
    rows = table(["SPXW", serial + 2, "C", 3900.0, 1.0, 0.2, 0.003],
                 ["SPXW", int(serial), "P", 3900.0, 1.0, 0.2, 0.003])  # fmt: skip
    chain = read_chain(rows, spot=SPOT, asof=serial + 0.625)  # .625 day = 15:00
    assert chain.asof == dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK)
    assert chain.expiry.astype(str).tolist() == ["2023-03-17", "2023-03-15"]
    assert minutes(chain).tolist() == [2 * 1440 + 60, 60]


def test_dataframe_matches_csv():
    frame = pd.read_csv(LONG_CSV)
    from_frame, from_csv = read_chain(frame), read_chain(LONG_CSV)
    assert contracts(from_frame) == contracts(from_csv)
    # header = row 1, so DataFrame rows carry the same numbers as the CSV lines
    assert from_frame.source_row.tolist() == from_csv.source_row.tolist()
    assert from_frame.diagnostics.dropped == from_csv.diagnostics.dropped


def test_dataframe_with_datetime_column_and_named_index():
    frame = pd.DataFrame({
        "strike": [3900.0, 3950.0],
        "expiration_date": pd.to_datetime(["2023-03-17", "2023-03-17"]),
        "option_type": ["call", "PUT"],
        "open_interest": [10, 20],
        "implied_volatility": [0.2, 0.22],
    }).set_index("strike")  # fmt: skip
    chain = read_chain(frame, spot=SPOT, asof=ASOF)
    assert chain.strike.tolist() == [3900.0, 3950.0]
    assert chain.is_call.tolist() == [True, False]
    assert minutes(chain).tolist() == [2940, 2940]


def test_cboe_dataframe_from_read_csv():
    frame = pd.read_csv(CBOE_CSV, skiprows=3)  # duplicate names become "IV.1", ...
    assert "Open Interest.1" in frame.columns
    chain = read_chain(frame, spot=3891.9299, asof=ASOF)
    assert contracts(chain) == contracts(read_chain(CBOE_CSV))
    frame.loc[3, "Open Interest.1"] = -3  # DataFrame row 5 (header = row 1)
    with pytest.raises(ChainError, match=r"row 5 \(strike 3900\), column 'Open Interest \(puts\)'"):
        read_chain(frame, spot=3891.9299, asof=ASOF)


def test_numpy_object_array():
    chain = read_chain(np.array(three_rows(), dtype=object), spot=SPOT, asof=ASOF)
    assert contracts(chain) == contracts(read_chain(three_rows(), spot=SPOT, asof=ASOF))


def test_column_aliases_and_type_values():
    rows = table(
        ["SPXW230317C03900000", "03/17/2023", "Call", 3900.0, 1.0, 0.2, 5.0],
        ["SPX230317P03900000", "2023-03-17", "p", 3900.0, 2.0, 0.2, -5.0],
        ["NDXP230317C12000000", "Fri Mar 17 2023", "CALL", 12000.0, 3.0, 0.2, 0.0],
        ["NDX230317P12000000", "17-Mar-2023", "Put", 12000.0, 4.0, 0.2, 1.0],
        header=["  option symbol ", "EXPIRY", "Call/Put", "Strike Price", "open_interest",
                "Impl Vol", "dealer_position"],
    )  # fmt: skip
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert chain.is_call.tolist() == [True, False, True, False]
    assert chain.am_settled.tolist() == [False, True, False, True]  # SPX, NDX monthlies AM
    assert (chain.expiry == np.datetime64("2023-03-17")).all()
    assert chain.dealer_position.tolist() == [5.0, -5.0, 0.0, 1.0]


def test_gamma_without_iv_column():
    rows = [[r[i] for i in (0, 1, 2, 3, 4, 6)] for r in three_rows()]
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert np.isnan(chain.iv).all() and chain.chain_gamma.tolist() == [0.003, 0.003, 0.002]
    assert any(a.startswith("no IV column") for a in chain.diagnostics.assumptions)


# -- settlement and the clock ------------------------------------------------------------------
def expiry_day_table(asof):
    rows = table(["SPX", MAR17, "C", 3900.0, 1.0, 0.2, None],
                 ["SPXW", MAR17, "C", 3900.0, 1.0, 0.2, None])  # fmt: skip
    return read_chain(rows, spot=SPOT, asof=asof)


def test_am_contract_expired_at_10_pm_contract_alive():
    chain = expiry_day_table(dt.datetime(2023, 3, 17, 10, 0))
    assert chain.diagnostics.dropped == {"expired": 1}
    assert chain.am_settled.tolist() == [False] and minutes(chain).tolist() == [360]
    assert chain.expired.am_settled.tolist() == [True]


def test_am_contract_alive_before_the_open():
    chain = expiry_day_table(dt.datetime(2023, 3, 17, 9, 0))
    assert sorted(minutes(chain).tolist()) == [30, 420]


def test_pm_0dte_at_15_00_has_60_minutes():
    chain = expiry_day_table(dt.datetime(2023, 3, 17, 15, 0))
    assert chain.t_years.tolist() == [60 / 525600]


@pytest.mark.parametrize(
    "expiry, root, utc_hour",
    [
        (dt.datetime(2023, 7, 21), "SPXW", 20),  # 16:00 EDT = 20:00 UTC
        (dt.datetime(2023, 12, 15), "SPXW", 21),  # 16:00 EST = 21:00 UTC
        (dt.datetime(2023, 7, 21), "SPX", 13),  # 09:30 EDT = 13:30 UTC
        (dt.datetime(2023, 12, 15), "SPX", 14),  # 09:30 EST = 14:30 UTC
    ],
)
def test_settlement_instant_follows_dst(expiry, root, utc_hour):
    rows = table([root, expiry, "C", 4500.0, 1.0, 0.2, None])
    chain = read_chain(rows, spot=4500.0, asof=dt.datetime(2023, 1, 3, 12, 0))
    minute = 30 if root == "SPX" else 0
    settle = dt.datetime(expiry.year, expiry.month, expiry.day, utc_hour, minute, tzinfo=UTC)
    assert chain.settle_minutes.tolist() == [epoch_minutes(settle)]


def test_time_across_the_dst_change():
    # Fri 2023-03-10 16:00 EST -> Mon 2023-03-13 16:00 EDT: 3 days less the lost hour
    rows = table(["SPXW", dt.date(2023, 3, 13), "C", 4000.0, 1.0, 0.2, None])
    chain = read_chain(rows, spot=4000.0, asof=dt.datetime(2023, 3, 10, 16, 0))
    assert minutes(chain).tolist() == [3 * 1440 - 60]


@pytest.mark.parametrize(
    "asof",
    [
        dt.datetime(2023, 3, 15, 15, 0),  # naive = New York
        dt.datetime(2023, 3, 15, 15, 0, tzinfo=ZoneInfo("America/New_York")),
        dt.datetime(2023, 3, 15, 19, 0, tzinfo=UTC),
        pd.Timestamp("2023-03-15 15:00"),
        "2023-03-15 15:00",
        "2023-03-15T19:00:00+00:00",
        "03/15/2023 3:00 PM",
        "Date: March 15, 2023 at 3:00 PM EDT",
        45000.625,
    ],
)
def test_asof_forms(asof):
    chain = read_chain(three_rows(), spot=SPOT, asof=asof)
    assert chain.asof == dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK)
    assert chain.asof.utcoffset() == dt.timedelta(hours=-4)


def test_asof_date_means_midnight():
    chain = read_chain(three_rows(), spot=SPOT, asof=dt.date(2023, 3, 17))
    # from 00:00: SPXW rows settle at 16:00 (960 min), the SPX row at 09:30 (570 min)
    assert minutes(chain).tolist() == [960, 960, 570]
    assert chain.diagnostics.dropped == {}


def test_asof_defaults_to_now(monkeypatch):
    monkeypatch.setattr(readers.preamble, "_now", lambda: dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK))
    chain = read_chain(three_rows(), spot=SPOT)
    assert chain.diagnostics.asof_source == "now"
    assert any("used now, 2023-03-15 15:00" in a for a in chain.diagnostics.assumptions)


def test_settlement_column_overrides_root():
    rows = table(
        ["SPX", MAR17, "C", 3900.0, 1.0, 0.2, None, "PM"],
        ["XSP", MAR17, "C", 3900.0, 1.0, 0.2, None, "am"],
        ["SPX", MAR17, "C", 3900.0, 1.0, 0.2, None, None],  # blank: the root decides
        header=HEADER + ["Settlement"],
    )
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert chain.am_settled.tolist() == [False, True, True]
    assert any("2 of 3 contracts AM-settled" in a for a in chain.diagnostics.assumptions)


def test_no_root_column_means_pm():
    rows = [r[1:] for r in three_rows()]
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert not chain.am_settled.any()
    assert any("all contracts taken as PM-settled" in a for a in chain.diagnostics.assumptions)


def test_multiplier_column_then_argument_then_100():
    rows = table(
        ["SPXW", MAR17, "C", 3900.0, 1.0, 0.2, None, 10.0],
        ["SPXW", MAR17, "P", 3900.0, 1.0, 0.2, None, None],
        header=HEADER + ["Multiplier"],
    )
    assert read_chain(rows, spot=SPOT, asof=ASOF, multiplier=50).multiplier.tolist() == [10, 50]
    assert read_chain(rows, spot=SPOT, asof=ASOF).multiplier.tolist() == [10, 100]
    plain = read_chain(three_rows(), spot=SPOT, asof=ASOF, multiplier=10)
    assert plain.multiplier.tolist() == [10, 10, 10]


# -- IV units ----------------------------------------------------------------------------------
def iv_table(ivs):
    return table(*[["SPXW", MAR17, "C", 3900.0 + 5 * i, 1.0, iv, None]
                   for i, iv in enumerate(ivs)])  # fmt: skip


def test_percent_iv_declared_decimal_raises():
    with pytest.raises(ChainError, match=r"column 'IV': IV median 20 looks like percent"):
        read_chain(iv_table([19.0, 20.0, 21.0]), spot=SPOT, asof=ASOF)


def test_percent_iv_declared_percent():
    chain = read_chain(iv_table([19.0, 20.0, 21.0]), spot=SPOT, asof=ASOF, iv_unit="percent")
    np.testing.assert_allclose(chain.iv, [0.19, 0.20, 0.21])
    assert chain.diagnostics.iv_unit == "percent"


def test_decimal_iv_declared_percent_raises():
    with pytest.raises(ChainError, match="IV median 0.2 looks like decimals"):
        read_chain(iv_table([0.19, 0.20, 0.21]), spot=SPOT, asof=ASOF, iv_unit="percent")


@pytest.mark.parametrize(
    "ivs, unit, first",
    [([19.0, 20.0, 0.0, 21.0], "percent", 0.19), ([0.19, 0.2, 24.0, 0.21], "decimal", 0.19)],
)
def test_auto_iv_unit(ivs, unit, first):
    chain = read_chain(iv_table(ivs), spot=SPOT, asof=ASOF, iv_unit="auto")
    assert chain.diagnostics.iv_unit == unit and chain.iv[0] == pytest.approx(first)
    assert any(a.startswith(f"IV unit inferred: {unit}") for a in chain.diagnostics.assumptions)


def test_far_wing_ivs_above_3_stay_decimal():
    chain = read_chain(iv_table([0.19, 0.2, 24.0, 22.0, 0.21]), spot=SPOT, asof=ASOF)
    assert chain.iv.tolist() == [0.19, 0.2, 24.0, 22.0, 0.21]


# -- bad input: every message names the row and the column ------------------------------------
EXCEL_ERROR_TEXTS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                     "#SPILL!", "#CALC!", "#GETTING_DATA"]  # fmt: skip
COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
              -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
              -2146826273: "#VALUE!"}  # fmt: skip


def spoil(column: str, value, rows=None):
    """``three_rows()`` with the cell of ``column`` on row 3 (strike 4500) replaced."""
    rows = rows or three_rows()
    rows[2][rows[0].index(column)] = value
    return rows


def with_column(*cells):
    """``three_rows()`` with one more column: header, then a cell for rows 2-4."""
    return [r + [v] for r, v in zip(three_rows(), cells, strict=True)]


def raises(rows, **kwargs) -> str:
    kwargs.setdefault("spot", SPOT)
    kwargs.setdefault("asof", ASOF)
    with pytest.raises(ChainError) as info:
        read_chain(rows, **kwargs)
    message = str(info.value)
    assert message.startswith("xlgex: ") and len(message) <= 200 and "\n" not in message, message
    return message


def test_negative_open_interest_message():
    assert raises(spoil("Open Interest", -3.0)) == (
        "xlgex: row 3 (strike 4500), column 'Open Interest': open interest -3 must be >= 0"
    )


@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("Open Interest", "abc", "row 3 (strike 4500), column 'Open Interest': 'abc' is not a "),
        ("IV", "n/a", "row 3 (strike 4500), column 'IV': 'n/a' is not a number"),
        ("Gamma", "1,5", "row 3 (strike 4500), column 'Gamma': '1,5' is ambiguous: decimal comma"),
        ("Strike", "4.500,5", "row 3, column 'Strike': '4.500,5' is ambiguous: decimal comma"),
        ("Strike", True, "row 3, column 'Strike': TRUE is a boolean, not a number"),
        ("Open Interest", False, "row 3 (strike 4500), column 'Open Interest': FALSE is a boolean"),
        ("IV", True, "row 3 (strike 4500), column 'IV': TRUE is a boolean, not a number"),
        ("Strike", 0.0, "row 3, column 'Strike': strike 0 must be > 0"),
        ("Strike", -5.0, "row 3, column 'Strike': strike -5 must be > 0"),
        ("Strike", None, "row 3, column 'Strike': strike is missing (blank cell)"),
        ("Type", "X", "row 3 (strike 4500), column 'Type': option type 'X' is not call/put"),
        ("Type", 1.0, "row 3 (strike 4500), column 'Type': option type '1' is not call/put"),
        ("Type", None, "row 3 (strike 4500), column 'Type': option type is missing"),
        ("Expiration", "2023-02-30", "column 'Expiration': '2023-02-30' is not a date"),
        ("Expiration", "soon", "row 3 (strike 4500), column 'Expiration': 'soon' is not a date"),
        ("Expiration", 4500.0, "row 3 (strike 4500), column 'Expiration': '4500' is not a date"),
        ("Expiration", None, "row 3 (strike 4500), column 'Expiration': expiry is missing"),
    ],
)
def test_bad_cells(column, value, expected):
    assert expected in raises(spoil(column, value))


@pytest.mark.parametrize("text", EXCEL_ERROR_TEXTS)
@pytest.mark.parametrize("column", ["Strike", "Open Interest", "Type", "Expiration", "Root"])
def test_excel_error_text(column, text):
    message = raises(spoil(column, text))
    assert "row 3" in message and f"column '{column}'" in message
    assert message.endswith(f"the cell holds Excel error {text}")


@pytest.mark.parametrize("code, text", COM_ERRORS.items())
@pytest.mark.parametrize("column", ["Strike", "IV", "Type", "Expiration"])
def test_excel_error_com_code(column, code, text):
    message = raises(spoil(column, code))
    assert "row 3" in message and f"column '{column}'" in message
    assert message.endswith(f"Excel error {text}")


def test_excel_error_in_an_unused_column_is_ignored():
    rows = with_column("Notes", "#N/A", None, -2146826246)
    assert len(read_chain(rows, spot=SPOT, asof=ASOF)) == 3


@pytest.mark.parametrize("column", ["Strike", "Expiration", "Type", "Open Interest"])
def test_missing_required_column(column):
    rows = three_rows()
    j = rows[0].index(column)
    rows = [r[:j] + r[j + 1 :] for r in rows]
    message = raises(rows)
    assert message.startswith(f"xlgex: row 1: missing column '{column}'")


def test_missing_iv_and_gamma():
    rows = [r[:5] for r in three_rows()]
    assert raises(rows).startswith("xlgex: row 1: missing column 'IV' (looked for: IV, ")


def test_missing_column_below_a_title_row():
    rows = [["My chain", None, None]] + [r[:5] for r in three_rows()]
    assert raises(rows).startswith("xlgex: row 2: missing column 'IV'")


@pytest.mark.parametrize(
    "rows, row",
    [
        ([], None),
        ([HEADER], 1),
        ([HEADER, [None] * 7, [""] * 7], 1),
        ([[None] * 7, [None] * 7], None),
    ],
    ids=["nothing", "header-only", "blank-rows", "all-blank"],
)
def test_empty_table(rows, row):
    message = raises(rows)
    assert "the chain has no data rows" in message
    if row:
        assert message.startswith(f"xlgex: row {row}: ")


def test_spot_not_positive():
    with pytest.raises(XlgexError, match="spot 0 must be > 0"):
        read_chain(three_rows(), spot=0.0, asof=ASOF)
    rows = with_column("Underlying Price", 3900.0, 0.0, 3900.0)
    assert "row 3 (strike 4500), column 'Underlying Price': spot 0 must be > 0" in raises(
        rows, spot=None)  # fmt: skip


def test_spot_not_positive_in_cboe_preamble():
    rows = pasted(CBOE_CSV)
    rows[1][1] = "Last: 0"
    assert raises(rows, spot=None, asof=None) == "xlgex: row 2: spot 0 must be > 0"


def test_cboe_put_side_error_names_the_side():
    rows = pasted(CBOE_CSV)
    rows[7][21] = -3.0  # line 8, put Open Interest
    message = raises(rows)
    assert message == (
        "xlgex: row 8 (strike 3900), column 'Open Interest (puts)': open interest -3 must be >= 0"
    )


def test_csv_error_gives_the_file_line(tmp_path):
    text = CBOE_OLD.read_text().replace(",12350", ",#N/A")  # line 7, put Open Int
    path = tmp_path / "spoiled.dat"
    path.write_text(text)
    with pytest.raises(ChainError) as info:
        read_chain(path)
    assert str(info.value) == (
        "xlgex: row 7 (strike 310), column 'Open Int (puts)': the cell holds Excel error #N/A"
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"spot": "abc"}, "spot='abc' is not a number"),
        ({"spot": -2146826246}, "spot='#N/A' is not a number"),
        ({"spot": -1.0}, "spot -1 must be > 0"),
        ({"asof": "someday"}, "asof='someday' is not a date or time"),
        ({"iv_unit": "pct"}, "iv_unit 'pct' is not one of: decimal, percent, auto"),
        ({"multiplier": 0}, "multiplier 0 must be > 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"spot": SPOT, "asof": ASOF, **kwargs}
    with pytest.raises(XlgexError, match=re.escape(match)):
        read_chain(three_rows(), **kwargs)


def test_multiplier_column_not_positive():
    rows = with_column("Multiplier", 100.0, 0.0, None)
    assert "row 3 (strike 4500), column 'Multiplier': multiplier 0 must be > 0" in raises(rows)


def test_bad_settlement_value():
    rows = with_column("Settlement", "AM", "noon", None)
    assert "column 'Settlement': settlement 'noon' is not one of: AM, PM" in raises(rows)


# -- invariants --------------------------------------------------------------------------------
BASE_ROWS = [
    ["SPXW", MAR17, "C", 3900.0, 10.0, 0.20, 0.003],
    ["SPXW", MAR17, "P", 3900.0, 20.0, 0.21, 0.003],
    ["SPX", MAR17, "C", 3950.0, 30.0, 0.19, 0.002],
    ["SPX", MAR17, "P", 3850.0, 40.0, None, 0.002],
    ["SPXW", dt.datetime(2023, 3, 14), "C", 3900.0, 50.0, 0.3, 0.001],  # expired
    ["SPXW", 45000.0, "P", 3800.0, 60.0, 0.25, 0.001],  # Excel serial: 2023-03-15
    [None] * 7,
    ["SPXW", "2023-04-21", "c", 4000.0, None, 0.18, 0.001],
]


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(len(BASE_ROWS))))
def test_row_order_does_not_matter(order):
    reference = read_chain(table(*BASE_ROWS), spot=SPOT, asof=ASOF)
    shuffled = read_chain(table(*[BASE_ROWS[i] for i in order]), spot=SPOT, asof=ASOF)
    assert contracts(shuffled) == contracts(reference)
    assert shuffled.diagnostics.dropped == reference.diagnostics.dropped
    assert contracts(shuffled.expired) == contracts(reference.expired)


@pytest.mark.parametrize("source", [CBOE_CSV, CBOE_OLD, LONG_CSV])
def test_every_row_is_accounted_for(source):
    d = read_chain(source, spot=SPOT, asof=ASOF).diagnostics
    assert d.rows_read == d.rows_used + sum(d.dropped.values())
