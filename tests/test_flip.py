"""Gamma profile, flip (profile, cumulative, classic) and what-if shocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlgex.chain import Chain
from xlgex.core.profile import profile_kernel
from xlgex.flip import gamma_flip, gex_profile
from xlgex.gex import total_gex

from .chains import ASOF, TODAY, first_of_each_contract, ref_gamma, toy_chain

NEXT_WEEK = "2026-11-27"


def skewed_chain(seed: int, spot: float = 5000.0, n: int = 120) -> Chain:
    """Calls above spot, puts below: dealers short gamma low, long gamma high, so one flip."""
    rng = np.random.default_rng(seed)
    strike = np.round(spot * np.exp(rng.normal(0, 0.05, n)) / 5) * 5
    return Chain.from_arrays(
        strike=strike, is_call=strike > spot * (1 + rng.normal(0, 0.01, n)),
        expiry=np.datetime64(TODAY) + rng.integers(1, 60, n),
        open_interest=rng.integers(1, 3000, n).astype(float),
        iv=rng.uniform(0.12, 0.3, n), spot=spot, asof=ASOF,
    )


def test_profile_matches_independent_repricing():
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 1000, 0.2), (95.0, "P", NEXT_WEEK, 800, 0.25)])
    levels = [90.0, 97.5, 100.0, 104.0]
    profile = gex_profile(chain, levels)
    t = chain.t_years
    for level, net in zip(levels, profile["net_gex"], strict=True):
        g = ref_gamma(level, chain.strike, t, chain.iv)
        expected = (g * np.array([1000, -800]) * 100 * level**2 * 0.01).sum()
        assert net == pytest.approx(expected, rel=1e-10)
    assert list(profile.columns) == ["spot", "call_gex", "put_gex", "net_gex"]


def test_profile_at_spot_equals_total_gex():
    chain = skewed_chain(1)
    at_spot = gex_profile(chain, [chain.spot])["net_gex"].iloc[0]
    assert at_spot == pytest.approx(float(total_gex(chain)), rel=1e-10)


def test_profile_is_zero_at_the_flip():
    chain = skewed_chain(2)
    flip = gamma_flip(chain)
    assert math.isfinite(flip)
    near = gex_profile(chain, [flip - 0.01, flip, flip + 0.01])["net_gex"].to_numpy()
    assert near[0] * near[2] <= 0  # the sign changes within +-0.01 points
    assert abs(near[1]) <= np.abs(near[[0, 2]]).max()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), scale=st.sampled_from([0.1, 0.5, 3.0, 20.0]))
def test_flip_scales_with_spot_and_strikes_and_ignores_position_sign(seed, scale):
    chain = skewed_chain(seed)
    flip = gamma_flip(chain)
    assert math.isfinite(flip)
    scaled = dataclasses.replace(chain, strike=chain.strike * scale, spot=chain.spot * scale)
    # each flip is within xtol = 0.01 points of its true root
    assert gamma_flip(scaled) == pytest.approx(flip * scale, abs=0.01 * (1 + scale))
    negated = gamma_flip(chain, convention="calls_short_puts_long")
    assert negated == pytest.approx(flip, abs=0.02)


def test_no_crossing_gives_nan_and_a_reason():
    calls_only = toy_chain([(100.0, "C", NEXT_WEEK, 1000, 0.2), (105.0, "C", NEXT_WEEK, 10, 0.2)])
    flip = gamma_flip(calls_only)
    assert math.isnan(flip) and flip.crossings == ()
    assert "stays positive" in flip.reason and "no flip" in flip.reason
    puts_only = toy_chain([(100.0, "P", NEXT_WEEK, 1000, 0.2)])
    assert "stays negative" in gamma_flip(puts_only).reason


def test_several_crossings_give_the_nearest_and_list_all():
    # Short puts at 90 and 112 around long calls at 100: negative, positive, negative.
    chain = toy_chain([
        (90.0, "P", NEXT_WEEK, 1000, 0.2), (100.0, "C", NEXT_WEEK, 1000, 0.2),
        (112.0, "P", NEXT_WEEK, 1000, 0.2),
    ], spot=102.0)
    flip = gamma_flip(chain)
    assert len(flip.crossings) == 2 and flip.crossings[0] < 100 < flip.crossings[1]
    assert flip == min(flip.crossings, key=lambda c: abs(c - 102.0))
    values = gex_profile(chain, list(flip.crossings))["net_gex"]
    scale = gex_profile(chain)["net_gex"].abs().max()
    assert (values.abs() < 1e-5 * scale).all()


def test_classic_preset_reproduces_the_public_script_by_hand():
    # The public script: T = weekdays(quote date -> expiry)/262, 0DTE -> 1/262, r = q = 0,
    # 60 levels over spot +-20%, calls minus puts, first sign change linearly interpolated.
    chain = toy_chain([
        (104.0, "C", TODAY, 1000, 0.25),       # 0DTE: T = 1/262
        (97.0, "P", NEXT_WEEK, 1500, 0.2),     # 5 weekdays: T = 5/262
    ], spot=100.0)
    levels = np.linspace(80.0, 120.0, 60)
    net = np.array([
        (ref_gamma(lv, 104.0, 1 / 262, 0.25) * 1000 - ref_gamma(lv, 97.0, 5 / 262, 0.2) * 1500)
        * 100 * lv**2 * 0.01 for lv in levels
    ])
    i = np.flatnonzero(np.diff(np.sign(net)))[0]
    expected = levels[i + 1] - (levels[i + 1] - levels[i]) * net[i + 1] / (net[i + 1] - net[i])
    flip = gamma_flip(chain, preset="classic")
    assert flip == pytest.approx(expected, rel=1e-12)
    profile = gex_profile(chain, preset="classic")
    # the kernel skips terms below 3e-18 of their contract's peak (|d1| > 9)
    np.testing.assert_allclose(profile["net_gex"], net, rtol=1e-10, atol=1e-15 * np.abs(net).max())


def test_cumulative_method_by_hand():
    chain = toy_chain([(95.0, "P", NEXT_WEEK, 1000, 0.2), (100.0, "C", NEXT_WEEK, 3000, 0.2),
                       (105.0, "C", NEXT_WEEK, 500, 0.2)])  # fmt: skip
    t = chain.t_years[0]
    a = ref_gamma(100.0, 95.0, t, 0.2) * 1000  # put side, dealers short
    b = ref_gamma(100.0, 100.0, t, 0.2) * 3000
    flip = gamma_flip(chain, method="cumulative")
    assert flip == pytest.approx(95.0 + 5.0 * a / b, rel=1e-9)
    assert flip.method == "cumulative"


def test_expiration_melt_drops_the_0dte():
    chain = toy_chain([(100.0, "C", TODAY, 5000, 0.15), (98.0, "P", NEXT_WEEK, 800, 0.2)])
    after = gex_profile(chain, [95.0, 100.0, 105.0], roll_hours=6)  # 16:30: 0DTE settled
    later = toy_chain([(98.0, "P", NEXT_WEEK, 800, 0.2)], asof=ASOF + dt.timedelta(hours=6))
    expected = gex_profile(later, [95.0, 100.0, 105.0])
    np.testing.assert_allclose(after["net_gex"], expected["net_gex"], rtol=1e-12)
    assert after.attrs["roll_hours"] == 6.0


def test_vol_shift_and_vol_rules():
    chain = skewed_chain(4)
    shifted = gex_profile(chain, vol_shift=0.05)
    bumped = dataclasses.replace(chain, iv=chain.iv + 0.05)
    np.testing.assert_allclose(shifted["net_gex"], gex_profile(bumped)["net_gex"], rtol=1e-12)
    # A smile flat within each expiry is the same under both rules.
    flat = dataclasses.replace(chain, iv=0.1 + (chain.expiry - chain.expiry.min()).astype(float) / 500)
    sticky_k = gex_profile(flat)["net_gex"]
    sticky_m = gex_profile(flat, vol_rule="sticky_moneyness")["net_gex"]
    np.testing.assert_allclose(sticky_m, sticky_k, rtol=1e-9)
    # With skew they agree only at today's spot.
    both = [gex_profile(chain, [chain.spot * 0.95, chain.spot], vol_rule=r)["net_gex"].to_numpy()
            for r in ("sticky_strike", "sticky_moneyness")]  # fmt: skip
    assert both[0][1] == pytest.approx(both[1][1], rel=1e-9)
    assert both[0][0] != pytest.approx(both[1][0], rel=1e-6)


def test_kernel_blocks_do_not_change_results():
    rng = np.random.default_rng(7)
    n = 500
    args = (np.linspace(80, 120, 37), rng.uniform(80, 120, n), rng.uniform(1e-4, 2, n),
            rng.uniform(0.05, 0.8, n), rng.normal(size=(n, 2)))  # fmt: skip
    big = profile_kernel(*args)
    small = profile_kernel(*args, max_cells=700)
    np.testing.assert_allclose(small, big, rtol=1e-12, atol=1e-300)
    unsorted = profile_kernel(args[0][::-1], *args[1:])
    np.testing.assert_allclose(unsorted[::-1], big, rtol=1e-12)


def clustered_chain(seed: int, spot: float = 5000.0) -> Chain:
    """Signed positions in a few strike clusters, many short expiries: several close crossings."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    centers = spot * (1 + rng.normal(0, 0.08, size=rng.integers(1, 6)))
    strike = np.round(rng.choice(centers, n) * (1 + rng.normal(0, 0.005, n)) / 5) * 5
    days = rng.choice([0, 1, 2, 7, 30, 400], n, p=[0.3, 0.2, 0.2, 0.15, 0.1, 0.05])
    position = rng.normal(0, 1000, n)
    return Chain.from_arrays(
        strike=strike, is_call=rng.random(n) < 0.5,
        expiry=np.datetime64(TODAY) + days.astype("timedelta64[D]"),
        open_interest=np.abs(position), dealer_position=position,
        iv=rng.uniform(0.05, 0.9, n), spot=spot, asof=ASOF,
    )  # fmt: skip


