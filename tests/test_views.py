"""Expiry windows, GEX by expiry and max pain, levels, flip crossings, expected move, skew,
term structure and the combined book, each against a slow independent computation.

References: plain-Python loops over the contracts with the textbook gamma of tests/chains.py,
the calendar module for third Fridays, QuantLib's BlackCalculator for option prices and
deltas, and brute-force payout sums for max pain.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlgex
from xlgex.book import combined_book, combined_chain
from xlgex.chain import Chain
from xlgex.errors import NothingPricedError, XlgexError
from xlgex.expiries import gex_by_settlement, max_pain, window_mask
from xlgex.levels import flip_crossings, gex_levels
from xlgex.views import atm_by_expiry, skew_by_expiry, vol_summary, zero_dte_panel

from .chains import ASOF, CROSSED, random_chain, ref_gamma, toy_chain

ql = pytest.importorskip("QuantLib")
RTOL = 1e-9


def ql_black(spot, strike, t_years, vol, is_call, rate=0.0, div_yield=0.0):
    """QuantLib's Black price and delta of one option (spot units)."""
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, strike)
    forward = spot * math.exp((rate - div_yield) * t_years)
    calc = ql.BlackCalculator(payoff, forward, vol * math.sqrt(t_years), math.exp(-rate * t_years))
    return calc.value(), calc.delta(spot)


def ref_gex(chain, spot=None):
    """$ per 1% GEX per contract, calls long and puts short, by a loop (rows without IV: 0)."""
    spot = chain.spot if spot is None else spot
    out = []
    for k, call, oi, iv, t, m in zip(chain.strike, chain.is_call, chain.open_interest, chain.iv,
                                     chain.t_years, chain.multiplier, strict=True):  # fmt: skip
        g = 0.0 if not iv > 0 else float(ref_gamma(spot, k, t, iv))
        out.append(g * oi * (1 if call else -1) * m * spot * spot * 0.01)
    return np.array(out)


# -- expiry windows ----------------------------------------------------------------------------


def third_friday(year, month) -> dt.date:
    fridays = [w[calendar.FRIDAY] for w in calendar.monthcalendar(year, month) if w[calendar.FRIDAY]]
    return dt.date(year, month, fridays[2])


def window_chain():
    """One call per calendar day for 100 days from the as-of date (2026-11-20, a third Friday)."""
    days = [ASOF.date() + dt.timedelta(days=d) for d in range(100)]
    return toy_chain([(100.0, "C", d.isoformat(), 10.0, 0.2) for d in days])


WINDOWS = {
    "0dte": lambda d, n: n == 0,
    "ex0dte": lambda d, n: n != 0,
    "monthly": lambda d, n: d == third_friday(d.year, d.month),
    "weekly": lambda d, n: d != third_friday(d.year, d.month),
    "<=7d": lambda d, n: n <= 7,
    "<7d": lambda d, n: n < 7,
    "8-30d": lambda d, n: 8 <= n <= 30,
    ">30d": lambda d, n: n > 30,
    ">=30d": lambda d, n: n >= 30,
    " 2026-12-18 ": lambda d, n: d == dt.date(2026, 12, 18),
    "2026-12-01..2026-12-31": lambda d, n: dt.date(2026, 12, 1) <= d <= dt.date(2026, 12, 31),
    "..2026-11-25": lambda d, n: d <= dt.date(2026, 11, 25),
    "2027-02-01..": lambda d, n: d >= dt.date(2027, 2, 1),
}


@pytest.mark.parametrize("window", list(WINDOWS))
def test_windows_match_a_calendar_reference(window):
    chain = window_chain()
    got = {d.item() for d in chain.select(window).expiry}
    want = {d for d in (e.item() for e in chain.expiry) if WINDOWS[window](d, (d - ASOF.date()).days)}
    assert got == want and got  # every window picks something here


def test_monthly_third_fridays_and_holiday_thursday():
    chain = window_chain()
    assert sorted(d.item() for d in chain.select("monthly").expiry) == [
        dt.date(2026, 11, 20), dt.date(2026, 12, 18), dt.date(2027, 1, 15), dt.date(2027, 2, 19)]
    # Good Friday 2025-04-18: the April 2025 monthly settled AM on Thursday 2025-04-17.
    expiry = np.array(["2025-04-17", "2025-04-17", "2025-04-18", "2025-04-10"], dtype="datetime64[D]")
    am = np.array([True, False, False, True])
    mask = window_mask(expiry, am, dt.date(2025, 4, 1), "monthly")
    assert mask.tolist() == [True, False, True, False]


