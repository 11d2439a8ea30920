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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlgex
from xlgex import cells
from xlgex.errors import EXCEL_ERROR_CODES

from .xlharness import MISSING, UDFHarness, excel_error, table

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
def xl():
    with UDFHarness("xlgex.udfs") as harness:
        yield harness


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
    assert sorted(xl.functions) == sorted(UDF_NAMES)
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
    assert len(result) <= 100


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
    assert isinstance(out, str) and out.startswith("xlgex:") and len(out) <= 100
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
    assert isinstance(out, str) and out.startswith("xlgex:") and len(out) <= 100
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


# -- fuzz: random Excel-shaped tables never raise --------------------------------------------

HEADERS = ["Strike", "Expiration", "Type", "Open Interest", "IV", "Gamma", "Root", "Junk"]
CELL = st.one_of(
    st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["C", "P", "call", "x", "", "#N/A", "2026-12-18", "SPXW"]),
    st.sampled_from(list(EXCEL_ERROR_CODES)), st.booleans(),
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
)  # fmt: skip


@st.composite
def excel_tables(draw):
    width = draw(st.integers(1, 7))
    header = draw(st.permutations(HEADERS))[:width]
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6))
    return tuple(tuple(r) for r in [header, *rows])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=excel_tables(), name=st.sampled_from(UDF_NAMES[:8]), spot=st.sampled_from([None, 100.0]))
def test_fuzz_no_udf_raises(xl, values, name, spot):
    call = xl.invoke(name, values, spot, ASOF)
    assert call.error is None, repr(call.error)
    if isinstance(call.value, str):
        assert len(call.value) <= 100


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(CELL, min_size=10, max_size=10), name=st.sampled_from(["BS_GREEKS", "HEDGE_TRADE"]))
def test_fuzz_scalar_udfs(xl, args, name):
    call = xl.invoke(name, *args[: len(xl.functions[name]["args"])])
    assert call.error is None, repr(call.error)
    if isinstance(call.value, str):
        assert call.value.startswith("xlgex:") and len(call.value) <= 100