def reference_net(chain: Chain, levels, convention="calls_long_puts_short") -> np.ndarray:
    """Net dealer GEX ($ per 1%) at each level, contract by contract with scipy's density."""
    sign = {"calls_long_puts_short": np.where(chain.is_call, 1.0, -1.0),
            "all_short": np.full(len(chain), -1.0)}[convention]  # fmt: skip
    ok = chain.has_iv
    dealer = (sign * chain.open_interest * chain.multiplier)[ok]
    strike, t, iv = chain.strike[ok], chain.t_years[ok], chain.iv[ok]
    # contracts with one strike, time and IV have one gamma: their positions are added first, so
    # a call and a put that offset exactly contribute an exact zero, not rounding noise
    keys, group = np.unique(np.column_stack([strike, t, iv]), axis=0, return_inverse=True)
    dealer = np.bincount(group.ravel(), weights=dealer)
    strike, t, iv = keys.T
    return np.array([(ref_gamma(lv, strike, t, iv) * dealer).sum() * lv**2 * 0.01 for lv in levels])


def offsetting_chain(seed: int, n_strikes: int = 60, spot: float = 5000.0, put_iv_noise: float = 3e-4,
                     unmatched_puts: bool = False) -> Chain:  # fmt: skip
    """Calls and puts of equal open interest at every strike (nearly cancelling; exactly, with
    ``put_iv_noise=0``), plus a few unmatched short-dated strike clusters (calls; and puts with
    ``unmatched_puts``): several sign changes of net GEX."""
    rng = np.random.default_rng(seed)
    strikes = spot * np.exp(np.linspace(-0.15, 0.15, n_strikes))
    days = np.array([0, 1, 2, 7, 30, 90, 365])
    strike, days_ = np.meshgrid(strikes, days)
    strike, days_ = strike.ravel(), days_.ravel()
    oi = rng.gamma(0.6, 800.0, strike.size).round()
    unmatched = (days_ <= 2) & (rng.random(strike.size) < 0.08)
    iv = 0.15 + 0.1 * np.abs(np.log(strike / spot))
    both = np.r_[strike, strike]
    is_call = np.r_[np.ones(strike.size, bool), np.zeros(strike.size, bool)]
    extra = 3000.0 * unmatched * (rng.random(strike.size) < 0.5)
    oi_both = np.r_[oi + extra, oi + (3000.0 * unmatched - extra if unmatched_puts else 0.0)]
    return Chain.from_arrays(
        strike=both, is_call=is_call, expiry=np.datetime64(TODAY) + np.r_[days_, days_].astype(int),
        open_interest=oi_both, iv=np.r_[iv, iv + rng.normal(0, put_iv_noise, iv.size)], spot=spot, asof=ASOF,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 7, 91, 1234])
