"""GEX_EXPIRY, GEX_LEVELS, GEX_MOVE, GEX_SKEW, GEX_BOOK and GEX_FLIP(details) called the way
Excel on Windows calls them (tests/xlharness.py), compared with the Python API."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import xlgex
from xlgex.book import combined_book
from xlgex.expiries import gex_by_settlement
from xlgex.levels import flip_crossings, gex_levels
from xlgex.views import atm_by_expiry, skew_by_expiry, vol_summary

from .xlharness import MISSING, table
from .xlharness import as_grid as grid

ASOF = dt.datetime(2026, 11, 20, 10, 30)
NEW_UDFS = ["GEX_EXPIRY", "GEX_LEVELS", "GEX_MOVE", "GEX_SKEW", "GEX_BOOK"]


def smile_frame(spot=5000.0, days=(0, 3, 7, 28, 29, 63, 91), step=25.0) -> pd.DataFrame:
    """A long-layout chain: a call and a put at every strike, a put skew, several expiries."""
    rows = []
    rng = np.random.default_rng(5)
    for d in days:
        expiry = dt.datetime(2026, 11, 20) + dt.timedelta(days=d)
        for k in np.arange(spot * 0.8, spot * 1.2 + 1, step):
            m = (k - spot) / spot
            iv = round(0.16 + 0.002 * d**0.5 - 0.3 * m + 0.8 * m * m, 4)
            for kind, oi in (("C", rng.integers(0, 5000)), ("P", rng.integers(0, 5000))):
                rows.append(("SPXW", expiry, kind, k, float(oi), iv + (0.003 if kind == "P" else 0)))
    return pd.DataFrame(rows, columns=["Root", "Expiration", "Type", "Strike", "Open Interest", "IV"])


@pytest.fixture(scope="module")
def frame():
    return smile_frame()


@pytest.fixture(scope="module")
def rng(frame):
    return table(frame)


@pytest.fixture(scope="module")
def chain(frame):
    return xlgex.read_chain(frame, spot=5000.0, asof=ASOF)


def no_nan(rows):
    for row in rows:
        for v in row:
            assert not (isinstance(v, float) and not math.isfinite(v)), row


def test_new_functions_document_every_argument(xl):
    for name in NEW_UDFS:
        info = xl.functions[name]
        assert info["ret"]["doc"] and len(info["ret"]["doc"]) < 100
        assert info["volatile"] is False
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
    flip_args = [a["name"] for a in xl.functions["GEX_FLIP"]["args"]]
    assert flip_args[-2:] == ["details", "iv_from_quotes"]  # new arguments go last
    assert xl.functions["GEX_BOOK"]["args"][0]["vararg"]


def test_gex_expiry_matches_python(xl, rng, chain):
    out = grid(xl.call("GEX_EXPIRY", rng, 5000.0, ASOF))
    no_nan(out)
    assert out[0][:3] == ["expiry", "settlement", "days"] and out[0][-1] == "max pain"
    df = gex_by_settlement(chain)
    assert len(out) == len(df) + 1
    numbers = np.array([row[5:] for row in out[1:]], dtype=float)
    expected = df[["call_gex", "put_gex", "net_gex", "share_of_gross", "max_pain"]].to_numpy()
    np.testing.assert_allclose(numbers, expected, rtol=1e-12)
    assert [row[1] for row in out[1:]] == df["settlement"].tolist()
    assert [row[2] for row in out[1:]] == df["days"].tolist()


def test_gex_expiry_windows(xl, rng, chain):
    for window in ("weekly", "<=7d", "8-30d", ">30d", "2026-11-23..2026-12-31", "monthly"):
        out = grid(xl.call("GEX_EXPIRY", rng, 5000.0, ASOF, MISSING, MISSING, window))
        assert len(out) - 1 == len(gex_by_settlement(chain, expiries=window)), window
        total = xl.call("GEX_TOTAL", rng, 5000.0, ASOF, MISSING, MISSING, window)
        assert total == pytest.approx(float(xlgex.total_gex(chain, expiries=window)), rel=1e-12)
    assert xl.call("GEX_TOTAL", rng, 5000.0, ASOF, MISSING, MISSING, "bogus").startswith(
        "xlgex: expiries 'bogus' is not one of")
    dated = xl.call("GEX_TOTAL", rng, 5000.0, ASOF, MISSING, MISSING, dt.datetime(2026, 11, 23))
    assert dated == pytest.approx(float(xlgex.total_gex(chain, expiries=[dt.date(2026, 11, 23)])))


def test_gex_levels_matches_python(xl, rng, chain):
    out = grid(xl.call("GEX_LEVELS", rng, 5000.0, ASOF, 3))
    no_nan(out)
    lv = gex_levels(chain, 3)
    labels = dict((row[0], row[1:]) for row in out[1:])
    assert labels["call wall (GEX)"][0] == lv["call_wall_gex"]["strike"]
    assert labels["put wall (open interest)"] == [lv["put_wall_oi"]["strike"], lv["put_wall_oi"]["value"]]
    top = [labels[f"top positive net GEX #{i}"][0] for i in (1, 2, 3)]
    assert top == lv["top_positive"]["strike"].tolist()
    anywhere = dict((row[0], row[1:]) for row in grid(xl.call("GEX_LEVELS", rng, 5000.0, ASOF, 3, True))[1:])
    assert anywhere["put wall (GEX)"][0] == xlgex.gex_walls(chain)["put_wall"]


def test_gex_flip_details_and_single_cell(xl, rng, chain):
    single = xl.call("GEX_FLIP", rng, 5000.0, ASOF)
    details = grid(xl.call("GEX_FLIP", rng, 5000.0, ASOF, *[MISSING] * 10, True))
    df = flip_crossings(chain)
    assert details[0] == ["crossing", "direction", "distance from spot", "distance %"]
    if df.empty:
        assert isinstance(single, str) and details[1][0] == single
        return
    assert single == pytest.approx(float(xlgex.gamma_flip(chain)))
    assert len(details) == len(df) + 1
    for row, ref in zip(details[1:], df.itertuples(), strict=True):
        assert row[0] == pytest.approx(ref.crossing)
        assert row[1] == {"neg_to_pos": "negative to positive", "pos_to_neg": "positive to negative"}[
            ref.direction]
        assert row[2] == pytest.approx(ref.crossing - 5000.0)


def test_gex_move_matches_python(xl, rng, chain):
    out = grid(xl.call("GEX_MOVE", rng, 5000.0, ASOF))
    no_nan(out)
    df = atm_by_expiry(chain)
    assert len(out) == len(df) + 1 and out[0][3] == "ATM strike"
    np.testing.assert_allclose([row[5] for row in out[1:]], df["straddle"], rtol=1e-12)
    np.testing.assert_allclose([row[8] for row in out[1:]], df["move"], rtol=1e-12)
    panel = dict(map(tuple, grid(xl.call("GEX_MOVE", rng, 5000.0, ASOF, "0dte"))))
    assert panel["0DTE net GEX ($ per 1%)"] == pytest.approx(float(xlgex.total_gex(chain, expiries="0dte")))
    assert panel["straddle"] == pytest.approx(df["straddle"].iloc[0])
    assert panel["breakeven low"] == pytest.approx(df["breakeven_low"].iloc[0])


def test_gex_skew_matches_python_and_shows_in_info_and_regime(xl, rng, chain):
    summary = vol_summary(chain)
    out = dict(map(tuple, grid(xl.call("GEX_SKEW", rng, 5000.0, ASOF))))
    assert out["25-delta risk reversal (vol pts)"] == pytest.approx(summary["rr_25d_vol_pts"], rel=1e-12)
    assert out["ATM term structure (front / back)"] == pytest.approx(summary["term_structure"], rel=1e-12)
    details = grid(xl.call("GEX_SKEW", rng, 5000.0, ASOF, True))
    no_nan(details)
    assert len(details) == len(skew_by_expiry(chain)) + 1
    info = dict(map(tuple, grid(xl.call("GEX_INFO", rng, 5000.0, ASOF))))
    assert info["25-delta risk reversal (put - call, vol pts)"] == pytest.approx(summary["rr_25d_vol_pts"])
    regime = dict(map(tuple, grid(xl.call("GEX_REGIME", rng, 5000.0, ASOF, MISSING, MISSING, MISSING, True))))
    assert regime["skew (vol pts)"] == pytest.approx(summary["rr_25d_vol_pts"])


def test_gex_book_of_two_ranges(xl, frame, chain):
    spy = frame.assign(Strike=frame["Strike"] / 10)
    spx_range = table(frame.assign(**{"Underlying Price": 5000.0, "Quote Time": ASOF}))
    spy_range = table(spy.assign(**{"Underlying Price": 500.0, "Quote Time": ASOF}))
    out = dict(map(tuple, grid(xl.call("GEX_BOOK", spx_range, spy_range))))
    spy_chain = xlgex.read_chain(spy, spot=500.0, asof=ASOF)
    book = combined_book([chain, spy_chain])
    assert out["combined net GEX ($ per 1%)"] == pytest.approx(book["total_gex"], rel=1e-12)
    assert out["combined net GEX ($ per 1%)"] == pytest.approx(
        float(xlgex.total_gex(chain)) + float(xlgex.total_gex(spy_chain)), rel=1e-12)
    assert out["chain 2 spot ratio"] == pytest.approx(10.0)
    assert out["ES price"].startswith("not available") and "es_price" not in out["ES price"]
    assert out["call wall"] == book["call_wall"]


def test_nothing_priced_is_one_line(xl, frame):
    blank_iv = table(frame.assign(IV=0.0))
    for name in ("GEX_EXPIRY", "GEX_LEVELS", "GEX_MOVE", "GEX_SKEW"):
        message = xl.call(name, blank_iv, 5000.0, ASOF)
        assert isinstance(message, str) and message.startswith("xlgex: no contract priced"), name


# -- the same answers through xlwings Lite's Office.js path --------------------------------------


@pytest.mark.parametrize("name, args", [
    ("GEX_EXPIRY", (5000.0, ASOF)), ("GEX_EXPIRY", (5000.0, ASOF, MISSING, MISSING, "8-30d")),
    ("GEX_LEVELS", (5000.0, ASOF, 3)), ("GEX_MOVE", (5000.0, ASOF)), ("GEX_MOVE", (5000.0, ASOF, "0dte")),
    ("GEX_SKEW", (5000.0, ASOF)), ("GEX_SKEW", (5000.0, ASOF, True)),
    ("GEX_FLIP", (5000.0, ASOF, *[MISSING] * 10, True)),
])  # fmt: skip
def test_views_same_on_officejs(xl, officejs, rng, name, args):
    from .test_lite import same_answer

    same_answer(xl, name, rng, *args)


def test_book_same_on_officejs(xl, officejs, frame):
    from .test_lite import same_answer

    spx = table(frame.assign(**{"Underlying Price": 5000.0, "Quote Time": ASOF}))
    spy = table(frame.assign(Strike=frame["Strike"] / 10, **{"Underlying Price": 500.0, "Quote Time": ASOF}))
    grid = same_answer(xl, "GEX_BOOK", spx, spy)
    assert grid[0][0] == "combined net GEX ($ per 1%)"


@pytest.fixture(scope="module")
def officejs():
    from .test_lite import officejs as engine

    yield from engine.__wrapped__()