def test_dates_tuples_and_lists_of_dates():
    chain = window_chain()
    both = [dt.date(2026, 12, 18), dt.datetime(2027, 1, 15, 16, 0)]
    assert sorted(d.item() for d in chain.select(both).expiry) == [dt.date(2026, 12, 18),
                                                                 dt.date(2027, 1, 15)]
    assert len(chain.select((None, "2026-11-22"))) == 3
    assert len(chain.select(dt.date(2026, 11, 21))) == 1
    assert chain.select("all") is chain and chain.select("") is chain


@pytest.mark.parametrize("bad", ["soon", "7d", "<=d", "2026-13-01", "x..y"])
def test_unknown_window_is_a_one_line_message(bad):
    with pytest.raises(XlgexError, match=r"^xlgex: expiries .* is not one of: blank, 0dte") as err:
        window_chain().select(bad)
    assert "\n" not in str(err.value)


def test_window_with_nothing_in_it_says_why():
    with pytest.raises(NothingPricedError, match="no contract priced at 2026-11-20 10:30"):
        xlgex.total_gex(window_chain(), expiries="2030-01-01..2030-12-31")


# -- GEX by expiry and max pain ------------------------------------------------------------------


def mixed_chain():
    """SPX-like: a PM weekly and, on the same date, an AM monthly; a contract without IV."""
    rows = [
        (95.0, "P", "2026-12-18", 500.0, 0.25), (100.0, "C", "2026-12-18", 300.0, 0.2),
        (105.0, "C", "2026-12-18", 900.0, 0.18), (100.0, "P", "2026-12-18", 200.0, float("nan")),
        (90.0, "P", "2026-11-27", 400.0, 0.3), (110.0, "C", "2026-11-27", 100.0, 0.22),
        (100.0, "C", "2026-11-20", 50.0, 0.15), (100.0, "P", "2026-11-20", 70.0, 0.16),
        (95.0, "P", "2026-12-18", 800.0, 0.26), (100.0, "C", "2026-12-18", 600.0, 0.21),
    ]
    am = [False] * 8 + [True, True]
    return toy_chain(rows, am_settled=am)


def slow_max_pain(strikes, is_call, oi, multiplier):
    """Brute force: the total payout at every listed strike, the lowest-strike minimum."""
    best = None
    for price in sorted(set(strikes)):
        payout = sum(n * m * (max(price - k, 0.0) if c else max(k - price, 0.0))
                     for k, c, n, m in zip(strikes, is_call, oi, multiplier, strict=True))  # fmt: skip
        if best is None or payout < best[1]:
            best = (price, payout)
    return best[0]


def test_gex_by_settlement_matches_a_loop():
    chain = mixed_chain()
    df = gex_by_settlement(chain)
    per_contract = ref_gex(chain)
    groups = defaultdict(list)
    for i in range(len(chain)):
        groups[(chain.expiry[i].item(), "AM" if chain.am_settled[i] else "PM")].append(i)
    assert list(zip(df["expiry"].dt.date, df["settlement"], strict=True)) == sorted(groups)
    gross = np.abs(per_contract).sum()
    for row in df.itertuples():
        rows = groups[(row.expiry.date(), row.settlement)]
        calls = sum(per_contract[i] for i in rows if chain.is_call[i])
        puts = sum(per_contract[i] for i in rows if not chain.is_call[i])
        assert row.call_gex == pytest.approx(calls, rel=RTOL, abs=1e-6)
        assert row.put_gex == pytest.approx(puts, rel=RTOL, abs=1e-6)
        assert row.net_gex == pytest.approx(calls + puts, rel=RTOL, abs=1e-6)
        assert row.share_of_gross == pytest.approx(np.abs(per_contract[rows]).sum() / gross, rel=RTOL)
        assert row.days == (row.expiry.date() - ASOF.date()).days
        assert row.contracts == len(rows)
        assert row.priced == sum(1 for i in rows if chain.iv[i] > 0)
        assert row.max_pain == slow_max_pain(chain.strike[rows], chain.is_call[rows],
                                             chain.open_interest[rows], chain.multiplier[rows])
    assert df["net_gex"].sum() == pytest.approx(float(xlgex.total_gex(chain)), rel=RTOL)
    assert df["share_of_gross"].sum() == pytest.approx(1.0, rel=1e-12)
    assert (df["settlement"] == "AM").sum() == 1


