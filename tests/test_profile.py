"""Profile kernels against slow obvious references: tiles, the windowed net, brackets, signs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlgex.core.profile import (
    DENSE_REACH,
    FEW_LEVELS,
    MOSTLY_IN_BAND,
    TILE_CONTRACTS,
    StickyStrikeGrid,
    WindowedNet,
    _barycentric,
    chebyshev_error_bound,
    inverse_cubic_guess,
    profile_kernel,
    refine_brackets,
    sticky_moneyness_vols,
    strict_sign_changes,
)

from .chains import ref_gamma


def reference_sums(levels, strike, t, vol, weights, power):
    """One level at a time, scipy's normal density: sum of weights x gamma(L) x L**power."""
    return np.array([(ref_gamma(lv, strike, t, vol)[:, None] * weights).sum(axis=0) * lv**power
                     for lv in levels])  # fmt: skip


def random_contracts(seed, n):
    rng = np.random.default_rng(seed)
    strike = 5000.0 * np.exp(rng.normal(0, 0.08, n))
    t = rng.choice([0.3 / 365, 1 / 365, 3 / 365, 10 / 365, 0.1, 0.5, 2.0], n)
    vol = rng.uniform(0.08, 0.6, n)
    weights = rng.normal(0, 1000, (n, 2)) * (rng.random((n, 2)) < 0.5)
    return strike, t, vol, weights


@pytest.mark.parametrize("n_levels", [23, FEW_LEVELS + 1, 161])
def test_kernel_matches_the_reference_across_tiles_and_columns(n_levels):
    """Few levels (one masked pass over every entry) and more (band-selected tiles)."""
    n = 2 * TILE_CONTRACTS + 1500  # more than one tile of contracts (tiles of up to 1.5 x 4,096)
    strike, t, vol, weights = random_contracts(1, n)
    levels = np.linspace(4000.0, 6000.0, n_levels)[::-1]  # unsorted input, reported in input order
    grid = StickyStrikeGrid(strike, t, vol, weights)
    for power in (0, 1, 2):
        expected = reference_sums(levels, strike, t, vol, weights, power)
        got = grid(levels, power)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(grid(levels, power, net=True), expected.sum(axis=1),
                                   rtol=0, atol=2e-12 * scale)  # fmt: skip


@pytest.mark.parametrize("sigmas", [(9.5, 12.0), (12.0, 28.0)])
def test_entries_mostly_in_band_priced_densely_match_the_reference(sigmas):
    """Entries in band at most (not all) levels go through the dense tiles' expansion: each
    level's sum stays within 1e-12 of its gross (sum of |terms|), far off centre as well;
    ``sigmas``: the range of ``b`` times the window's half-width (past 12 only entries near
    the middle qualify, their reach ``b * half + |c'|`` at most DENSE_REACH)."""
    rng = np.random.default_rng(7)
    n = 600
    levels = np.linspace(4000.0, 6000.0, 161)
    x = np.log(levels)
    half = 0.5 * (x[-1] - x[0])
    vol = rng.uniform(0.1, 0.4, n)
    b = rng.uniform(*sigmas, n) / half  # band narrower than the window
    t = (1.0 / (b * vol)) ** 2
    strike = 5000.0 * np.exp(rng.uniform(-0.2, 0.2, n))  # some off centre: banded
    weights = rng.normal(0, 1000, (n, 2))
    grid = StickyStrikeGrid(strike, t, vol, weights)
    x = grid.log_level(levels)  # the grid's own log-spot coordinate
    half, middle = 0.5 * (x[-1] - x[0]), 0.5 * (x[-1] + x[0])
    share = ((grid.log_low[:, None] <= x) & (grid.log_high[:, None] >= x)).mean(axis=1)
    reach = grid.b * half + np.abs(grid.c + grid.b * middle)
    dense = (share >= MOSTLY_IN_BAND) & (reach <= DENSE_REACH)
    assert np.all(share < 1.0) and 0.1 < np.mean(dense) < 0.9  # both classes exercised
    expected = reference_sums(levels, strike, t, vol, weights, 1)
    gross = reference_sums(levels, strike, t, vol, np.abs(weights), 1)
    np.testing.assert_array_less(np.abs(grid(levels, 1) - expected), 1e-12 * gross + 1e-300)
    np.testing.assert_array_less(np.abs(grid(levels, 1, net=True) - expected.sum(axis=1)),
                                 1e-12 * gross.sum(axis=1) + 1e-300)  # fmt: skip


