"""The worksheet functions, called the way Excel on Windows calls them (tests/xlharness.py).

Every UDF goes through xlwings' real decorators, ``call_udf`` and ``xlwings.conversion``,
with Excel-shaped values, and its result is compared with the Python API's.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xlgex
from xlgex import cells

from .xlharness import MISSING, excel_error, table

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOT = Path(__file__).parent / "snapshots" / "udfs_vba.bas"
ASOF = dt.datetime(2026, 11, 20, 10, 30)
UDF_NAMES = ["GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE", "GEX_WALLS",
             "GEX_EXPOSURE", "GEX_INFO", "BS_GREEKS", "HEDGE_TRADE", "HEDGE_LADDER"]  # fmt: skip


def long_frame(seed=1, n=80, spot=5000.0) -> pd.DataFrame:
    """A long-layout chain: calls above spot and puts below, so there is one flip."""
    rng = np.random.default_rng(seed)
    strike = np.round(spot * np.exp(rng.normal(0, 0.04, n)) / 5) * 5
    days = rng.integers(0, 40, n)
    return pd.DataFrame({
        "Root": "SPXW",
        "Expiration": [dt.datetime(2026, 11, 20) + dt.timedelta(days=int(d)) for d in days],
        "Type": np.where(strike > spot * (1 + rng.normal(0, 0.01, n)), "C", "P"),
        "Strike": strike, "Open Interest": rng.integers(1, 4000, n).astype(float),
        "IV": rng.uniform(0.12, 0.3, n).round(4),
    })  # fmt: skip


@pytest.fixture(scope="module")
def frame():
    return long_frame()


@pytest.fixture(scope="module")
def chain_range(frame):
    return table(frame)


@pytest.fixture(scope="module")
def chain(frame):
    return xlgex.read_chain(frame, spot=5000.0, asof=ASOF)


def grid(value):
    """A result as rows of cells (a one-row result crosses COM as a flat list)."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(row) for row in value]


# -- registration --------------------------------------------------------------------------


def test_every_udf_documents_itself(xl):
    assert set(UDF_NAMES) <= set(xl.functions)
    for name, info in xl.functions.items():
        doc = info["ret"]["doc"]
        assert doc and "\n" not in doc.strip() and len(doc) < 100, name
        assert info["volatile"] is False, name
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255, (name, arg["name"])


def test_vba_wrapper_snapshot(xl):
    vba = xl.vba_wrapper()
    assert SNAPSHOT.read_text(encoding="utf-8") == vba, "regenerate with tests/snapshots/make.py"
    for name in UDF_NAMES:
        assert f"Function {name}(" in vba
    assert "Optional spot" in vba and "Optional convention" in vba


# -- results equal the Python API ----------------------------------------------------------


def test_gex_strike_matches_python(xl, chain_range, chain):
    out = grid(xl.call("GEX_STRIKE", chain_range, 5000.0, ASOF))
    assert out[0] == ["strike", "call GEX", "put GEX", "net GEX"]
    expected = xlgex.gex_by_strike(chain)
    np.testing.assert_allclose(np.array(out[1:], dtype=float), expected.to_numpy(), rtol=1e-12)


def test_omitted_and_blank_arguments_take_defaults(xl, chain_range):
    explicit = xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF, "calls_long_puts_short", "model")
    omitted = xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF, MISSING, MISSING)
    blank = xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF, None, None)
    left_out = xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF)
    assert explicit == omitted == blank == left_out
    assert isinstance(explicit, float)


def test_dates_as_datetime_or_serial(xl, chain_range):
    serial = (ASOF - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    assert xl.call("GEX_TOTAL", chain_range, 5000.0, serial) == pytest.approx(
        xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF), rel=1e-12)


def test_date_cells_inside_the_chain_range(xl, frame):
    # pywin32 hands date cells over tagged UTC with Excel's wall-clock fields: a Quote Time
    # of 10:30 must stay 10:30 New York on the raw path.
    with_time = frame.assign(**{"Underlying Price": 5000.0, "Quote Time": ASOF})
    via_excel = xl.call("GEX_TOTAL", table(with_time))
    direct = xlgex.total_gex(xlgex.read_chain(frame, spot=5000.0, asof=ASOF))
    assert via_excel == pytest.approx(float(direct), rel=1e-12)
    info = dict(map(tuple, grid(xl.call("GEX_INFO", table(with_time)))))
    assert info["as of (New York)"].replace(tzinfo=None) == ASOF  # Excel dates cross COM as UTC
    assert info["as-of source"] == "column"