def test_max_pain_is_the_minimum_over_every_price():
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = 30
        strikes = rng.choice(np.arange(80.0, 121.0, 2.5), n)
        is_call = rng.random(n) < 0.5
        oi = rng.integers(0, 1000, n).astype(float)
        pain = max_pain(strikes, is_call, oi)
        assert pain == slow_max_pain(strikes, is_call, oi, [1.0] * n)
        prices = np.linspace(70, 130, 2401)
        payout = [(oi * np.where(is_call, np.maximum(p - strikes, 0), np.maximum(strikes - p, 0))).sum()
                  for p in prices]  # fmt: skip
        at_pain = (oi * np.where(is_call, np.maximum(pain - strikes, 0),
                                 np.maximum(strikes - pain, 0))).sum()  # fmt: skip
        assert at_pain <= min(payout) * (1 + 1e-12) + 1e-9


def test_max_pain_ties_go_to_the_lower_strike_and_no_oi_is_nan():
    assert max_pain([90.0, 110.0], [True, False], [1.0, 1.0]) == 90.0  # flat 20 from 90 to 110
    assert math.isnan(max_pain([100.0, 105.0], [True, False], [0.0, 0.0]))


def test_max_pain_by_hand():
    # Calls 1,000 at 4500 and puts 1,000 at 4400: holders are paid nothing between the strikes,
    # so every price from 4400 to 4500 is max pain; the lower listed strike is reported.
    assert max_pain([4400.0, 4500.0], [False, True], [1000.0, 1000.0], 100.0) == 4400.0
    # Adding 3,000 puts at 4450: at 4400 they pay 3,000 x 50 = 150,000; at 4450 nothing is paid.
    assert max_pain([4400.0, 4450.0, 4500.0], [False, False, True], [1000.0, 3000.0, 1000.0]) == 4450.0


# -- levels --------------------------------------------------------------------------------------


def per_strike_reference(chain):
    per_contract = ref_gex(chain)
    calls, puts, call_oi, put_oi = (defaultdict(float) for _ in range(4))
    for i, k in enumerate(chain.strike):
        if chain.iv[i] > 0:
            (calls if chain.is_call[i] else puts)[k] += per_contract[i]
        (call_oi if chain.is_call[i] else put_oi)[k] += chain.open_interest[i]
    return calls, puts, call_oi, put_oi


def best(scores, allowed):
    pool = [(v, -k) for k, v in scores.items() if allowed(k) and v > 0]
    return -max(pool)[1] if pool else float("nan")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_levels_match_a_loop(seed):
    chain = random_chain(np.random.default_rng(seed))
    calls, puts, call_oi, put_oi = per_strike_reference(chain)
    strikes = sorted(set(calls) | set(puts))
    net = {k: calls.get(k, 0.0) + puts.get(k, 0.0) for k in strikes}
    spot = chain.spot
    for anywhere in (False, True):
        lv = gex_levels(chain, 4, anywhere=anywhere)
        up = (lambda k: True) if anywhere else (lambda k: k >= spot)
        down = (lambda k: True) if anywhere else (lambda k: k <= spot)
        assert lv["call_wall_gex"]["strike"] == best({k: abs(v) for k, v in calls.items()}, up)
        assert lv["put_wall_gex"]["strike"] == best({k: abs(v) for k, v in puts.items()}, down)
        assert lv["call_wall_oi"]["strike"] == best(call_oi, up)
        assert lv["put_wall_oi"]["strike"] == best(put_oi, down)
        assert lv["call_wall_oi"]["value"] == call_oi[lv["call_wall_oi"]["strike"]]
        walls = xlgex.gex_walls(chain, anywhere=anywhere)  # one definition of the walls
        assert walls["call_wall"] == best({k: abs(v) for k, v in calls.items()}, up)
        assert walls["put_wall"] == best({k: abs(v) for k, v in puts.items()}, down)
    positive = sorted((k for k in strikes if net[k] > 0), key=lambda k: (-net[k], k))[:4]
    negative = sorted((k for k in strikes if net[k] < 0), key=lambda k: (net[k], k))[:4]
    assert lv["top_positive"]["strike"].tolist() == positive
    assert lv["top_negative"]["strike"].tolist() == negative
    np.testing.assert_allclose(lv["top_positive"]["net_gex"], [net[k] for k in positive], rtol=RTOL)


