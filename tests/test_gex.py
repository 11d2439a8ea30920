"""Dealer exposures: per contract, per strike, per expiry, totals, walls, conventions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import xlgex
from xlgex.chain import Chain
from xlgex.errors import ChainError, NothingPricedError, XlgexError
from xlgex.expiries import gex_by_settlement
from xlgex.gex import (
    coverage,
    dealer_contracts,
    exposure_by_strike,
    gex_by_contract,
    gex_by_expiry,
    gex_by_strike,
    gex_walls,
    total_gex,
)
from xlgex.regime import classify_regime

from .chains import ASOF, TODAY, random_chain, ref_gamma, toy_chain

MINUTES_PER_YEAR = 365 * 24 * 60
NEXT_WEEK = "2026-11-27"  # Friday: 7 days + 5h30 from 10:30 to the 16:00 close


def test_one_contract_matches_the_formula_by_hand():
    # GEX = gamma x dealer contracts x multiplier x S^2 x 0.01 ("Gamma — the second
    # derivative"), with the call long for dealers under the default convention.
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 1000, 0.2)])
    t = (7 * 24 * 60 + 330) / MINUTES_PER_YEAR
    expected = ref_gamma(100.0, 100.0, t, 0.2) * 1000 * 100 * 100.0**2 * 0.01
    assert total_gex(chain) == pytest.approx(expected, rel=1e-12)
    assert gex_by_strike(chain)["call_gex"].iloc[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "convention, call_sign, put_sign",
    [("calls_long_puts_short", 1, -1), ("calls_short_puts_long", -1, 1), ("all_short", -1, -1)],
)
def test_sign_conventions(convention, call_sign, put_sign):
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2), (100.0, "P", NEXT_WEEK, 10, 0.2)])
    row = gex_by_strike(chain, convention=convention).iloc[0]
    assert np.sign(row.call_gex) == call_sign and np.sign(row.put_gex) == put_sign
    assert abs(row.call_gex) == pytest.approx(abs(row.put_gex))  # same gamma for C and P
    assert total_gex(chain, convention=convention).convention == convention


def test_signed_convention_reads_dealer_positions():
    chain = toy_chain(
        [(100.0, "C", NEXT_WEEK, 10, 0.2), (95.0, "P", NEXT_WEEK, 10, 0.2)],
        dealer_position=[-7.0, 3.0],
    )
    np.testing.assert_array_equal(dealer_contracts(chain, "signed"), [-7.0, 3.0])
    by_contract = gex_by_contract(chain, convention="signed")
    assert list(np.sign(by_contract["gex"])) == [-1.0, 1.0]
    with pytest.raises(XlgexError, match="Dealer Position"):
        total_gex(toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)]), convention="signed")


def test_results_record_their_settings():
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)])
    df = gex_by_strike(chain, convention="all_short")
    assert df.attrs["convention"] == "all_short"
    assert df.attrs["gamma_source"] == "model" and df.attrs["unit"] == "usd_per_1pct"
    assert "ACT/365" in df.attrs["time_rule"]
    walls = gex_walls(chain, convention="all_short")
    assert walls["convention"] == "all_short"


def test_units_are_consistent():
    chain = random_chain(np.random.default_rng(3))
    pct = float(total_gex(chain))
    per_point = float(total_gex(chain, unit="usd_per_point"))
    shares = float(total_gex(chain, unit="shares_per_usd"))
    assert per_point == pytest.approx(pct / (0.01 * chain.spot), rel=1e-12)
    assert shares == pytest.approx(per_point / chain.spot, rel=1e-12)


def test_chain_gamma_source_and_missing_gamma_column():
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)], chain_gamma=[0.05])
    assert total_gex(chain, gamma_source="chain") == pytest.approx(0.05 * 10 * 100 * 100.0**2 * 0.01)
    with pytest.raises(XlgexError, match="no Gamma column"):
        total_gex(toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)]), gamma_source="chain")


def test_rows_without_iv_are_excluded_and_counted_never_nan():
    chain = toy_chain([
        (100.0, "C", NEXT_WEEK, 10, 0.2),
        (105.0, "C", NEXT_WEEK, 99, 0.0),
        (110.0, "C", NEXT_WEEK, 50, float("nan")),
    ])
    total = total_gex(chain)
    assert math.isfinite(total)
    assert total.rows_excluded_no_iv == 2 and total.oi_excluded_no_iv == 149
    assert total == pytest.approx(float(total_gex(chain.take([0]))))
    assert not gex_by_strike(chain).isna().any().any()


def test_expired_contracts_are_dropped_not_floored():
    # An SPX AM-settled monthly expiring today settled at 09:30; at 10:30 it is gone.
    chain = toy_chain(
        [(100.0, "C", TODAY, 10, 0.2), (100.0, "C", TODAY, 10, 0.2), (100.0, "C", NEXT_WEEK, 5, 0.2)],
        am_settled=[True, False, False],
    )
    assert len(chain) == 2 and chain.diagnostics.dropped == {"expired": 1}
    assert len(chain.expired) == 1 and math.isfinite(total_gex(chain))
    # 0DTE PM contract: 5h30 to the 16:00 close.
    assert chain.t_years[0] == pytest.approx(330 / MINUTES_PER_YEAR)


def test_expiry_filters_partition_the_total():
    chain = random_chain(np.random.default_rng(5), n=300)
    whole = float(total_gex(chain))
    zero = float(total_gex(chain, expiries="0dte"))
    rest = float(total_gex(chain, expiries="ex0dte"))
    assert zero != 0 and zero + rest == pytest.approx(whole, rel=1e-12)
    day = np.timedelta64(1, "D")
    first = np.datetime64(TODAY, "D") + 10 * day
    near = float(total_gex(chain, expiries=(None, first)))
    far = float(total_gex(chain, expiries=(first + day, None)))
    assert near + far == pytest.approx(whole, rel=1e-12)
    listed = sorted(set(chain.expiry.tolist()))[:3]
    by_list = float(total_gex(chain, expiries=listed))
    by_expiry = gex_by_expiry(chain)
    chosen = by_expiry[by_expiry["expiry"].isin(np.array(listed, dtype="datetime64[ns]"))]
    assert by_list == pytest.approx(chosen["net_gex"].sum(), rel=1e-12)
    assert by_expiry["share_abs"].sum() == pytest.approx(1.0)
    with pytest.raises(XlgexError, match="expiries"):
        total_gex(chain, expiries="weeklies")


def test_walls_on_a_hand_fixture():
    # One week, 20% vol: gamma at 2% OTM is ~0.8x the ATM gamma, so 5000 contracts at 102
    # outweigh 1000 at 100 (call wall 102), 4000 at 98 make the put wall, and 102 carries the
    # largest |call| + |put|.
    chain = toy_chain([
        (102.0, "C", NEXT_WEEK, 5000, 0.2),
        (100.0, "C", NEXT_WEEK, 1000, 0.2),
        (100.0, "P", NEXT_WEEK, 1000, 0.2),
        (98.0, "P", NEXT_WEEK, 4000, 0.2),
    ], spot=100.0)
    walls = gex_walls(chain)
    assert (walls["call_wall"], walls["put_wall"], walls["abs_gamma_strike"]) == (102, 98, 102)
    by_strike = gex_by_strike(chain).set_index("strike")
    assert walls["call_wall"] == by_strike["call_gex"].abs().idxmax()
    assert math.isnan(gex_walls(chain.take(chain.is_call))["put_wall"])  # no puts, no put wall


def test_dex_vex_cex_match_independent_formulas():
    chain = toy_chain([(105.0, "C", NEXT_WEEK, 10, 0.25), (95.0, "P", NEXT_WEEK, 20, 0.3)])
    t = chain.t_years
    s, k, v = 100.0, np.array([105.0, 95.0]), np.array([0.25, 0.3])
    d1 = (np.log(s / k) + 0.5 * v**2 * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    dealer = np.array([10.0, -20.0])  # calls long, puts short
    delta = np.array([norm.cdf(d1[0]), norm.cdf(d1[1]) - 1])
    vanna = -norm.pdf(d1) * d2 / v
    charm = norm.pdf(d1) * d2 / (2 * t)  # r = q = 0: d(delta)/dt = phi(d1) d2 / (2T)
    for greek, per_option, scale in (("delta", delta, 1), ("vanna", vanna, 0.01),
                                     ("charm", charm, 1 / 365)):
        df = exposure_by_strike(chain, greek)
        expected = per_option * dealer * 100 * s * scale
        np.testing.assert_allclose(df.sort_values("strike")["net"], expected[::-1], rtol=1e-9)
        assert df.attrs["greek"] == greek


def test_classic_preset_on_a_hand_checkable_fixture():
    # Chain gammas summed over every listed row, calls minus puts, x OI x 100 x S^2 x 0.01,
    # including a row that already settled (the public script keeps it).
    chain = toy_chain(
        [(100.0, "C", TODAY, 10, 0.2), (100.0, "P", NEXT_WEEK, 20, 0.2), (95.0, "C", TODAY, 4, 0.2)],
        chain_gamma=[0.03, 0.02, 0.01], am_settled=[False, False, True],
    )
    expected = (0.03 * 10 - 0.02 * 20 + 0.01 * 4) * 100 * 100.0**2 * 0.01  # = -600
    assert expected == pytest.approx(-600.0)
    total = total_gex(chain, preset="classic")
    assert total == pytest.approx(expected)
    assert total.preset == "classic" and total.gamma_source == "chain"


def _shuffle_equal(chain: Chain, seed: int) -> Chain:
    order = np.random.default_rng(seed).permutation(len(chain))
    return chain.take(order)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 10.0))
def test_properties(seed, scale):
    chain = random_chain(np.random.default_rng(seed), n=60)
    by_strike = gex_by_strike(chain)
    total = float(total_gex(chain))
    # per-strike values sum to the total
    assert by_strike["net_gex"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    # reordering the rows changes nothing
    assert float(total_gex(_shuffle_equal(chain, seed))) == pytest.approx(total, rel=1e-9, abs=1e-6)
    # linear in open interest and in the multiplier
    more_oi = dataclasses.replace(chain, open_interest=chain.open_interest * scale)
    assert float(total_gex(more_oi)) == pytest.approx(total * scale, rel=1e-9, abs=1e-6)
    bigger = dataclasses.replace(chain, multiplier=chain.multiplier * scale)
    assert float(total_gex(bigger)) == pytest.approx(total * scale, rel=1e-9, abs=1e-6)
    # flipping the convention's signs negates GEX
    flipped = gex_by_strike(chain, convention="calls_short_puts_long")
    np.testing.assert_allclose(flipped["net_gex"], -by_strike["net_gex"], rtol=1e-12, atol=1e-6)


def test_public_api_reexports():
    assert xlgex.total_gex is total_gex and xlgex.gex_by_strike is gex_by_strike
    assert ASOF.weekday() == 4


# -- a number only from priced contracts ---------------------------------------------------
LATE = dt.datetime(2026, 11, 20, 17, 0)  # after the Friday close: today's contracts settled


def _figures(chain, **kw):
    """Every API figure, each as a thunk (so each raises on its own)."""
    return {
        "total_gex": lambda: total_gex(chain, **kw),
        "gex_by_strike": lambda: gex_by_strike(chain, **kw),
        "gex_by_expiry": lambda: gex_by_expiry(chain, **kw),
        "gex_walls": lambda: gex_walls(chain, **kw),
        "exposure_by_strike": lambda: exposure_by_strike(chain, "delta", **kw),
        "gex_by_contract": lambda: gex_by_contract(chain, **kw),
        "classify_regime": lambda: classify_regime(chain, **kw),
        "gex_by_settlement": lambda: gex_by_settlement(chain, **kw),
    }


def test_nothing_priced_is_a_one_line_reason_with_the_counts():
    # 2 contracts settled at 16:00 today, 1 next-week contract has no IV, at 17:00.
    chain = toy_chain([(100.0, "C", TODAY, 10, 0.2), (100.0, "P", TODAY, 30, 0.2),
                       (105.0, "C", NEXT_WEEK, 60, float("nan"))], asof=LATE)
    for name, figure in _figures(chain).items():
        with pytest.raises(NothingPricedError) as caught:
            figure()
        text = str(caught.value)
        assert text == "xlgex: no contract priced at 2026-11-20 17:00 New York: 2 expired, 1 without IV", name
        assert "\n" not in text
    cov = coverage(chain)
    assert (cov["contracts_read"], cov["contracts_priced"]) == (3, 0)
    assert cov["excluded"] == {"expired": 2, "filtered": 0, "no_iv": 1, "no_gamma": 0}
    assert cov["excluded_oi_share"]["expired"] == pytest.approx(40 / 100)
    assert cov["excluded_oi_share"]["no_iv"] == pytest.approx(60 / 100)


def test_zero_dte_filter_after_the_close_says_so():
    # Quoted after the close: today's 0DTE settled, so "0dte" keeps nothing.
    chain = toy_chain([(100.0, "C", TODAY, 10, 0.2), (100.0, "C", NEXT_WEEK, 5, 0.2),
                       (95.0, "P", NEXT_WEEK, 5, 0.2)], asof=LATE)
    with pytest.raises(NothingPricedError, match=r"1 expired, 2 filtered out by expiries=0dte$"):
        total_gex(chain, expiries="0dte")
    cov = coverage(chain, expiries="0dte")
    assert cov["contracts_read"] == cov["contracts_priced"] + sum(cov["excluded"].values())
    assert cov["excluded_oi_share"]["filtered"] == pytest.approx(10 / 20)


def test_empty_chain_and_true_zero():
    with pytest.raises(NothingPricedError, match="the chain has no contracts"):
        total_gex(toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)]).take([]))
    # Priced contracts with no open interest: a true zero stays 0.
    zero = toy_chain([(100.0, "C", NEXT_WEEK, 0, 0.2), (95.0, "P", NEXT_WEEK, 0, 0.2)])
    assert total_gex(zero) == 0.0 and total_gex(zero).contracts_priced == 2
    assert list(gex_by_strike(zero)["net_gex"]) == [0.0, 0.0]


def test_chain_gamma_prices_the_bars_without_iv():
    # A vendor file with Gamma and no IV: gamma_source="chain" must price it, model cannot.
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, float("nan")),
                       (95.0, "P", NEXT_WEEK, 20, float("nan"))], chain_gamma=[0.05, 0.04])
    by_hand = {100.0: 0.05 * 10 * 100 * 100.0**2 * 0.01, 95.0: -0.04 * 20 * 100 * 100.0**2 * 0.01}
    by_strike = gex_by_strike(chain, gamma_source="chain").set_index("strike")["net_gex"]
    assert by_strike.to_dict() == pytest.approx(by_hand)
    assert coverage(chain, gamma_source="chain")["contracts_priced"] == 2
    with pytest.raises(NothingPricedError, match="2 without IV"):
        total_gex(chain)


def test_coverage_is_the_same_count_in_every_figure():
    chain = random_chain(np.random.default_rng(11), n=300, asof=LATE)
    cov = coverage(chain, expiries="ex0dte")
    by_hand = int(np.sum(chain.has_iv & ~chain.is_0dte))
    assert cov["contracts_priced"] == by_hand
    for frame in (gex_by_strike(chain, expiries="ex0dte"), gex_by_expiry(chain, expiries="ex0dte")):
        assert frame.attrs["contracts_priced"] == by_hand
    assert total_gex(chain, expiries="ex0dte").contracts_priced == by_hand
    assert "rows_used" not in total_gex(chain).info


# -- the as-of -------------------------------------------------------------------------
def test_chain_at_retimes_the_same_contracts():
    chain = toy_chain([(100.0, "C", TODAY, 10, 0.2), (100.0, "P", NEXT_WEEK, 30, 0.2)])
    late = chain.at(LATE)
    assert len(late) == 1 and len(late.expired) == 1 and late.asof.hour == 17
    assert late.diagnostics.dropped == {"expired": 1} and chain.diagnostics.dropped == {}
    # minutes from Friday 17:00 to next Friday 16:00, counted independently
    assert late.t_years[0] == pytest.approx((7 * 24 * 60 - 60) / MINUTES_PER_YEAR, rel=1e-15)
    back = late.at(ASOF)
    assert len(back) == 2 and back.expired is None
    np.testing.assert_array_equal(np.sort(back.t_years), np.sort(chain.t_years))
    assert total_gex(back) == total_gex(chain)
    assert len(chain.rolled(hours=6.5)) == 1  # 10:30 + 6h30 = 17:00


# -- overflow ------------------------------------------------------------------------------
@pytest.mark.parametrize("oi, spot", [(1e308, 100.0), (10.0, 1e155)])
def test_overflow_is_a_message_never_nan(oi, spot):
    chain = toy_chain([(spot, "C", NEXT_WEEK, oi, 0.2), (spot * 0.9, "P", NEXT_WEEK, oi, 0.2)],
                      spot=spot)
    for name, figure in _figures(chain).items():
        if name == "exposure_by_strike":
            continue  # delta exposure is linear in spot and can stay finite
        with pytest.raises(XlgexError, match=r"^xlgex: overflow: ") as caught:
            figure()
        assert "\n" not in str(caught.value), name
    with pytest.raises(XlgexError, match="overflow"):
        exposure_by_strike(chain, "gamma")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_regime_never_labels_a_non_number(bad):
    with pytest.raises(XlgexError, match="not a finite number"):
        classify_regime(net_gex=bad, spot=100.0)


# -- each contract once ------------------------------------------------------------------
def test_a_repeated_contract_is_an_error_naming_both_rows():
    rows = [(100.0, "C", NEXT_WEEK, 10, 0.2), (95.0, "P", NEXT_WEEK, 5, 0.2),
            (100.0, "C", NEXT_WEEK, 10, 0.2)]
    chain = toy_chain(rows, source_row=[7, 8, 12])
    for convention in ("calls_long_puts_short", "calls_short_puts_long", "all_short"):
        with pytest.raises(ChainError, match=r"rows 7 and 12 are the same contract"):
            total_gex(chain, convention=convention)
        with pytest.raises(ChainError, match="rows 7 and 12"):
            coverage(chain, convention=convention)
    # Same date and strike, one AM monthly and one PM weekly: two contracts.
    two = toy_chain(rows[:1] * 2, am_settled=[True, False])
    assert two.duplicate_rows is None and math.isfinite(total_gex(two))


def test_signed_positions_of_one_contract_add_up():
    # Like a book of trades: -3 then -4 of the same call is -7 of it.
    two = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)] * 2, dealer_position=[-3.0, -4.0])
    one = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)], dealer_position=[-7.0])
    assert total_gex(two, convention="signed") == pytest.approx(total_gex(one, convention="signed"),
                                                                rel=1e-15)


def test_results_show_a_readable_unit():
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2), (95.0, "P", NEXT_WEEK, 30, 0.2)])
    total = total_gex(chain)
    assert "$ per 1% move" in repr(total) and "usd_per_1pct" not in repr(total)
    assert "$ per 1.00 move" in repr(total_gex(chain, unit="usd_per_point"))
    flip = xlgex.gamma_flip(chain)
    assert "unit='spot units'" in repr(flip) and "usd_per_1pct" not in repr(flip)


def test_chain_gamma_source_on_an_empty_chain_says_nothing_priced():
    empty = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2)], chain_gamma=[0.05]).take([])
    with pytest.raises(NothingPricedError, match="the chain has no contracts"):
        total_gex(empty, gamma_source="chain")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), hours=st.floats(-48.0, 24.0 * 40),
       expiries=st.sampled_from([None, "0dte", "ex0dte"]), blank_iv=st.floats(0.0, 0.5))
def test_coverage_adds_up_at_any_clock(seed, hours, expiries, blank_iv):
    rng = np.random.default_rng(seed)
    chain = random_chain(rng, n=80)
    chain = dataclasses.replace(chain, iv=np.where(rng.random(len(chain)) < blank_iv, np.nan, chain.iv))
    later = chain.at(ASOF + dt.timedelta(hours=hours))
    cov = coverage(later, expiries=expiries)
    # independent count: settlement instants against the clock, minute by minute
    asof_min = int((later.asof - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() // 60)
    live = chain.settle_minutes > asof_min
    day = np.datetime64(later.asof.date(), "D")
    window = {None: np.ones(len(chain), bool), "0dte": chain.expiry == day,
              "ex0dte": chain.expiry != day}[expiries]
    priced = live & window & np.isfinite(chain.iv)
    assert cov["contracts_read"] == len(chain)
    assert cov["excluded"]["expired"] == int((~live).sum())
    assert cov["excluded"]["filtered"] == int((live & ~window).sum())
    assert cov["contracts_priced"] == int(priced.sum())
    assert cov["contracts_read"] == cov["contracts_priced"] + sum(cov["excluded"].values())
    if priced.any():
        assert total_gex(later, expiries=expiries).contracts_priced == int(priced.sum())
    else:
        with pytest.raises(NothingPricedError):
            total_gex(later, expiries=expiries)


def test_nothing_priced_message_lists_every_reason():
    # At 17:00: today's call settled; next week's put has no IV; the December call is outside
    # the window. Each reason is counted once, in the order expired, no IV, filtered.
    chain = toy_chain([(100.0, "C", TODAY, 10, 0.2), (100.0, "P", NEXT_WEEK, 5, float("nan")),
                       (105.0, "C", "2026-12-04", 5, 0.2)], asof=LATE)
    with pytest.raises(NothingPricedError) as caught:
        total_gex(chain, expiries=[NEXT_WEEK])
    assert str(caught.value) == ("xlgex: no contract priced at 2026-11-20 17:00 New York: "
                                 "1 expired, 1 without IV, 1 filtered out by expiries=2026-11-27")
    assert caught.value.coverage["excluded"] == {"expired": 1, "filtered": 1, "no_iv": 1,
                                                 "no_gamma": 0}


def test_chain_at_keeps_what_it_can_share():
    chain = toy_chain([(100.0, "C", TODAY, 10, 0.2), (100.0, "P", NEXT_WEEK, 30, 0.2),
                       (95.0, "P", NEXT_WEEK, 30, 0.2)])
    groups = chain.strike_groups
    minute_later = chain.at(ASOF + dt.timedelta(minutes=1))  # nothing settles in a minute
    assert minute_later.strike_groups is groups and minute_later.diagnostics.rows_used == 3
    assert minute_later.t_years[0] == pytest.approx((330 - 1) / MINUTES_PER_YEAR, rel=1e-15)
    late = chain.at(LATE)
    assert late.diagnostics.rows_used == 2 and late.diagnostics.dropped == {"expired": 1}
    assert late.at(LATE + dt.timedelta(hours=1)).diagnostics.dropped == {"expired": 1}


def test_a_chain_read_at_now_notes_the_time_it_is_retimed_to():
    from xlgex.readers import read_chain

    rows = [["Expiration", "Type", "Strike", "Open Interest", "IV"],
            ["2099-12-18", "C", 100.0, 10.0, 0.2]]
    chain = read_chain(rows, spot=100.0)
    assert chain.diagnostics.asof_source == "now"
    later = chain.at(dt.datetime(2099, 1, 2, 17, 5))
    notes = [n for n in later.diagnostics.assumptions if n.startswith("no as-of time")]
    assert notes == ["no as-of time given or found: used now, 2099-01-02 17:05 EST New York"]
    assert later.diagnostics.asof_source == "now"