def test_crossings_match_a_dense_reference_scan(seed):
    chain = offsetting_chain(seed)
    flip = gamma_flip(chain, n_levels=641)
    scan = np.linspace(4000.0, 6000.0, 4001)
    net = reference_net(chain, scan)
    expected = scan[np.flatnonzero(np.diff(np.sign(net)) != 0)]
    assert len(flip.crossings) == expected.size
    for found, left in zip(flip.crossings, expected, strict=True):
        assert left - 0.01 <= found <= left + 0.5 + 0.01  # inside the scan's bracket
        near = reference_net(chain, [found - 0.01, found + 0.01])
        assert near[0] * near[1] <= 0  # the reference changes sign within xtol
    for crossing, direction in zip(flip.crossings, flip.directions, strict=True):
        below, above = reference_net(chain, [crossing - 1.0, crossing + 1.0])
        assert direction == ("neg_to_pos" if below < 0 < above else "pos_to_neg")


@pytest.mark.parametrize("seed", [0, 5, 17])
def test_exactly_offsetting_calls_and_puts_make_no_phantom_crossings(seed):
    """One IV for the call and the put of each strike: where no unmatched cluster reaches, net
    GEX is exactly zero, and summing the two apart would leave rounding noise of either sign."""
    chain = offsetting_chain(seed, put_iv_noise=0.0, unmatched_puts=True)
    scan = np.linspace(4000.0, 6000.0, 4001)
    net = reference_net(chain, scan)
    net[np.abs(net) < 1e-9 * np.abs(net).max()] = 0.0  # Gaussian tails beyond any significance
    nonzero = np.flatnonzero(net)
    expected = np.flatnonzero(np.diff(np.sign(net[nonzero])) != 0)
    flip = gamma_flip(chain, n_levels=641)
    assert 3 <= len(flip.crossings) == expected.size
    lows, highs = scan[nonzero[expected]], scan[nonzero[expected + 1]]
    assert all(lo - 0.01 <= f <= hi + 0.01 for f, lo, hi in zip(flip.crossings, lows, highs, strict=True))
    profile = gex_profile(chain, scan)["net_gex"].to_numpy()
    assert np.array_equal(np.sign(profile[nonzero]), np.sign(net[nonzero]))
    assert np.all(np.abs(profile[net == 0.0]) < 1e-9 * np.abs(net).max())