@pytest.mark.parametrize("n_levels", [7, 161])
def test_contracts_minutes_from_settlement_keep_the_documented_accuracy(n_levels):
    """Expiries of 15 seconds to 9 hours at low IV (b = 1/(sigma sqrt T) up to about 8,000):
    log-spot is measured from a strike, so ``b x + c`` cancels no logarithm near 8.5 and each
    level stays within 1e-12 of its gross (the reference takes ln(L/K) directly)."""
    rng = np.random.default_rng(3)
    n = 400
    strike = 5000.0 * np.exp(rng.normal(0.0, 0.01, n))
    t = 10.0 ** rng.uniform(-5.3, -3.0, n)
    vol = rng.uniform(0.05, 0.3, n)
    weights = rng.normal(0, 1000, (n, 2))
    levels = 5000.0 * np.exp(rng.uniform(-0.01, 0.01, n_levels))
    grid = StickyStrikeGrid(strike, t, vol, weights)
    expected = reference_sums(levels, strike, t, vol, weights, 1)
    gross = reference_sums(levels, strike, t, vol, np.abs(weights), 1)
    np.testing.assert_array_less(np.abs(grid(levels, 1) - expected), 1e-12 * gross + 1e-300)


def test_sticky_moneyness_minutes_from_settlement_keeps_its_accuracy():
    """The same for sticky moneyness, given the vols its smile reads at each level (one
    expiry per settlement time, one contract per strike: every vol on its smile)."""
    rng = np.random.default_rng(4)
    strike = 5000.0 + 2.0 * np.arange(-150, 150)
    group = np.arange(strike.size) % 3
    t = np.array([3e-6, 2e-5, 2e-4])[group]  # 90 seconds to 2 hours
    vol = 0.05 + 0.001 * np.abs(strike - 5000.0) ** 0.5 + 0.01 * group
    weights = rng.normal(0, 1000, strike.size)
    levels = 5000.0 * np.exp(rng.uniform(-0.01, 0.01, 9))
    vol_at = sticky_moneyness_vols(5000.0, strike, vol, group)
    got = profile_kernel(levels, strike, t, vol, weights, power=1, vol_at=vol_at)
    read = vol_at(levels)  # (levels, contracts)
    terms = np.array([ref_gamma(lv, strike, t, vols) * lv for lv, vols in zip(levels, read, strict=True)])
    np.testing.assert_array_less(np.abs(got - terms @ weights), 1e-12 * (terms @ np.abs(weights)))


def test_levels_out_of_every_band_are_exactly_zero_on_both_paths():
    """Short-dated contracts far from a level give exactly 0 there (no gamma, no sign), priced
    with few levels or many."""
    strike, t, vol = np.array([4000.0, 6000.0]), np.full(2, 0.3 / 365), np.full(2, 0.2)
    grid = StickyStrikeGrid(strike, t, vol, np.array([1.0, -1.0]))
    many = np.linspace(4000.0, 6000.0, 161)
    assert grid(np.array([5000.0]), net=True)[0] == 0.0
    values = grid(many, net=True)
    assert values[80] == 0.0 and values[0] > 0.0 > values[-1]  # many[80] == 5000


@pytest.mark.parametrize("n_levels", [1, 41, 161, 401])
def test_a_contract_in_band_at_most_levels_is_zero_past_its_band(n_levels):
    """An entry in band at most levels goes through the dense tiles; where no entry is in band
    (|d1| > 9) the sum is exactly 0, as on every other path, whichever spots are priced with
    it: a far tail would otherwise give a sign where there is no gamma."""
    grid = StickyStrikeGrid([5000.0], [1.0 / 365], [0.2], [1.0])
    levels = 5000.0 * np.exp(np.linspace(-0.15, 0.15, max(n_levels, 2)))  # |d1| = 14 at the ends
    values = grid(levels[:n_levels], 1, net=True)
    x = np.log(levels[:n_levels] / 5000.0) / (0.2 * np.sqrt(1.0 / 365)) + 0.1 * np.sqrt(1.0 / 365)
    out = np.abs(x) > 9.0 + 1e-9
    assert n_levels == 1 or (out.any() and (~out).any())
    assert np.all(values[out] == 0.0) and np.all(values[~out] > 0.0)