def test_walls_stay_on_their_side_of_spot():
    # The biggest put sits above spot and the biggest call below: unrestricted walls cross over.
    chain = toy_chain([(k, kind, "2026-12-18", oi, 0.2) for k, kind, oi in CROSSED])
    sided, free = gex_levels(chain), gex_levels(chain, anywhere=True)
    assert (sided["call_wall_gex"]["strike"], sided["put_wall_gex"]["strike"]) == (110.0, 95.0)
    assert (free["call_wall_gex"]["strike"], free["put_wall_gex"]["strike"]) == (95.0, 105.0)
    assert (sided["call_wall_oi"]["strike"], sided["put_wall_oi"]["strike"]) == (110.0, 95.0)
    walls, unrestricted = xlgex.gex_walls(chain), xlgex.gex_walls(chain, anywhere=True)
    assert (walls["call_wall"], walls["put_wall"]) == (110.0, 95.0)
    assert (unrestricted["call_wall"], unrestricted["put_wall"]) == (95.0, 105.0)
    assert walls["abs_gamma_strike"] == unrestricted["abs_gamma_strike"]


def test_no_wall_on_a_side_gives_a_reason():
    chain = toy_chain([(90.0, "C", "2026-12-18", 100.0, 0.2), (110.0, "P", "2026-12-18", 100.0, 0.2)])
    lv = gex_levels(chain)
    assert math.isnan(lv["call_wall_gex"]["strike"])
    assert lv["call_wall_gex"]["reason"] == "none: no call GEX at or above spot"
    assert lv["put_wall_oi"]["reason"] == "none: no put open interest at or below spot"
    walls = xlgex.gex_walls(chain)
    assert math.isnan(walls["call_wall"]) and math.isnan(walls["put_wall"])
    assert walls["reasons"]["call_wall"].startswith("none: no call exposure at or above spot")
    assert lv["top_positive"].shape[0] == 1 and lv["top_negative"].shape[0] == 1


# -- flip crossings ------------------------------------------------------------------------------


def two_flip_chain():
    """Calls at 80 and 120, puts at 100: net GEX positive, negative, positive along spot."""
    return toy_chain([(80.0, "C", "2026-12-18", 1000.0, 0.15), (100.0, "P", "2026-12-18", 1500.0, 0.15),
                      (120.0, "C", "2026-12-18", 1000.0, 0.15)])  # fmt: skip


def test_flip_crossings_directions_and_distances_against_a_dense_grid():
    chain = two_flip_chain()
    df = flip_crossings(chain, range_pct=40.0, n_levels=401)
    grid = np.linspace(60.0, 140.0, 80_001)
    t = chain.t_years
    sign = np.where(chain.is_call, 1.0, -1.0)
    net = sum(s * oi * ref_gamma(grid, k, tt, iv) * grid**2
              for s, oi, k, tt, iv in zip(sign, chain.open_interest, chain.strike, t, chain.iv,
                                          strict=True))  # fmt: skip
    changes = np.flatnonzero(np.sign(net[:-1]) != np.sign(net[1:]))
    assert len(df) == len(changes) == 2
    for row, i in zip(df.itertuples(), changes, strict=True):
        assert grid[i] <= row.crossing <= grid[i + 1] + 0.011
        assert row.direction == ("neg_to_pos" if net[i] < 0 else "pos_to_neg")
        assert row.distance == pytest.approx(row.crossing - 100.0, rel=1e-12)
        assert row.distance_pct == pytest.approx((row.crossing - 100.0), rel=1e-12)
    assert df["direction"].tolist() == ["pos_to_neg", "neg_to_pos"]


def test_no_crossing_is_an_empty_table_with_a_reason():
    chain = toy_chain([(100.0, "C", "2026-12-18", 100.0, 0.2)])
    df = flip_crossings(chain)
    assert df.empty and df.attrs["reason"].startswith("no flip: net GEX stays positive")


# -- ATM straddle, expected move, skew, term structure --------------------------------------------


def smile_chain(days=(1, 8, 29, 31, 92), spot=100.0, rate=0.0):
    """Calls and puts every 1 from 70 to 130 with a put skew, one PM expiry per entry of days."""
    rows = []
    for d in days:
        expiry = (ASOF.date() + dt.timedelta(days=d)).isoformat()
        for k in np.arange(70.0, 131.0, 1.0):
            base = 0.18 + 0.01 * math.sqrt(d) / 10
            iv = base + 0.25 * (spot - k) / spot + 0.6 * ((k - spot) / spot) ** 2
            rows += [(k, "C", expiry, 100.0, iv), (k, "P", expiry, 100.0, iv + 0.002)]
    return toy_chain(rows, spot=spot)