def test_the_flip_and_a_fine_profile_agree_where_no_contract_is_in_band():
    """Short-dated clusters far apart: between them every contract is past |d1| = 9 and net
    GEX is exactly 0 at every spot, however many spots are priced, so a fine profile scan
    changes sign only where the flip crosses."""
    chain = toy_chain([(4200.0, "C", TODAY, 1000, 0.2), (4700.0, "C", TODAY, 1000, 0.2),
                       (5600.0, "P", "2026-11-23", 50000, 0.2)], spot=5000.0)  # fmt: skip
    profile = gex_profile(chain, n_levels=16001)
    net = profile["net_gex"].to_numpy()
    nonzero = np.flatnonzero(net)
    changes = np.flatnonzero(np.diff(np.sign(net[nonzero])) != 0)
    spots = profile["spot"].to_numpy()
    lows, highs = spots[nonzero[changes]], spots[nonzero[changes + 1]]
    crossings = gamma_flip(chain).crossings
    assert len(crossings) == changes.size == 1
    assert lows[0] - 0.01 <= crossings[0] <= highs[0] + 0.01


def test_contracts_of_one_gamma_are_grouped_once_and_kept_when_retimed():
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 5, 0.2), (100.0, "P", NEXT_WEEK, 5, 0.2),
                       (100.0, "P", NEXT_WEEK, 9, 0.21), (105.0, "C", NEXT_WEEK, 1, 0.2),
                       (105.0, "P", "2026-12-04", 1, 0.2)])  # fmt: skip
    order, starts = chain.same_gamma_groups
    groups = [sorted(g.tolist()) for g in np.split(order, starts[1:])]
    assert sorted(groups) == [[0, 1], [2], [3], [4]]
    assert chain.at(ASOF + dt.timedelta(hours=3)).same_gamma_groups is chain.same_gamma_groups
    apart = toy_chain([(100.0, "C", NEXT_WEEK, 5, 0.2), (100.0, "P", NEXT_WEEK, 5, 0.21)])
    assert apart.same_gamma_groups is None