def test_strict_sign_changes_by_hand():
    def pairs(values):
        return [tuple(map(int, p)) for p in zip(*strict_sign_changes(values), strict=True)]

    assert pairs([1.0, 0.0, 0.0, 1.0]) == []  # zeros between equal signs: no change
    assert pairs([1.0, 0.0, 0.0, -2.0]) == [(0, 3)]  # between opposite signs: one, once
    assert pairs([-1.0, 0.0, 1.0, 0.0, -1.0]) == [(0, 2), (2, 4)]
    assert pairs([0.0, -1.0, -1.0, 0.0]) == []
    assert pairs([0.0, 0.0]) == [] and pairs([]) == []
    assert pairs([2.0, -1e-300, 3.0]) == [(0, 1), (1, 2)]  # tiny is not zero


def test_refine_brackets_finds_every_root_without_repricing_the_ends():
    roots = np.array([-3.2, 0.123456, 2.5, 7.0])

    def func(x):
        seen.extend(np.asarray(x).tolist())
        return np.prod(np.asarray(x)[:, None] - roots, axis=1)

    lo = np.array([-4.0, -1.0, 2.0, 6.0])
    hi = np.array([-3.0, 1.0, 4.0, 9.5])
    seen = []
    f_lo, f_hi = func(lo), func(hi)
    seen = []
    found = refine_brackets(func, lo, hi, f_lo, f_hi, xtol=1e-4)
    np.testing.assert_allclose(found, roots, rtol=0, atol=1e-4)
    assert not set(seen) & set(lo.tolist() + hi.tolist())
    assert len(seen) <= 2 * 4 * 12  # batched: two points per open bracket per iteration


def test_refine_brackets_returns_an_exact_zero():
    found = refine_brackets(lambda x: np.where(np.abs(x - 0.5) < 0.2, 0.0, x - 0.5),
                            np.array([0.0]), np.array([1.0]), [-0.5], [0.5], xtol=1e-6)  # fmt: skip
    assert abs(found[0] - 0.5) < 0.2


@settings(max_examples=30, deadline=None)
@given(points=st.sampled_from([8, 12, 16, 24, 48]), sigmas=st.floats(0.1, 12.0),
       shift=st.floats(-30.0, 30.0))  # fmt: skip
def test_chebyshev_bound_bounds_the_actual_interpolation_error(points, sigmas, shift):
    nodes = np.cos(np.pi * np.arange(points) / (points - 1))
    weights = np.where(np.arange(points) % 2, -1.0, 1.0)
    weights[[0, -1]] *= 0.5
    z = np.linspace(-1.0, 1.0, 2001)

    def f(x):
        return np.exp(-0.5 * (sigmas * x + shift) ** 2)

    error = np.abs(_barycentric(z, nodes, f(nodes), weights) - f(z)).max()
    assert error <= chebyshev_error_bound(points, sigmas) + 1e-14


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), power=st.sampled_from([0, 1, 2]))
def test_windowed_net_stays_within_its_bound_and_its_signs_are_exact(seed, power):
    strike, t, vol, weights = random_contracts(seed, 400)
    grid = StickyStrikeGrid(strike, t, vol, weights)
    net = WindowedNet(grid, 4000.0, 6000.0, power)
    assert net.counts["smooth"] > 0  # the long-dated contracts are interpolated
    rng = np.random.default_rng(seed)
    levels = np.r_[4000.0, np.sort(rng.uniform(4000.0, 6000.0, 40)), 6000.0]
    expected = reference_sums(levels, strike, t, vol, weights, power).sum(axis=1)
    gross = reference_sums(levels, strike, t, vol, np.abs(weights), power).sum(axis=1)
    allowed = net.bound * levels ** (power - 1) + 1e-12 * gross
    assert np.all(np.abs(net.approximate(levels) - expected) <= allowed)
    exact = grid(levels, power, net=True)
    signed = net.signed(levels)
    assert np.array_equal(np.sign(signed), np.sign(exact))