def test_flip_total_profile_walls_exposure(xl, chain_range, chain):
    flip = xlgex.gamma_flip(chain)
    assert math.isfinite(flip)
    assert xl.call("GEX_FLIP", chain_range, 5000.0, ASOF) == pytest.approx(float(flip))
    cumulative = xl.call("GEX_FLIP", chain_range, 5000.0, ASOF, MISSING, "cumulative")
    assert cumulative == pytest.approx(float(xlgex.gamma_flip(chain, method="cumulative")))
    assert xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF) == pytest.approx(
        float(xlgex.total_gex(chain)), rel=1e-12)
    profile = grid(xl.call("GEX_PROFILE", chain_range, 5000.0, ASOF, MISSING, 21.0))
    expected = xlgex.gex_profile(chain, n_levels=21)
    np.testing.assert_allclose(np.array(profile[1:], dtype=float), expected.to_numpy(), rtol=1e-12)
    walls = dict(map(tuple, grid(xl.call("GEX_WALLS", chain_range, 5000.0, ASOF))))
    api = xlgex.gex_walls(chain)
    assert walls == {"call wall": api["call_wall"], "put wall": api["put_wall"],
                     "abs-gamma strike": api["abs_gamma_strike"]}  # fmt: skip
    vex = grid(xl.call("GEX_EXPOSURE", chain_range, "vanna", 5000.0, ASOF))
    assert vex[0] == ["strike", "call vanna", "put vanna", "net vanna"]
    np.testing.assert_allclose(np.array(vex[1:], dtype=float),
                               xlgex.exposure_by_strike(chain, "vanna").to_numpy(), rtol=1e-12)


def test_no_flip_is_text_not_a_level(xl, frame):
    calls = table(frame[frame["Type"] == "C"])
    result = xl.call("GEX_FLIP", calls, 5000.0, ASOF)
    assert isinstance(result, str) and result.startswith("no flip: net GEX stays positive")
    assert len(result) <= cells.MAX_MESSAGE


def test_regime_label_and_details(xl, chain_range, chain):
    label = xl.call("GEX_REGIME", chain_range, 5000.0, ASOF, MISSING, 9.0, 1.1)
    assert label == xlgex.classify_regime(chain, skew=9.0, term_structure=1.1).label
    assert "steep skew" in label and "stress" in label
    details = dict(map(tuple, grid(xl.call("GEX_REGIME", chain_range, 5000.0, ASOF, MISSING,
                                           MISSING, MISSING, True))))  # fmt: skip
    assert details["regime"].split(" |")[0] == label.split(" |")[0]
    assert details["net GEX at spot ($ per 1%)"] == pytest.approx(float(xlgex.total_gex(chain)))
    assert details["convention"] == "calls_long_puts_short"


def test_info_echoes_assumptions(xl, chain_range):
    info = dict(map(tuple, grid(xl.call("GEX_INFO", chain_range, 5000.0, ASOF, "all_short"))))
    assert info["convention"] == "all_short" and info["gamma source"] == "model"
    assert "ACT/365" in info["time rule"] and info["spot source"] == "argument"
    assert info["rows read"] == 80 and "0DTE share of gross GEX" in info


def test_cboe_download_pasted_with_blank_rows(xl):
    import csv

    with open(FIXTURES / "cboe_spx_small.csv", newline="") as fh:
        rows = [row for row in csv.reader(fh)]
    width = max(len(r) for r in rows)
    pasted = [[_excel_value(v) for v in r] + [None] * (width - len(r)) for r in rows]
    pasted += [[None] * width] * 5  # the trader selected extra rows
    via_excel = xl.call("GEX_TOTAL", tuple(map(tuple, pasted)))
    from_file = xlgex.total_gex(xlgex.read_chain(FIXTURES / "cboe_spx_small.csv"))
    assert via_excel == pytest.approx(float(from_file), rel=1e-12)