def test_the_default_grid_finds_the_crossings_of_a_fine_scan():
    chain = offsetting_chain(3)
    scan = np.linspace(4000.0, 6000.0, 16001)
    net = reference_net(chain, scan)
    expected = scan[np.flatnonzero(np.diff(np.sign(net)) != 0)]
    found = np.array(gamma_flip(chain).crossings)
    assert expected.size >= 3 and found.size == expected.size
    np.testing.assert_allclose(found, expected, rtol=0, atol=0.125 + 0.01)


def test_one_0dte_call_at_1030_has_no_flip():
    chain = toy_chain([(5000.0, "C", TODAY, 1000, 0.15)], spot=5000.0)  # ASOF is 10:30
    flip = gamma_flip(chain)
    assert math.isnan(flip) and flip.crossings == ()
    assert flip.reason.startswith("no flip: net GEX stays positive")


def sign_fixed_chain(seed: int, n: int) -> Chain:
    rng = np.random.default_rng(seed)
    chain = Chain.from_arrays(
        strike=np.round(5000.0 * np.exp(rng.normal(0, 0.1, n))), is_call=rng.random(n) < 0.5,
        expiry=np.datetime64(TODAY) + rng.choice([0, 1, 3, 30, 400], n),
        open_interest=rng.integers(0, 5000, n).astype(float), iv=rng.uniform(0.05, 1.0, n),
        spot=5000.0, asof=ASOF,
    )  # fmt: skip
    return chain.take(first_of_each_contract(chain.strike, chain.is_call, chain.expiry))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
def test_net_gex_that_cannot_change_sign_never_flips(seed, n):
    chain = sign_fixed_chain(seed, n)
    assert gamma_flip(chain, convention="all_short").crossings == ()
    calls = chain.take(chain.is_call)
    if len(calls):
        assert gamma_flip(calls).crossings == ()
        assert gamma_flip(calls, method="cumulative").crossings == ()