def test_inverse_cubic_guess_is_exact_for_a_cubic_inverse_and_stays_in_its_bracket():
    y = np.linspace(-2.0, 3.0, 11)
    x = 1.0 + 0.5 * y + 0.1 * y**2 + 0.02 * y**3  # x is a cubic in y: its root is x(0) = 1
    lo, hi = np.array([3]), np.array([5])  # y[4] == 0 exactly: bracket around it
    assert inverse_cubic_guess(x, y, lo, hi)[0] == pytest.approx(1.0, abs=1e-12)
    wiggly = np.array([1.0, -1.0, 2.0, -3.0, 1.0])  # not monotone: the secant, inside
    guess = inverse_cubic_guess(np.arange(5.0), wiggly, np.array([1]), np.array([2]))
    assert 1.0 < guess[0] < 2.0
    one = inverse_cubic_guess(x, y, 3, 5)  # one bracket given as plain indices
    assert np.ndim(one) == 0 and float(one) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(points=st.sampled_from([9, 17, 33, 65]), sigmas=st.floats(0.0, 40.0))
def test_tabulated_error_bounds_never_undercut_the_bound(points, sigmas):
    from xlgex.core.profile import _error_table

    assert _error_table(points, np.array([sigmas]))[0] >= chebyshev_error_bound(points, sigmas)


def smile_reference(levels, spot, strike, t, vol, group, weights, power):
    """One contract at a time: its expiry's smile read at K S / L by np.interp over that
    expiry's quoted strikes (first quote per strike), plus its own offset; scipy's density."""
    out = np.zeros((len(levels), weights.shape[1]))
    for i in range(strike.size):
        if not np.isfinite(vol[i]) or vol[i] <= 0 or t[i] <= 0:
            continue
        same = np.flatnonzero((group == group[i]) & np.isfinite(vol) & (vol > 0))
        same = same[np.argsort(strike[same], kind="stable")]
        xs, first = np.unique(strike[same], return_index=True)
        ys = vol[same][first]
        for j, level in enumerate(levels):
            v = vol[i] - np.interp(strike[i], xs, ys) + np.interp(strike[i] * spot / level, xs, ys)
            if v > 0:
                out[j] += weights[i] * float(ref_gamma(level, strike[i], t[i], v)) * level**power
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_sticky_moneyness_grid_matches_the_reference_across_tiles(seed, monkeypatch):
    from xlgex.core import profile

    monkeypatch.setattr(profile, "TILE_CONTRACTS", 7)  # many tiles of contracts and of levels
    monkeypatch.setattr(profile, "TILE_LEVELS", 3)
    rng = np.random.default_rng(seed)
    n = 90
    strike, t, vol, weights = random_contracts(seed, n)
    strike = np.round(strike / 25.0) * 25.0  # shared strikes: calls and puts quote the same K
    group = rng.integers(0, 4, n)
    group[0] = 7  # a smile with one quoted strike
    t = np.select([group == g for g in range(4)] + [group == 7], [1 / 365, 0.02, 0.3, 1.5, 0.1])
    vol[rng.random(n) < 0.1] = np.nan  # no IV: no gamma, not in any smile
    vol = vol - 0.1  # some pushed to zero or below: no gamma
    levels = np.array([4100.0, 4630.0, 4990.0, 5000.0, 5010.0, 5480.0, 5900.0])
    smile = profile.sticky_moneyness_vols(5000.0, strike, vol, group)
    expected = smile_reference(levels, 5000.0, strike, t, vol, group, weights, 2)
    kernel = profile.StickyMoneynessGrid(smile, t, weights)
    got, net = kernel(levels[::-1])[::-1], kernel(levels, net=True)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(net, expected.sum(axis=1), rtol=1e-9, atol=1e-12 * scale)
    generic = profile.profile_kernel(levels, strike, t, vol, weights,
                                     vol_at=lambda lv, idx: smile(lv, idx))  # wrapped: the generic path
    np.testing.assert_allclose(generic, expected, rtol=1e-9, atol=1e-12 * scale)  # any vol_at
    assert scale > 0 and np.count_nonzero(np.abs(expected) > 1e-6 * scale) > 5