def test_atm_straddle_and_move_against_quantlib():
    chain = smile_chain(spot=100.4)
    df = atm_by_expiry(chain, rate=0.03, div_yield=0.01)
    for row in df.itertuples():
        assert row.atm_strike == 100.0  # listed strike nearest 100.4
        t = (dt.datetime.combine(row.expiry.date(), dt.time(16)) - ASOF).total_seconds() / 60 / 525_600
        assert row.t_years == pytest.approx(t, rel=1e-12)
        iv_c = float(chain.iv[(chain.strike == 100) & chain.is_call & (chain.expiry == row.expiry)][0])
        iv_p = float(chain.iv[(chain.strike == 100) & ~chain.is_call & (chain.expiry == row.expiry)][0])
        call, _ = ql_black(100.4, 100.0, t, iv_c, True, 0.03, 0.01)
        put, _ = ql_black(100.4, 100.0, t, iv_p, False, 0.03, 0.01)
        assert row.straddle == pytest.approx(call + put, rel=RTOL)
        assert (row.breakeven_low, row.breakeven_high) == pytest.approx(
            (100.0 - call - put, 100.0 + call + put), rel=RTOL)
        move = 100.4 * (iv_c + iv_p) / 2 * math.sqrt(t)
        assert row.move == pytest.approx(move, rel=RTOL)
        assert (row.low_1sd, row.high_1sd) == pytest.approx((100.4 - move, 100.4 + move), rel=RTOL)


def test_atm_tie_goes_to_the_lower_strike_and_missing_pair_says_why():
    chain = toy_chain([(99.0, "C", "2026-12-18", 1.0, 0.2), (99.0, "P", "2026-12-18", 1.0, 0.2),
                       (101.0, "C", "2026-12-18", 1.0, 0.2), (101.0, "P", "2026-12-18", 1.0, 0.2),
                       (100.0, "C", "2026-12-11", 1.0, 0.2)])  # fmt: skip
    df = atm_by_expiry(chain).set_index("expiry")
    assert df.loc["2026-12-18", "atm_strike"] == 99.0
    assert math.isnan(df.loc["2026-12-11", "straddle"])
    assert df.loc["2026-12-11", "reason"] == "no strike with both a priced call and put"


def slow_iv_at_delta(strikes, ivs, t, spot, is_call, target, rate=0.0, div_yield=0.0):
    """Out-of-the-money contracts' (delta, IV) from QuantLib, linear interpolation by hand."""
    points = []
    for k, iv in zip(strikes, ivs, strict=True):
        if (is_call and k >= spot) or (not is_call and k <= spot):
            points.append((ql_black(spot, k, t, iv, is_call, rate, div_yield)[1], iv))
    points.sort()
    for (d0, v0), (d1, v1) in zip(points[:-1], points[1:], strict=True):
        if d0 <= target <= d1:
            return v0 + (v1 - v0) * (target - d0) / (d1 - d0)
    return float("nan")


def test_risk_reversal_against_quantlib_deltas():
    chain = smile_chain()
    df = skew_by_expiry(chain, rate=0.02)
    assert df["rr_25d_vol_pts"].notna().sum() >= 3
    for row in df.itertuples():
        pick = chain.expiry == row.expiry
        t = float(chain.t_years[pick][0])
        calls, puts = pick & chain.is_call, pick & ~chain.is_call
        c = slow_iv_at_delta(chain.strike[calls], chain.iv[calls], t, 100.0, True, 0.25, 0.02)
        p = slow_iv_at_delta(chain.strike[puts], chain.iv[puts], t, 100.0, False, -0.25, 0.02)
        if math.isnan(c) or math.isnan(p):
            assert math.isnan(row.rr_25d_vol_pts) and row.reason
            continue
        assert row.call_iv_25d == pytest.approx(c, rel=RTOL)
        assert row.put_iv_25d == pytest.approx(p, rel=RTOL)
        assert row.rr_25d_vol_pts == pytest.approx((p - c) * 100, rel=RTOL)
        assert row.rr_25d_vol_pts > 0  # puts richer on this smile