def test_zero_gamma_between_two_sides():
    # Short-dated clusters far apart: net GEX is exactly zero between them (no gamma there).
    same = toy_chain([(90.0, "C", TODAY, 100, 0.1), (115.0, "C", TODAY, 100, 0.1)])
    assert gamma_flip(same).crossings == ()
    profile = gex_profile(same)["net_gex"].to_numpy()
    assert np.any(profile == 0.0) and np.all(profile >= 0.0)
    opposite = toy_chain([(90.0, "P", TODAY, 100, 0.1), (115.0, "C", TODAY, 100, 0.1)])
    flip = gamma_flip(opposite)
    assert len(flip.crossings) == 1 and 90.0 < flip < 115.0
    assert flip.directions == ("neg_to_pos",)


def test_directions_and_distances():
    chain = toy_chain([(90.0, "P", NEXT_WEEK, 1000, 0.2), (100.0, "C", NEXT_WEEK, 1000, 0.2),
                       (112.0, "P", NEXT_WEEK, 1000, 0.2)], spot=102.0)  # fmt: skip
    flip = gamma_flip(chain)
    assert flip.directions == ("neg_to_pos", "pos_to_neg")
    assert flip.distances == pytest.approx(tuple(c - 102.0 for c in flip.crossings))


@pytest.mark.parametrize("case", ["expired", "no_iv", "0dte_after_close", "rolled_past", "gamma_no_iv"])
@pytest.mark.parametrize("call", ["profile", "flip", "cumulative"])
def test_nothing_priced_is_one_line_with_the_counts(case, call):
    from xlgex.errors import NothingPricedError

    late = ASOF.replace(hour=17, minute=0)
    rows = [(100.0, "C", TODAY, 10, 0.2), (95.0, "P", TODAY, 10, 0.2)]
    kwargs, chain = {}, toy_chain(rows)
    if case == "expired":
        chain = toy_chain(rows, asof=late)
    elif case == "no_iv":
        chain = toy_chain([(100.0, "C", TODAY, 10, float("nan"))])
    elif case == "0dte_after_close":
        chain = toy_chain(rows + [(100.0, "C", NEXT_WEEK, 10, 0.2)], asof=late)
        kwargs = {"expiries": "0dte"}
    elif case == "rolled_past":
        kwargs = {"roll_hours": 8.0} if call != "cumulative" else {}
        chain = chain if call != "cumulative" else toy_chain(rows, asof=late)
    elif case == "gamma_no_iv":
        chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, float("nan"))], chain_gamma=[0.05])
        kwargs = {"gamma_source": "chain"} if call != "cumulative" else {}  # profiles: model gamma
    with pytest.raises(NothingPricedError) as err:
        if call == "profile":
            gex_profile(chain, **kwargs)
        else:
            gamma_flip(chain, method="profile" if call == "flip" else "cumulative", **kwargs)
    message = str(err.value)
    assert message.startswith("xlgex: no contract priced at ") and "\n" not in message
    assert any(word in message for word in ("expired", "without IV", "filtered"))


def test_n_levels_is_capped():
    from xlgex.errors import XlgexError
    from xlgex.flip import MAX_LEVELS

    chain = skewed_chain(5)
    with pytest.raises(XlgexError, match="20,001"):
        gex_profile(chain, n_levels=MAX_LEVELS + 1)
    with pytest.raises(XlgexError, match="at most 20,001"):
        gamma_flip(chain, levels=np.linspace(4000, 6000, MAX_LEVELS + 1))
    with pytest.raises(XlgexError, match="20,001"):
        gamma_flip(chain, method="cumulative", n_levels=2_000_000)
    assert len(gex_profile(chain, n_levels=MAX_LEVELS)) == MAX_LEVELS