def _excel_value(text):
    """A CSV field as Excel stores it after pasting: numbers become floats, "" blank."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def test_bs_greeks_row(xl):
    # Hull, Options, Futures and Other Derivatives: the 20-week call (gamma 0.066, vega 12.1).
    out = grid(xl.call("BS_GREEKS", 49.0, 50.0, 0.3846, 0.2, 0.05))
    labelled = dict(zip(out[0], out[1], strict=True))
    assert labelled["gamma"] == pytest.approx(0.066, abs=5e-4)
    assert labelled["vega"] == pytest.approx(12.1, abs=0.05)
    put = dict(zip(*grid(xl.call("BS_GREEKS", 49.0, 50.0, 0.3846, 0.2, 0.05, MISSING, "P")),
                   strict=True))  # fmt: skip
    assert put["delta"] == pytest.approx(labelled["delta"] - 1, abs=1e-12)


def test_hedge_trade_seed_numbers(xl):
    # "How To Interpret Periscope Net Gamma Exposure": short 200 SPX 5700P -> sell 100 ES,
    # then SPX -1 (delta -0.26) -> sell 4 more.
    assert xl.call("HEDGE_TRADE", -200.0, -0.25, MISSING, "ES") == -100.0
    assert xl.call("HEDGE_TRADE", -200.0, -0.25, None, "ES", -100.0, 0.01, -1.0) == -4.0
    # "Market makers and delta-hedging": short one SPY call at delta 0.40 -> buy 40 shares.
    assert xl.call("HEDGE_TRADE", -1.0, 0.40) == 40.0
    details = dict(map(tuple, grid(xl.call("HEDGE_TRADE", 50.0, 0.40, 100.0, "ES", MISSING,
                                            MISSING, MISSING, MISSING, MISSING, True))))
    assert details["trade"] == -40.0 and details["dealer delta"] == 2000.0


def test_hedge_ladder_matches_python(xl):
    path = ((5700.0,), (5699.0,), (5701.0,), (5702.0,))
    out = grid(xl.call("HEDGE_LADDER", -200.0, path, -0.25, 0.01, MISSING, MISSING, MISSING,
                       MISSING, MISSING, "ES"))  # fmt: skip
    api = xlgex.hedge_ladder(-200, path=[5700, 5699, 5701, 5702], delta=-0.25, gamma=0.01,
                             hedge="ES")  # fmt: skip
    assert out[0][:3] == ["step", "spot", "option delta"]
    assert [row[4] for row in out[1:]] == pytest.approx(api["trade"].tolist())


# -- bad input becomes a short message in the cell -----------------------------------------


def _with_cell(frame, row, column, value):
    rows = [list(r) for r in table(frame)]
    rows[row][list(frame.columns).index(column)] = value
    return tuple(map(tuple, rows))


@pytest.mark.parametrize("column, value, expect", [
    ("Open Interest", -3.0, "row 5"),
    ("Strike", "abc", "row 5"),
    ("IV", excel_error("#N/A"), "#N/A"),
    ("Strike", excel_error("#DIV/0!"), "#DIV/0!"),
    ("Type", "X", "row 5"),
])  # fmt: skip
def test_bad_cells_name_row_and_column(xl, frame, column, value, expect):
    out = xl.call("GEX_STRIKE", _with_cell(frame, 4, column, value), 5000.0, ASOF)
    assert isinstance(out, str) and out.startswith("xlgex:") and len(out) <= cells.MAX_MESSAGE
    assert expect in out and "Traceback" not in out


@pytest.mark.parametrize("name, args, expect", [
    ("GEX_TOTAL", ("spot",), "spot"),
    ("GEX_TOTAL", (-5.0,), "spot"),
    ("GEX_TOTAL", (5000.0, ASOF, "bulls"), "convention"),
    ("GEX_FLIP", (5000.0, ASOF, MISSING, "median"), "method"),
    ("HEDGE_TRADE", None, "contracts"),
])  # fmt: skip
def test_bad_arguments(xl, chain_range, name, args, expect):
    if name == "HEDGE_TRADE":
        out = xl.call(name, 0.0, 0.5)
    else:
        out = xl.call(name, chain_range, *args)
    assert isinstance(out, str) and out.startswith("xlgex:") and len(out) <= cells.MAX_MESSAGE
    assert expect in out.lower()


def test_empty_and_header_only_ranges(xl, frame):
    assert xl.call("GEX_TOTAL", ((None, None), (None, None))).startswith("xlgex:")
    header_only = (tuple(frame.columns),)
    assert xl.call("GEX_TOTAL", header_only, 5000.0, ASOF).startswith("xlgex:")


# -- the chain cache -------------------------------------------------------------------------


def test_same_range_is_parsed_once(xl, chain_range, monkeypatch):
    import xlgex.readers

    calls = []
    real = xlgex.readers.read_chain

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(xlgex.readers, "read_chain", counting)
    cells._CHAINS.clear()
    xl.call("GEX_STRIKE", chain_range, 5000.0, ASOF)
    xl.call("GEX_FLIP", chain_range, 5000.0, ASOF)
    xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF, "all_short")
    assert len(calls) == 1
    edited = list(map(list, chain_range))
    edited[3][4] = 123.0
    xl.call("GEX_TOTAL", tuple(map(tuple, edited)), 5000.0, ASOF)
    assert len(calls) == 2


# -- trust: each promise of the README, through the Excel call path ---------------------------
# (a number only from priced contracts, strict flips, as-of at every call, no NaN/inf in a
# cell, numbers are numbers, each contract once, limits on ranges, a safe cache)

CHAIN_FUNCTIONS = ["GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE",
                   "GEX_WALLS", "GEX_EXPOSURE"]  # fmt: skip


def _call_chain(xl, name, rng, *args):
    """A chain function with (spot, asof, ...) after the chain; GEX_EXPOSURE takes greek first."""
    return xl.call(name, rng, MISSING, *args) if name == "GEX_EXPOSURE" else xl.call(name, rng, *args)


def _message(out) -> str:
    assert isinstance(out, str) and out.startswith("xlgex:") and len(out) <= cells.MAX_MESSAGE, out
    assert "\n" not in out and "Traceback" not in out, out
    return out


@pytest.mark.parametrize("name", CHAIN_FUNCTIONS)
def test_every_contract_expired_is_a_reason_not_a_figure(xl, chain_range, name):
    late = dt.datetime(2027, 6, 1, 12, 0)
    out = _message(_call_chain(xl, name, chain_range, 5000.0, late))
    assert out.startswith("xlgex: no contract priced at 2027-06-01 12:00 New York"), out
    assert "80 expired" in out


@pytest.mark.parametrize("name", CHAIN_FUNCTIONS)
def test_no_iv_anywhere_is_a_reason(xl, frame, name):
    out = _message(_call_chain(xl, name, table(frame.assign(IV=None)), 5000.0, ASOF))
    assert "no contract priced" in out and "80 without IV" in out


@pytest.mark.parametrize("name", ["GEX_TOTAL", "GEX_FLIP", "GEX_STRIKE"])
def test_0dte_on_a_weekend_is_a_reason(xl, name):
    saturday = dt.datetime(2026, 11, 21, 12, 0)
    out = xl.call(name, table(_zero_dte_frame()), 5000.0, saturday, MISSING, MISSING, "0dte")
    out = _message(out)
    assert "no contract priced at 2026-11-21 12:00 New York" in out
    assert "3 expired" in out and "2 filtered out by expiries=0dte" in out


def test_true_zero_stays_zero(xl, frame):
    no_open_interest = table(frame.assign(**{"Open Interest": 0.0}))
    assert xl.call("GEX_TOTAL", no_open_interest, 5000.0, ASOF) == 0.0


def test_one_short_dated_call_has_no_phantom_flip(xl):
    one_call = table([["Expiration", "Strike", "Type", "Open Interest", "IV"],
                      [dt.datetime(2026, 11, 20), 5000.0, "C", 1000.0, 0.2]])  # fmt: skip
    out = xl.call("GEX_FLIP", one_call, 5000.0, ASOF)
    assert isinstance(out, str) and out.startswith("no flip"), out


def test_all_short_never_flips(xl, chain_range):
    out = xl.call("GEX_FLIP", chain_range, 5000.0, ASOF, "all_short")
    assert isinstance(out, str) and out.startswith("no flip"), out


def _zero_dte_frame() -> pd.DataFrame:
    today, later = dt.datetime(2026, 11, 20), dt.datetime(2026, 12, 18)
    return pd.DataFrame({
        "Expiration": [today, today, today, later, later],
        "Strike": [4990.0, 5000.0, 5010.0, 4900.0, 5100.0], "Type": ["P", "C", "C", "P", "C"],
        "Open Interest": [3000.0, 2500.0, 2000.0, 1500.0, 1200.0], "IV": [0.14, 0.12, 0.13, 0.2, 0.16],
    })  # fmt: skip


def test_blank_asof_is_now_at_every_call(xl, monkeypatch):
    """A clock moved from 10:00 to 17:00 drops the settled 0DTE contracts from the figure."""
    from xlgex.conventions import NEW_YORK

    frame = _zero_dte_frame()
    rng = table(frame)
    figures = {}
    for hour in (10, 17):
        now = dt.datetime(2026, 11, 20, hour, 0, tzinfo=NEW_YORK)
        monkeypatch.setattr(cells, "_now", lambda now=now: now)
        figures[hour] = xl.call("GEX_TOTAL", rng, 5000.0)  # as-of blank: now
        expected = xlgex.total_gex(xlgex.read_chain(frame, spot=5000.0, asof=now))
        assert figures[hour] == pytest.approx(float(expected), rel=1e-12)
        info = dict(map(tuple, grid(xl.call("GEX_INFO", rng, 5000.0))))
        assert info["as-of source"] == "now"
        assert info["as of (New York)"].replace(tzinfo=None) == now.replace(tzinfo=None)
        assert info["excluded: expired"] == (3 if hour == 17 else 0)
    assert figures[10] != figures[17]
    only_later = xlgex.total_gex(xlgex.read_chain(frame.iloc[3:], spot=5000.0,
                                                  asof=dt.datetime(2026, 11, 20, 17, 0)))  # fmt: skip
    assert figures[17] == pytest.approx(float(only_later), rel=1e-12)


@pytest.mark.parametrize("case", ["open interest 1e308", "spot 1e155"])
@pytest.mark.parametrize("name", ["GEX_TOTAL", "GEX_REGIME", "GEX_STRIKE", "GEX_PROFILE"])
def test_overflow_is_a_message_never_a_blank(xl, frame, name, case):
    if case.startswith("open interest"):  # every figure is past the largest float
        out = xl.call(name, table(frame.assign(**{"Open Interest": 1e308})), 5000.0, ASOF)
        _message(out)
        return
    # strikes and spot scaled together: spot squared overflows on the way, the figure
    # (about 1e158) may not; either a message or finite numbers, never a blank or a NaN
    out = xl.call(name, table(frame.assign(Strike=frame["Strike"] * 2e151)), 1e155, ASOF)
    if isinstance(out, str):
        assert "Flat gamma" not in out and (out.startswith(("xlgex:", "Long", "Short")))
    else:
        numbers = [c for row in grid(out)[1:] for c in row]
        assert numbers and all(isinstance(c, float) and math.isfinite(c) for c in numbers)


def test_overflow_guard_on_every_result():
    """The one guard where results are shaped: any NaN or inf in a result is a message."""
    guarded = cells.excel_errors(lambda value: value)
    assert guarded(1.5) == 1.5 and guarded([["a", 1.0], ["b", ""]]) == [["a", 1.0], ["b", ""]]
    for bad in (math.inf, math.nan, [1.0, -math.inf], [["x", math.nan]]):
        assert guarded(bad).startswith("xlgex: overflow: the result is not a finite number")
    with pytest.raises(cells.XlgexError):
        cells.table(pd.DataFrame({"a": [1.0, np.inf]}), ["a"])
    overflowing = cells.excel_errors(lambda: float(np.float64(1e300) * 1e300))
    assert overflowing().startswith("xlgex: overflow")


@pytest.mark.parametrize("value, shown", [("4.500,53", "4.500,53"), ("1,5", "1,5"),
                                          ("4500,5", "4500,5"), ("abc", "abc")])  # fmt: skip
def test_ambiguous_text_numbers_are_refused_with_the_value(xl, chain_range, value, shown):
    assert f"'{shown}'" in _message(xl.call("GEX_TOTAL", chain_range, value, ASOF))
    assert f"'{shown}'" in _message(xl.call("HEDGE_TRADE", value, 0.5))


def test_plain_and_comma_thousands_text_numbers(xl, chain_range):
    number = xl.call("GEX_TOTAL", chain_range, 4500.53, ASOF)
    assert xl.call("GEX_TOTAL", chain_range, "4500.53", ASOF) == number
    assert xl.call("GEX_TOTAL", chain_range, "4,500.53", ASOF) == number
    assert xl.call("HEDGE_TRADE", "-1,500", 0.4) == 60_000.0


@pytest.mark.parametrize("name, args", [
    ("GEX_TOTAL", (True, ASOF)), ("HEDGE_TRADE", (True, 0.5)), ("HEDGE_TRADE", (-1.0, True)),
    ("BS_GREEKS", (100.0, 100.0, True, 0.2)), ("GEX_PROFILE", (5000.0, ASOF, MISSING, True)),
    ("HEDGE_TRADE", (-1.0, 0.4, 100.0, True)),
])  # fmt: skip
def test_booleans_are_not_numbers(xl, chain_range, name, args):
    args = (chain_range, *args) if name.startswith("GEX") else args
    assert "TRUE is not a number" in _message(xl.call(name, *args))


@pytest.mark.parametrize("column", ["Strike", "Open Interest", "IV"])
def test_booleans_in_chain_cells_are_not_numbers(xl, frame, column):
    out = _message(xl.call("GEX_TOTAL", _with_cell(frame, 4, column, True), 5000.0, ASOF))
    assert "row 5" in out and column in out


def test_percent_vol_is_refused(xl):
    out = _message(xl.call("BS_GREEKS", 100.0, 100.0, 0.1, 20.0))
    assert "looks like percent" in out and "0.2" in out
    assert isinstance(xl.call("BS_GREEKS", 100.0, 100.0, 0.1, 5.0), list)  # 500% is the limit
    path = ((443.0,), (445.0,))
    ladder = xl.call("HEDGE_LADDER", -10.0, path, MISSING, MISSING, 445.0, 0.1, 15.0, "C")
    assert "looks like percent" in _message(ladder)
    for points in (20.0, 2.0):  # vol_shift is decimal: 2 would be +200 vol points
        shift = xl.call("GEX_PROFILE", table(long_frame()), 5000.0, ASOF, MISSING, 21.0, MISSING, points)
        assert "looks like percent" in _message(shift)


def test_repeated_contract_names_both_rows(xl, frame):
    doubled = table(pd.concat([frame, frame], ignore_index=True))
    out = _message(xl.call("GEX_TOTAL", doubled, 5000.0, ASOF))
    assert "row" in out and "82" in out  # the repeat of data row 1 is source row 82


def test_n_levels_is_capped(xl, chain_range):
    out = _message(xl.call("GEX_PROFILE", chain_range, 5000.0, ASOF, MISSING, 20_002.0))
    assert "20,001" in out
    assert "whole number" in _message(xl.call("GEX_PROFILE", chain_range, 5000.0, ASOF, MISSING, 2.5))
    assert len(grid(xl.call("GEX_PROFILE", chain_range, 5000.0, ASOF, MISSING, 2.0))) == 3


def test_two_dimensional_path_is_a_message(xl):
    path = ((5700.0, 5699.0), (5701.0, 5702.0), (5703.0, 5704.0))
    out = _message(xl.call("HEDGE_LADDER", -200.0, path, -0.25, 0.01))
    assert "path" in out and "3x2" in out
    row = grid(xl.call("HEDGE_LADDER", -200.0, ((5700.0, 5699.0, 5701.0),), -0.25, 0.01))
    column = grid(xl.call("HEDGE_LADDER", -200.0, ((5700.0,), (5699.0,), (5701.0,)), -0.25, 0.01))
    assert row == column and len(row) == 4


@pytest.mark.parametrize("name, args", [
    ("GEX_TOTAL", (((5000.0, 1.0), (2.0, 3.0), (4.0, 5.0)),)),
    ("HEDGE_TRADE", None), ("BS_GREEKS", None),
])  # fmt: skip
def test_range_where_one_cell_is_expected(xl, chain_range, name, args):
    wide = ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))
    if name == "GEX_TOTAL":
        out = xl.call(name, chain_range, *args)
    elif name == "HEDGE_TRADE":
        out = xl.call(name, -1.0, wide)
    else:
        out = xl.call(name, 100.0, 100.0, 0.1, wide)
    out = _message(out)
    assert "a 3x2 range, expected one cell" in out and "[" not in out


def test_chain_cache_is_safe_under_threads(chain_range):
    from concurrent.futures import ThreadPoolExecutor

    ranges = [tuple(map(tuple, chain_range[: 10 + k])) for k in range(12)]
    expected = [float(xlgex.total_gex(xlgex.read_chain(r, spot=5000.0, asof=ASOF))) for r in ranges]

    def work(i):
        c = cells.cached_chain(ranges[i % 12], spot=5000.0, asof=ASOF, iv_unit="decimal")
        return i % 12, float(xlgex.total_gex(c))

    cells._CHAINS.clear()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(400)))
    assert all(value == pytest.approx(expected[i], rel=1e-12) for i, value in results)
    assert len(cells._CHAINS) <= cells.CHAIN_CACHE_SIZE


def test_chain_cache_is_bounded_by_cells(chain_range, monkeypatch):
    cells._CHAINS.clear()
    monkeypatch.setattr(cells, "CHAIN_CACHE_CELLS", 2 * 81 * 6)
    for k in range(5):
        edited = [list(r) for r in chain_range]
        edited[1][3] = 100.0 + k
        cells.cached_chain(tuple(map(tuple, edited)), spot=5000.0, asof=ASOF)
        assert sum(key.cells for key in cells._CHAINS) <= cells.CHAIN_CACHE_CELLS
    assert len(cells._CHAINS) == 2
    cells._CHAINS.clear()
    monkeypatch.setattr(cells, "CHAIN_CACHE_CELLS", 10)  # a range above the bound is not kept
    cells.cached_chain(chain_range, spot=5000.0, asof=ASOF)
    assert not cells._CHAINS


def test_es_on_an_etf_is_sized_by_notional(xl):
    # A dealer short 100 SPY calls at delta 0.35 holds -3,500 share deltas: with SPY at 445
    # and the index at 4,450 that is 3,500 x 445 / (50 x 4,450) = 7 ES, not 70.
    args = (-100.0, 0.35, 100.0, "ES", MISSING, MISSING, MISSING, MISSING, MISSING, MISSING)
    refused = _message(xl.call("HEDGE_TRADE", *args, 445.0))  # spot without the index level
    assert "index_level" in refused
    assert xl.call("HEDGE_TRADE", -100.0, 0.35, 100.0, "ES") == 70.0  # blank: SPX, 50 per ES
    assert xl.call("HEDGE_TRADE", *args, 445.0, 4450.0) == pytest.approx(3500 * 445 / (50 * 4450))
    assert xl.call("HEDGE_TRADE", *args[:4], MISSING, MISSING, MISSING, MISSING, MISSING, MISSING,
                   "445", "4,450") == pytest.approx(7.0)  # fmt: skip


def test_ladder_band_ignores_float_residue_in_excel(xl):
    # The SPY band ladder: at 443 the net delta is 1,000 (1000.0000000000005 in floats)
    # against a band of 1,000: no trade, and the ladder ends holding 2,000 shares.
    path = tuple((s,) for s in (445.0, 445.5, 446.0, 446.5, 447.0, 447.5, 448.0, 447.0, 446.0,
                                445.5, 445.0, 444.0, 443.0, 442.0))  # fmt: skip
    out = grid(xl.call("HEDGE_LADDER", -100.0, path, 0.35, 0.05, MISSING, MISSING, MISSING,
                       MISSING, MISSING, MISSING, 1000.0))  # fmt: skip
    header, rows = out[0], out[1:]
    at_443 = rows[12]
    assert at_443[header.index("spot")] == 443.0 and at_443[header.index("band triggered")] is False
    assert rows[-1][header.index("hedge held")] == 2000.0