def test_headline_skew_and_term_structure_pick_30_and_90_days():
    chain = smile_chain(days=(1, 8, 29, 31, 92))
    summary = vol_summary(chain)
    df = skew_by_expiry(chain).set_index("days")
    # 29 days to the 16:00 settlement from 10:30 is 29.23 days: nearer 30 than 31 days (31.23).
    assert summary["rr_expiry"].date() == ASOF.date() + dt.timedelta(days=29)
    assert summary["rr_25d_vol_pts"] == df.loc[29, "rr_25d_vol_pts"]
    assert summary["front_expiry"].date() == ASOF.date() + dt.timedelta(days=29)
    assert summary["back_expiry"].date() == ASOF.date() + dt.timedelta(days=92)
    front, back = df.loc[29, "atm_iv"], df.loc[92, "atm_iv"]
    assert summary["term_structure"] == pytest.approx(front / back, rel=1e-15)
    assert front == pytest.approx(((0.18 + 0.01 * math.sqrt(29) / 10) * 2 + 0.002) / 2, rel=1e-12)


def test_no_skew_or_term_structure_says_why():
    summary = vol_summary(smile_chain(days=(8,)))
    assert math.isnan(summary["term_structure"])
    assert summary["term_reason"].startswith("no term structure")
    flat = toy_chain([(100.0, "C", "2026-12-18", 1.0, 0.2), (100.0, "P", "2026-12-18", 1.0, 0.2)])
    summary = vol_summary(flat)
    assert math.isnan(summary["rr_25d_vol_pts"]) and summary["skew_reason"].startswith("no skew")


def test_zero_dte_panel():
    chain = smile_chain(days=(0, 8))
    panel = zero_dte_panel(chain)
    assert panel["gex"] == pytest.approx(float(xlgex.total_gex(chain, expiries="0dte")), rel=RTOL)
    flip = xlgex.gamma_flip(chain, expiries="0dte")
    assert panel["flip"] == float(flip) or (math.isnan(panel["flip"]) and math.isnan(flip))
    row = atm_by_expiry(chain).iloc[0]
    assert panel["atm"]["straddle"] == row["straddle"] and row["days"] == 0
    none = zero_dte_panel(smile_chain(days=(8,)))
    assert none["reason"] == "no 0DTE: no live contract expires on 2026-11-20"


def test_nothing_priced_raises_the_shared_message():
    chain = toy_chain([(100.0, "C", "2026-12-18", 1.0, float("nan"))])
    for view in (atm_by_expiry, skew_by_expiry, gex_by_settlement, gex_levels):
        with pytest.raises(NothingPricedError, match="1 without IV"):
            view(chain)


# -- combined book -------------------------------------------------------------------------------


def scaled_copy(chain: Chain, ratio: float, multiplier: float = 100.0) -> Chain:
    """The same contracts on an underlying ``ratio`` times smaller (SPY against SPX)."""
    return Chain.from_arrays(strike=chain.strike / ratio, is_call=chain.is_call, expiry=chain.expiry,
                             open_interest=chain.open_interest, iv=chain.iv,
                             spot=chain.spot / ratio, asof=chain.asof,
                             multiplier=multiplier)  # fmt: skip


def test_combined_book_total_is_the_sum_and_levels_are_in_first_points():
    spx = random_chain(np.random.default_rng(11))
    spy = scaled_copy(spx, 10.0)
    book = combined_book([spx, spy], es_price=5012.5)
    totals = float(xlgex.total_gex(spx)) + float(xlgex.total_gex(spy))
    assert book["total_gex"] == pytest.approx(totals, rel=RTOL)
    # the SPY copy is the SPX chain at a tenth of the size: the book is SPX x 1.1
    assert book["total_gex"] == pytest.approx(1.1 * ref_gex(spx).sum(), rel=RTOL)
    assert book["flip"] == pytest.approx(float(xlgex.gamma_flip(spx)), abs=0.011)
    assert book["ratios"] == [1.0, 10.0]
    for name in ("flip", "call_wall", "put_wall", "abs_gamma_strike"):
        assert book["levels_es"][name] == pytest.approx(book[name] * 5012.5 / spx.spot, rel=1e-15)
    assert book["es_contracts_per_1pct"] == pytest.approx(totals / (50 * 5012.5), rel=RTOL)
    assert book["mes_contracts_per_1pct"] == pytest.approx(totals / (5 * 5012.5), rel=RTOL)