def test_cumulative_flip_is_searched_in_the_profile_window():
    # Short puts far below spot, then long calls near spot: the running sum crosses twice,
    # once 40% below spot (outside +-20%) and once near spot.
    chain = toy_chain([(55.0, "P", NEXT_WEEK, 10, 0.3), (60.0, "C", NEXT_WEEK, 10, 0.3),
                       (95.0, "P", NEXT_WEEK, 1000, 0.2), (100.0, "C", NEXT_WEEK, 3000, 0.2)])  # fmt: skip
    everywhere = gamma_flip(chain, method="cumulative", range_pct=60)
    inside = gamma_flip(chain, method="cumulative")
    assert len(everywhere.crossings) == 3 and min(everywhere.crossings) < 80
    assert all(80.0 <= c <= 120.0 for c in inside.crossings) and len(inside.crossings) == 1
    assert inside == pytest.approx(everywhere.crossings[-1])
    assert inside.grid_low == 80.0 and inside.grid_high == 120.0


def test_sticky_moneyness_matches_a_per_level_reference():
    chain = skewed_chain(8)
    levels = np.array([4300.0, 4800.0, 5000.0, 5350.0, 5900.0])
    got = gex_profile(chain, levels, vol_rule="sticky_moneyness", vol_shift=-0.11)["net_gex"]
    expected = []
    order = np.argsort(chain.strike)
    for level in levels:  # each expiry's smile read at K * S / L, by hand
        total = 0.0
        for i in range(len(chain)):
            same = order[chain.expiry[order] == chain.expiry[i]]
            xs, first = np.unique(chain.strike[same], return_index=True)
            ys = chain.iv[same][first] - 0.11
            vol = chain.iv[i] - 0.11 + np.interp(chain.strike[i] * chain.spot / level, xs, ys) \
                - np.interp(chain.strike[i], xs, ys)
            sign = 1.0 if chain.is_call[i] else -1.0
            if vol > 0:
                total += sign * chain.open_interest[i] * 100 * level**2 * 0.01 * float(
                    ref_gamma(level, chain.strike[i], chain.t_years[i], vol))
        expected.append(total)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_overflow_is_a_message_and_odd_grids_are_answers():
    from xlgex.errors import OverflowXlgexError

    huge = toy_chain([(100.0, "C", NEXT_WEEK, 1e308, 0.2), (95.0, "P", NEXT_WEEK, 1e308, 0.2)])
    for call in (lambda: gamma_flip(huge), lambda: gex_profile(huge),
                 lambda: gamma_flip(huge, vol_rule="sticky_moneyness")):  # fmt: skip
        with pytest.raises(OverflowXlgexError, match="^xlgex: overflow"):
            call()
    chain = toy_chain([(100.0, "C", NEXT_WEEK, 10, 0.2), (95.0, "P", NEXT_WEEK, 10, 0.2)])
    expected = gamma_flip(chain, n_levels=2001)
    for levels in ([90.0, 110.0], [90.0, 90.0, 110.0, 110.0]):
        assert gamma_flip(chain, levels=levels) == pytest.approx(expected, abs=0.02)
    for levels in ([100.0], [100.0, 100.0, 100.0], [1e-300, 1e300]):
        assert math.isnan(gamma_flip(chain, levels=levels))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), unit=st.sampled_from(["usd_per_1pct", "shares_per_usd"]))
def test_fast_flip_brackets_are_the_exact_grids_sign_changes(seed, unit):
    from xlgex.core.profile import strict_sign_changes
    from xlgex.flip import _ProfileInputs, default_levels
    from xlgex.gex import gex_settings

    chain = clustered_chain(seed)
    s = gex_settings(convention="signed", unit=unit)
    grid = default_levels(chain.spot)
    exact = _ProfileInputs(chain, s).net(grid)  # every contract priced at every level
    lo, hi = strict_sign_changes(exact)
    found = np.array(gamma_flip(chain, settings=s).crossings)
    for left, right in zip(grid[lo], grid[hi], strict=True):  # every grid bracket keeps its root
        assert np.any((found >= left) & (found <= right))
    extra = found.size - lo.size  # the rest: pairs of crossings inside one grid step (dips)
    assert extra >= 0 and extra % 2 == 0