def test_combined_book_finds_the_es_price_in_an_es_options_chain():
    spx = random_chain(np.random.default_rng(12))
    es = scaled_copy(spx, spx.spot / 5025.0, multiplier=50.0)
    book = combined_book([spx, es])
    assert book["es_price"] == pytest.approx(5025.0) and "options on ES" in book["es_source"]
    assert book["total_gex"] == pytest.approx(float(xlgex.total_gex(spx)) + float(xlgex.total_gex(es)),
                                              rel=RTOL)  # fmt: skip
    alone = combined_book([spx])
    assert math.isnan(alone["es_price"]) and alone["es_source"].startswith("not available")


def test_combined_book_drops_contracts_expired_at_the_first_as_of():
    spx = random_chain(np.random.default_rng(13))
    earlier = toy_chain([(100.0, "C", "2026-11-19", 10.0, 0.2), (100.0, "P", "2026-11-27", 10.0, 0.2)],
                        asof=ASOF - dt.timedelta(days=3))  # fmt: skip
    assert len(earlier) == 2  # both live three days before
    book = combined_chain([spx, earlier])
    assert len(book) == len(spx) + 1 and book.diagnostics.dropped["expired"] == 1
    assert book.asof == spx.asof and book.spot == spx.spot


def test_regime_takes_skew_and_term_structure_from_the_chain_when_none_is_typed():
    chain = smile_chain(days=(1, 8, 29, 31, 92))
    summary = vol_summary(chain)
    regime = xlgex.classify_regime(chain)
    assert regime.facts["skew_vol_pts"] == summary["rr_25d_vol_pts"]
    assert regime.facts["term_structure"] == summary["term_structure"]
    assert regime.facts["skew_source"].startswith("chain: 25-delta risk reversal")
    typed = xlgex.classify_regime(chain, skew=9.0, term_structure=1.2)
    assert typed.facts["skew_vol_pts"] == 9.0 and "steep skew" in typed.label and "stress" in typed.label


def test_regime_without_ivs_for_skew_says_why():
    chain = toy_chain([(100.0, "C", "2026-12-18", 1.0, 0.2)])
    regime = xlgex.classify_regime(chain)
    assert regime.facts["skew_vol_pts"] is None
    assert regime.facts["skew_source"].startswith("no skew")


# -- invariants ------------------------------------------------------------------------------------


@given(seed=st.integers(0, 10_000), scale=st.floats(0.5, 4.0))
@settings(max_examples=25, deadline=None)
def test_reordering_rows_changes_nothing_and_oi_scales_linearly(seed, scale):
    rng = np.random.default_rng(seed)
    chain = random_chain(rng, n=120)
    order = rng.permutation(len(chain))
    shuffled = chain.take(order)
    a, b = gex_by_settlement(chain), gex_by_settlement(shuffled)
    # Net GEX sums opposite signs, so summation order moves it by rounding of the gross, not of the net.
    gross = float((a["call_gex"].abs() + a["put_gex"].abs()).max())
    np.testing.assert_allclose(a["net_gex"], b["net_gex"], rtol=1e-12, atol=1e-12 * gross)
    np.testing.assert_array_equal(a["max_pain"], b["max_pain"])
    la, lb = gex_levels(chain), gex_levels(shuffled)
    for key in ("call_wall_gex", "put_wall_gex", "call_wall_oi", "put_wall_oi"):
        assert la[key]["strike"] == lb[key]["strike"] or math.isnan(la[key]["strike"])
    bigger = dataclasses.replace(chain, open_interest=chain.open_interest * scale)
    c = gex_by_settlement(bigger)
    np.testing.assert_allclose(c["net_gex"], a["net_gex"] * scale, rtol=1e-12, atol=1e-12 * gross * scale)
    assert c["max_pain"].equals(a["max_pain"])  # the minimiser does not move with a common scale


def test_classic_preset_by_expiry_keeps_expired_rows_in_their_own_expiry():
    chain = toy_chain([(100.0, "C", "2026-11-19", 10.0, 0.2), (100.0, "P", "2026-11-27", 10.0, 0.2)],
                      chain_gamma=[0.01, 0.02])  # fmt: skip
    df = gex_by_settlement(chain, preset="classic")
    assert df["days"].tolist() == [-1, 7]
    assert df["net_gex"].tolist() == pytest.approx([0.01 * 10 * 100 * 100**2 * 0.01,
                                                    -0.02 * 10 * 100 * 100**2 * 0.01], rel=1e-12)
