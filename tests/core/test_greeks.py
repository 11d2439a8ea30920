"""Tests for :mod:`xlgex.core.greeks`.

1. Element-wise agreement with QuantLib (``BlackCalculator`` on the forward, which also handles
   intraday maturities, and ``AnalyticEuropeanEngine`` with dates for whole-day maturities).
2. Vanna and charm against central finite differences of QuantLib's delta.
3. Textbook values from Hull and Haug, each with its source.
4. Degenerate inputs (expired, zero vol), broadcasting, parity and other invariants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlgex.core.greeks import GREEK_UNITS, bs_gamma, greeks

ql = pytest.importorskip("QuantLib")

MINUTE = 1.0 / 525_600  # one minute as an ACT/365 year fraction
EPS = np.finfo(float).eps
ORACLE_GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")
ALL_GREEKS = (*ORACLE_GREEKS, "vanna", "charm")
INPUTS = ("spot", "strike", "t_years", "vol", "rate", "div_yield", "is_call")

# Agreement with QuantLib: relative 1e-8, plus an absolute floor of FLOOR[greek] times the
# greek's natural size (see `natural_scale`), which only matters for values far below that size.
# * gamma and vega are plain products in both libraries, so their floor (1e-240 of the size)
#   only absorbs underflow: QuantLib returns 0 where xlgex still has 1e-305.
# * price, delta, rho and theta are differences in QuantLib: it computes N(x) as
#   0.5 * (1 + erf(x / sqrt 2)) and a put's N(-d1) as N(d1) - 1, so its tail values carry an
#   absolute error of a few EPS instead of a relative one (a 1e-40 put delta comes back as 0
#   or 1e-17). Their floor, 1e-14 of the size, is about ten times the largest such error seen
#   over 30 seeds. Theta gets one more term, see `floors`.
# `test_floor_is_honest` shows that a 1e-7 relative error is caught wherever the floor is not
# in play, and that the floor is in play only for values far below the greek's size.
RTOL = 1e-8
FLOOR = {"price": 1e-14, "delta": 1e-14, "gamma": 1e-240, "vega": 1e-240, "theta": 1e-14,
         "rho": 1e-14}


# --------------------------------------------------------------------------------------------
# Oracle and comparison helpers
# --------------------------------------------------------------------------------------------


def ql_black(spot, strike, t_years, vol, rate, div_yield, is_call):
    """QuantLib's Black formula for one option, in xlgex's units.

    ``BlackCalculator`` prices on the forward F = S e^{(r-q)T} with discount D = e^{-rT} and
    standard deviation sigma sqrt(T). Its ``vega(T)`` is per 1.00 of vol, ``rho(T)`` is
    d(price)/d(rate) at fixed spot per 1.00 of rate, and ``theta(S, T)`` is d(price)/dt per
    year of calendar time (T shrinking), all as in xlgex: `test_quantlib_conventions` checks
    that by bumping QuantLib's own price, so nothing needs converting.
    """
    discount = math.exp(-rate * t_years)
    forward = spot * math.exp((rate - div_yield) * t_years)
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, strike)
    calc = ql.BlackCalculator(payoff, forward, vol * math.sqrt(t_years), discount)
    return {
        "price": calc.value(),
        "delta": calc.delta(spot),
        "gamma": calc.gamma(spot),
        "vega": calc.vega(t_years),
        "theta": calc.theta(spot, t_years),
        "rho": calc.rho(t_years),
    }


def ql_delta(spot, strike, t_years, vol, rate, div_yield, is_call):
    return ql_black(spot, strike, t_years, vol, rate, div_yield, is_call)["delta"]


def ql_table(cases):
    """QuantLib's six greeks for every row of `cases`, as arrays."""
    rows = [ql_black(*(cases[name][i] for name in INPUTS)) for i in range(len(cases["spot"]))]
    return {name: np.array([row[name] for row in rows]) for name in ORACLE_GREEKS}


def xlgex_table(cases):
    return greeks(*(cases[name] for name in INPUTS))


def natural_scale(cases):
    """Rough size of each greek, or of the terms it is made of: what FLOOR is a fraction of.
    Gamma, vega and theta use their at-the-money size; price uses S + K, since both
    libraries subtract a K-sized term from an S-sized one."""
    spot, strike, t = cases["spot"], cases["strike"], cases["t_years"]
    vol, rate, div_yield = cases["vol"], cases["rate"], cases["div_yield"]
    sqrt_t = np.sqrt(t)
    return {
        "price": spot + strike,
        "delta": np.ones_like(spot),
        "gamma": 1.0 / (spot * vol * sqrt_t),
        "vega": spot * sqrt_t,
        "theta": spot * vol / sqrt_t + np.abs(rate) * strike + div_yield * spot,
        "rho": strike * t,
    }


def agrees(actual, expected, rtol, atol):
    """Element-wise |actual - expected| <= rtol * max(|actual|, |expected|) + atol."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    size = np.maximum(np.abs(actual), np.abs(expected))
    return np.abs(actual - expected) <= rtol * size + atol


def assert_agrees(name, actual, expected, rtol, atol, cases):
    ok = agrees(actual, expected, rtol, atol)
    if ok.all():
        return
    bad = np.flatnonzero(~ok)
    lines = [f"{name}: {bad.size} of {ok.size} rows disagree; first ones:"]
    for i in bad[:5]:
        row = ", ".join(f"{k}={np.asarray(cases[k])[i]!r}" for k in INPUTS)
        lines.append(f"  xlgex {actual[i]!r} vs oracle {expected[i]!r} at {row}")
    raise AssertionError("\n".join(lines))


def relative_error(actual, expected):
    size = np.maximum(np.abs(actual), np.abs(expected))
    return np.abs(actual - expected) / np.where(size > 0.0, size, 1.0)


# --------------------------------------------------------------------------------------------
# Case sets (seeded, built once at import: a few hundred QuantLib calls take milliseconds)
# --------------------------------------------------------------------------------------------


def _log_uniform(rng, low, high, n):
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


def random_box(seed, n):
    """Uniform over the whole box: spot 10-10,000, K/S 0.3-3, T 1 minute-5 years, vol 1-300%,
    rate -1% to 10%, yield 0-10% (so q > r in about half the rows), calls and puts."""
    rng = np.random.default_rng(seed)
    spot = _log_uniform(rng, 10.0, 10_000.0, n)
    return {
        "spot": spot,
        "strike": spot * _log_uniform(rng, 0.3, 3.0, n),
        "t_years": _log_uniform(rng, MINUTE, 5.0, n),
        "vol": _log_uniform(rng, 0.01, 3.0, n),
        "rate": rng.uniform(-0.01, 0.10, n),
        "div_yield": rng.uniform(0.0, 0.10, n),
        "is_call": rng.random(n) < 0.5,
    }


def random_near_money(seed, n, z_max):
    """Same box, but the strike is placed z standard deviations from the forward with
    |z| <= z_max (then clipped to K/S in [0.3, 3]). The uniform box puts many rows so deep in
    the tails that every greek but delta is 0 to machine precision; these rows do not."""
    cases = random_box(seed, n)
    rng = np.random.default_rng(seed + 1)
    z = rng.uniform(-z_max, z_max, n)
    t, vol = cases["t_years"], cases["vol"]
    forward_ratio = np.exp((cases["rate"] - cases["div_yield"]) * t)
    cases["strike"] = cases["spot"] * np.clip(
        forward_ratio * np.exp(z * vol * np.sqrt(t)), 0.3, 3.0
    )
    return cases


def edge_grid():
    """Full product of the edge cases: 1 minute, 5 minutes, 1 hour, 1 day and 5 years; deep
    ITM/OTM (K/S 0.3 and 3) and near the money; vol 1% and 300%; q > r; negative rate."""
    t = np.array([1.0, 5.0, 60.0, 1440.0]) * MINUTE
    t = np.append(t, 5.0)
    moneyness = np.array([0.3, 0.97, 1.0, 1.03, 3.0])
    vol = np.array([0.01, 0.2, 3.0])
    rate_yield = np.array([[0.05, 0.0], [0.01, 0.08], [-0.01, 0.03]])
    is_call = np.array([True, False])
    ti, mi, vi, ri, ci = np.meshgrid(
        np.arange(t.size), np.arange(moneyness.size), np.arange(vol.size),
        np.arange(len(rate_yield)), np.arange(is_call.size), indexing="ij",
    )
    ti, mi, vi, ri, ci = (a.ravel() for a in (ti, mi, vi, ri, ci))
    spot = np.full(ti.size, 4_500.0)
    return {
        "spot": spot,
        "strike": spot * moneyness[mi],
        "t_years": t[ti],
        "vol": vol[vi],
        "rate": rate_yield[ri, 0],
        "div_yield": rate_yield[ri, 1],
        "is_call": is_call[ci],
    }


CASE_SETS = {
    "box": random_box(seed=20_240_614, n=400),
    "near_money": random_near_money(seed=20_240_615, n=200, z_max=6.0),
    "edges": edge_grid(),
}
ORACLE = {name: ql_table(cases) for name, cases in CASE_SETS.items()}


def floors(cases, oracle):
    """Absolute tolerance per greek: FLOOR times its natural size, and for theta also
    the error QuantLib makes at very short maturities. BlackCalculator.theta recovers (r - q)T
    as log(forward / spot) and rT as -log(discount) and divides by T, so an EPS-sized rounding
    of the forward becomes an absolute error of about EPS * (S |delta| + |V|) / T in theta:
    1e-7 for S = 8,000 at two minutes, where xlgex's closed form has no such term."""
    out = {name: FLOOR[name] * scale for name, scale in natural_scale(cases).items()}
    out["theta"] = out["theta"] + 4.0 * EPS * (
        cases["spot"] * np.abs(oracle["delta"]) + np.abs(oracle["price"])
    ) / cases["t_years"]
    return out


# --------------------------------------------------------------------------------------------
# 1. Element-wise against QuantLib
# --------------------------------------------------------------------------------------------


def test_quantlib_conventions():
    """Before relying on BlackCalculator, bump its own price: its theta is dV/dt in calendar
    time (negative of dV/dT), its vega is per 1.00 of vol and its rho holds spot fixed."""
    args = {"spot": 100.0, "strike": 105.0, "t_years": 0.5, "vol": 0.25, "rate": 0.03,
            "div_yield": 0.01}

    def price(**bump):
        return ql_black(**{**args, **bump}, is_call=False)["price"]

    h = 1e-5  # central differences, so the truncation error is O(h^2) ~ 1e-10
    base = ql_black(**args, is_call=False)
    fd_vega = (price(vol=args["vol"] + h) - price(vol=args["vol"] - h)) / (2 * h)
    fd_theta = -(price(t_years=args["t_years"] + h) - price(t_years=args["t_years"] - h)) / (2 * h)
    fd_rho = (price(rate=args["rate"] + h) - price(rate=args["rate"] - h)) / (2 * h)
    assert base["vega"] == pytest.approx(fd_vega, rel=1e-7)
    assert base["theta"] == pytest.approx(fd_theta, rel=1e-7)
    assert base["theta"] < 0.0
    assert base["rho"] == pytest.approx(fd_rho, rel=1e-7)


@pytest.mark.parametrize("case_set", sorted(CASE_SETS))
@pytest.mark.parametrize("name", ORACLE_GREEKS)
def test_matches_quantlib(case_set, name):
    cases = CASE_SETS[case_set]
    actual = xlgex_table(cases)[name]
    oracle = ORACLE[case_set]
    assert_agrees(name, actual, oracle[name], RTOL, floors(cases, oracle)[name], cases)


def test_floor_is_honest():
    """The comparison must be able to fail. A 1e-7 relative error (ten times RTOL) is caught in
    every row whose value is not below the floor, and those rows are the large majority; the
    classic unit slips (vega per 1%, theta per day, rho per 1%) are caught everywhere else."""
    for case_set, cases in CASE_SETS.items():
        floor = floors(cases, ORACLE[case_set])
        scale = natural_scale(cases)
        for name in ORACLE_GREEKS:
            expected = ORACLE[case_set][name]
            testable = np.abs(expected) * 1e-7 > 2.0 * (RTOL * np.abs(expected) + floor[name])
            perturbed = expected * (1.0 + 1e-7)
            assert not agrees(perturbed, expected, RTOL, floor[name])[testable].any()
            # Where the floor decides, the value is tiny next to the greek's natural size.
            assert (np.abs(expected[~testable]) < 1e-2 * scale[name][~testable]).all()
            if case_set == "near_money":  # the other two sets aim at the tails on purpose
                # short-dated out-of-the-money prices below 2.5e-7 (S + K) are the exception
                assert testable.mean() > (0.75 if name == "price" else 0.85), name
        for name, slip in (("vega", 0.01), ("theta", 1 / 365), ("rho", 0.01)):
            expected = ORACLE[case_set][name]
            big = np.abs(expected) > floor[name]
            assert not agrees(expected * slip, expected, RTOL, floor[name])[big].any()
    # The floor does not swallow short-dated prices: a one-minute at-the-money option is worth
    # ~0.5 on a 4,500 spot, and a 1e-7 relative error on it is still caught.
    price = float(greeks(4_500.0, 4_500.0, MINUTE, 0.2)["price"])
    assert not agrees(price * (1 + 1e-7), price, RTOL, FLOOR["price"] * 9_000.0)


WHOLE_DAYS = (1, 7, 30, 365, 730)


@pytest.fixture
def evaluation_date():
    """Set QuantLib's global evaluation date for the test and restore it afterwards."""
    settings_ = ql.Settings.instance()
    saved = settings_.evaluationDate
    today = ql.Date(14, ql.June, 2024)
    settings_.evaluationDate = today
    yield today
    settings_.evaluationDate = saved


@pytest.mark.parametrize("days", WHOLE_DAYS)
def test_matches_quantlib_dated_engine(evaluation_date, days):
    """AnalyticEuropeanEngine on flat Actual365Fixed curves agrees with xlgex at T = days/365,
    so the forward-based BlackCalculator set-up above is not hiding a convention."""
    today = evaluation_date
    day_count = ql.Actual365Fixed()
    spot, rate, div_yield, vol = 4_500.0, 0.045, 0.065, 0.22  # q > r on purpose
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, div_yield, day_count)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, day_count)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol,
                                                           day_count)),
    )
    engine = ql.AnalyticEuropeanEngine(process)
    strike, is_call = (a.ravel() for a in np.meshgrid([3_600.0, 4_500.0, 5_000.0], [True, False]))
    cases = {"spot": np.full(strike.size, spot), "strike": strike,
             "t_years": np.full(strike.size, days / 365.0), "vol": np.full(strike.size, vol),
             "rate": np.full(strike.size, rate), "div_yield": np.full(strike.size, div_yield),
             "is_call": is_call}
    rows = []
    for k, c in zip(strike, is_call, strict=True):
        option = ql.VanillaOption(
            ql.PlainVanillaPayoff(ql.Option.Call if c else ql.Option.Put, float(k)),
            ql.EuropeanExercise(today + days),
        )
        option.setPricingEngine(engine)
        rows.append({"price": option.NPV(), "delta": option.delta(), "gamma": option.gamma(),
                     "vega": option.vega(), "theta": option.theta(), "rho": option.rho()})
    dated = {name: np.array([row[name] for row in rows]) for name in ORACLE_GREEKS}
    ours, forward_based, floor = xlgex_table(cases), ql_table(cases), floors(cases, dated)
    for name in ORACLE_GREEKS:
        assert_agrees(name, ours[name], dated[name], RTOL, floor[name], cases)
        assert_agrees(name, forward_based[name], dated[name], RTOL, floor[name], cases)


# --------------------------------------------------------------------------------------------
# 2. Vanna and charm against finite differences of QuantLib's delta
# --------------------------------------------------------------------------------------------

FD_CASES = {
    "near_money": random_near_money(seed=20_240_616, n=200, z_max=5.0),
    "edges": edge_grid(),
}


def _fd_steps(cases):
    """Step sizes for the central differences of delta in vol and in T.

    Delta depends on vol and T through phi(d1) = exp(-d1^2 / 2), so on a log scale it varies
    over about 1 / (1 + d1^2 + d2^2): the step is 1e-2 of that, relative to vol or T (the
    factor is capped at 1 + 2 * 40^2, beyond which phi underflows and delta is flat). With the
    five-point stencil the truncation error is ~(1e-2)^4 = 1e-8 relative. The step cannot be
    much smaller: BlackCalculator.delta subtracts two terms of size phi(d1) / (sigma sqrt T)
    and takes the forward F = S e^{(r-q)T} as a rounded double, so at one minute and 1% vol
    its delta is only good to ~1e-11 absolute, and that noise is divided by h."""
    spot, strike, t, vol = (cases[k] for k in ("spot", "strike", "t_years", "vol"))
    sd = vol * np.sqrt(t)
    d1 = (np.log(spot / strike) + (cases["rate"] - cases["div_yield"]) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    shrink = np.minimum(1.0 + d1 * d1 + d2 * d2, 1.0 + 2 * 40.0**2)
    return 1e-2 * vol / shrink, 1e-2 * t / shrink


def _derivative(f, x, h):
    """Five-point central difference f'(x), error h^4 f^(5)(x) / 30."""
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def fd_vanna_charm(cases):
    h_vol, h_t = _fd_steps(cases)
    vanna, charm = [], []
    for i in range(len(cases["spot"])):
        row = {k: cases[k][i] for k in INPUTS}
        vanna.append(_derivative(lambda v, row=row: ql_delta(**{**row, "vol": v}),
                                 row["vol"], h_vol[i]))
        # charm is d(delta)/dt in calendar time, i.e. -d(delta)/dT
        charm.append(-_derivative(lambda t, row=row: ql_delta(**{**row, "t_years": t}),
                                  row["t_years"], h_t[i]))
    return {"vanna": np.array(vanna), "charm": np.array(charm)}, {"vanna": h_vol, "charm": h_t}


FD_RTOL = 1e-5
FD_ORACLE = {name: fd_vanna_charm(cases) for name, cases in FD_CASES.items()}


@pytest.mark.parametrize("case_set", sorted(FD_CASES))
@pytest.mark.parametrize("name", ("vanna", "charm"))
def test_vanna_charm_match_fd_of_quantlib_delta(case_set, name):
    cases = FD_CASES[case_set]
    expected, steps = FD_ORACLE[case_set]
    # Absolute floor: an EPS-sized error in delta, divided by the step. Rows below it are
    # deep in the tails, where vanna and charm are ~0 and delta is flat to the last bit.
    atol = 16.0 * EPS / steps[name]
    actual = xlgex_table(cases)[name]
    assert_agrees(name, actual, expected[name], FD_RTOL, atol, cases)
    if case_set == "near_money":  # the floor decides only a few rows here
        assert (np.abs(expected[name]) * FD_RTOL > atol).mean() > 0.9


def test_fd_comparison_can_fail():
    """Charm with the wrong sign (d/dT instead of d/dt) and vanna per 1% of vol both fail."""
    cases = FD_CASES["near_money"]
    expected, steps = FD_ORACLE["near_money"]
    ours = xlgex_table(cases)
    for name, wrong in (("charm", -ours["charm"]), ("vanna", ours["vanna"] / 100.0)):
        atol = 16.0 * EPS / steps[name]
        resolved = np.abs(expected[name]) > 1e3 * atol
        assert resolved.mean() > 0.8
        assert not agrees(wrong, expected[name], FD_RTOL, atol)[resolved].any()


# --------------------------------------------------------------------------------------------
# 3. Textbook goldens, asserted to the printed precision
# --------------------------------------------------------------------------------------------


def assert_printed(value, printed, decimals):
    """`value` rounds to `printed` at the number of decimals the book prints."""
    assert abs(float(value) - printed) <= 0.5 * 10.0**-decimals + 1e-12, (float(value), printed)


def test_hull_20_week_call():
    # Hull, Options, Futures, and Other Derivatives, chapter "The Greek Letters": the running
    # example of a bank that sold a 20-week European call on a non-dividend-paying stock,
    # S0 = 49, K = 50, r = 5%, sigma = 20%, T = 20/52 = 0.3846. The book gives the
    # Black-Scholes-Merton price $2.40, delta 0.522, gamma 0.066, vega 12.1 (per 1.00 of vol),
    # theta -4.31 per year and rho 8.91 (per 1.00 of rate).
    g = greeks(49.0, 50.0, 0.3846, 0.20, rate=0.05, is_call=True)
    assert_printed(g["price"], 2.40, 2)
    assert_printed(g["delta"], 0.522, 3)
    assert_printed(g["gamma"], 0.066, 3)
    assert_printed(g["vega"], 12.1, 1)
    assert_printed(g["theta"], -4.31, 2)
    assert_printed(g["rho"], 8.91, 2)


def test_haug_examples():
    # Haug, The Complete Guide to Option Pricing Formulas, 2nd ed. (2007), chapter 1. Haug's
    # cost-of-carry b is r - q here, so b = r means div_yield = 0 and b = 0 (options on
    # futures) means div_yield = rate.
    # Generalized BSM, stock option: S=60, K=65, T=0.25, r=b=8%, sigma=30%: call 2.1334.
    assert_printed(greeks(60.0, 65.0, 0.25, 0.30, 0.08, 0.0, True)["price"], 2.1334, 4)
    # Options on stock indexes (Merton 1973): S=100, K=95, T=0.5, r=10%, q=5%, sigma=20%:
    # put 2.4648.
    assert_printed(greeks(100.0, 95.0, 0.5, 0.20, 0.10, 0.05, False)["price"], 2.4648, 4)
    # Options on futures (Black 1976): F=19, K=19, T=0.75, r=10%, sigma=28%: call = put = 1.7011.
    for is_call in (True, False):
        assert_printed(greeks(19.0, 19.0, 0.75, 0.28, 0.10, 0.10, is_call)["price"], 1.7011, 4)
    # Delta: futures option S=105, K=100, T=0.5, r=10%, b=0, sigma=36%: call 0.5946, put -0.3566.
    assert_printed(greeks(105.0, 100.0, 0.5, 0.36, 0.10, 0.10, True)["delta"], 0.5946, 4)
    assert_printed(greeks(105.0, 100.0, 0.5, 0.36, 0.10, 0.10, False)["delta"], -0.3566, 4)
    # Gamma and vega: S=55, K=60, T=0.75, r=b=10%, sigma=30%: gamma 0.0278, vega 18.9358.
    g = greeks(55.0, 60.0, 0.75, 0.30, 0.10, 0.0, True)
    assert_printed(g["gamma"], 0.0278, 4)
    assert_printed(g["vega"], 18.9358, 4)
    # Theta: index put S=430, K=405, T=0.0833, r=7%, q=5% (b=2%), sigma=20%: -31.1924 per year.
    assert_printed(greeks(430.0, 405.0, 0.0833, 0.20, 0.07, 0.05, False)["theta"], -31.1924, 4)


# --------------------------------------------------------------------------------------------
# 4. Degenerate cases, broadcasting and invariants
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("t_years", [0.0, -1.0 / 365])
@pytest.mark.parametrize("vol", [0.2, 0.0])
def test_expired_gives_intrinsic(t_years, vol):
    spot, strike = 100.0, np.array([80.0, 100.0, 120.0])
    for is_call, w in ((True, 1.0), (False, -1.0)):
        g = greeks(spot, strike, t_years, vol, rate=0.05, div_yield=0.02, is_call=is_call)
        np.testing.assert_array_equal(g["price"], np.maximum(w * (spot - strike), 0.0))
        # w in the money, 0 out of the money and exactly at the money
        np.testing.assert_array_equal(g["delta"], np.where(w * (spot - strike) > 0, w, 0.0))
        for name in ("gamma", "vega", "theta", "rho", "vanna", "charm"):
            np.testing.assert_array_equal(g[name], 0.0)


@pytest.mark.parametrize("vol", [0.0, -0.1])
def test_zero_vol_gives_discounted_forward_intrinsic(vol):
    spot, t_years, rate, div_yield = 100.0, 0.5, 0.05, 0.02
    forward = spot * math.exp((rate - div_yield) * t_years)
    strike = np.array([80.0, forward * 0.99, forward * 1.01, 120.0])

    def value(t, r, w):
        return math.exp(-r * t) * np.maximum(w * (spot * math.exp((r - div_yield) * t) - strike),
                                             0.0)

    for is_call, w in ((True, 1.0), (False, -1.0)):
        g = greeks(spot, strike, t_years, vol, rate, div_yield, is_call)
        itm = w * (forward - strike) > 0
        # S e^{-qT} - K e^{-rT} cancels: compare at a few EPS of spot
        np.testing.assert_allclose(g["price"], value(t_years, rate, w), rtol=0, atol=1e-13 * spot)
        np.testing.assert_allclose(g["delta"], np.where(itm, w * math.exp(-div_yield * t_years),
                                                        0.0), rtol=1e-14)
        # theta and rho are the derivatives of that value (in calendar time and in rate)
        h = 1e-6
        theta = -(value(t_years + h, rate, w) - value(t_years - h, rate, w)) / (2 * h)
        rho = (value(t_years, rate + h, w) - value(t_years, rate - h, w)) / (2 * h)
        np.testing.assert_allclose(g["theta"], theta, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(g["rho"], rho, rtol=1e-7, atol=1e-9)
        # charm is left out here: see test_zero_vol_charm_is_the_limit
        for name in ("gamma", "vega", "vanna"):
            np.testing.assert_array_equal(g[name], 0.0)
        # ... and they are the limit of a tiny positive vol (strikes away from the forward)
        tiny = greeks(spot, strike, t_years, 1e-6, rate, div_yield, is_call)
        for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna"):
            np.testing.assert_allclose(tiny[name], g[name], rtol=1e-12, atol=1e-12)


def test_mixed_array_is_finite():
    """Expired, zero-vol, 0DTE and long-dated rows together: no NaN/inf, no FP warnings."""
    t = np.array([-1 / 365, 0.0, 1e-9, MINUTE, 1 / 365, 1.0, 5.0])
    vol = np.array([-0.1, 0.0, 1e-6, 0.01, 0.2, 3.0])
    grids = np.meshgrid(t, vol, [0.3, 0.999, 1.0, 3.0], [-0.01, 0.1], [0.0, 0.1], [True, False],
                        indexing="ij")
    t, vol, moneyness, rate, div_yield, is_call = (a.ravel() for a in grids)
    spot = 5_000.0
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        g = greeks(spot, spot * moneyness, t, vol, rate, div_yield, is_call.astype(bool))
    assert set(g) == set(ALL_GREEKS) == set(GREEK_UNITS)
    for name, values in g.items():
        assert values.shape == t.shape
        assert np.isfinite(values).all(), name
        assert np.isfinite(values.sum()), name
    # bs_gamma follows the same rules (same zeros, same values to the last few bits)
    np.testing.assert_allclose(bs_gamma(spot, spot * moneyness, t, vol, rate, div_yield),
                               g["gamma"], rtol=1e-13, atol=1e-300)


def test_broadcasting():
    strikes = np.array([4_000.0, 4_500.0, 5_000.0])
    is_call = np.array([[True], [False]])
    t_years = np.array([[MINUTE], [0.25]])
    g = greeks(4_500.0, strikes, t_years, 0.2, 0.04, 0.01, is_call)
    for name in ALL_GREEKS:
        assert g[name].shape == (2, 3)
        for i in range(2):
            for j in range(3):
                one = greeks(4_500.0, strikes[j], t_years[i, 0], 0.2, 0.04, 0.01, is_call[i, 0])
                assert g[name][i, j] == pytest.approx(float(one[name]), rel=1e-14, abs=0)
    scalar = greeks(100.0, 100.0, 0.5, 0.2)
    assert all(np.ndim(v) == 0 for v in scalar.values())
    assert greeks(100.0, [90.0, 110.0], 0.5, 0.2)["price"].shape == (2,)


def _parity_check(spot, strike, t_years, vol, rate, div_yield):
    """Put-call parity for every greek; the tolerance is a few EPS of the size of the terms
    that C - P cancels."""
    call = greeks(spot, strike, t_years, vol, rate, div_yield, True)
    put = greeks(spot, strike, t_years, vol, rate, div_yield, False)
    disc_q, disc_r = np.exp(-div_yield * t_years), np.exp(-rate * t_years)
    scale = spot + strike
    tol = 64 * EPS
    parity = {
        "price": (spot * disc_q - strike * disc_r, tol * scale),
        "delta": (disc_q, tol),
        "theta": (div_yield * spot * disc_q - rate * strike * disc_r,
                  tol * (np.abs(call["theta"]) + (np.abs(rate) + div_yield) * scale)),
        "rho": (strike * t_years * disc_r, tol * strike * t_years),
        "charm": (div_yield * disc_q, tol * (1.0 + np.abs(call["charm"]))),
        "gamma": (0.0, 0.0),  # the same expression for calls and puts
        "vega": (0.0, 0.0),
        "vanna": (0.0, 0.0),
    }
    for name, (expected, atol) in parity.items():
        difference = np.asarray(call[name] - put[name])
        ok = agrees(difference, expected, 0.0, atol)
        assert ok.all(), (name, difference[~ok], np.broadcast_to(expected, ok.shape)[~ok])
    np.testing.assert_allclose(call["gamma"], bs_gamma(spot, strike, t_years, vol, rate,
                                                       div_yield), rtol=1e-13, atol=1e-300)


def test_put_call_parity_on_case_sets():
    for cases in CASE_SETS.values():
        _parity_check(*(cases[k] for k in INPUTS[:-1]))
    # and in the zero-vol limit, strikes away from the forward (with q = 0, see
    # test_zero_vol_charm_is_the_limit for q > 0)
    _parity_check(100.0, np.array([50.0, 150.0]), 0.5, 0.0, 0.05, 0.0)


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(
    spot=st.floats(10.0, 10_000.0),
    moneyness=st.floats(0.3, 3.0),
    t_years=st.floats(MINUTE, 5.0),
    vol=st.floats(0.01, 3.0),
    rate=st.floats(-0.01, 0.10),
    div_yield=st.floats(0.0, 0.10),
    factor=st.floats(0.01, 100.0),
)
def test_invariants(spot, moneyness, t_years, vol, rate, div_yield, factor):
    """Parity, and homogeneity: scaling spot and strike by c scales price, vega, theta and rho
    by c, gamma by 1/c, and leaves delta, vanna and charm unchanged."""
    strike = spot * moneyness
    _parity_check(spot, strike, t_years, vol, rate, div_yield)
    base = greeks(spot, strike, t_years, vol, rate, div_yield)
    scaled = greeks(factor * spot, factor * strike, t_years, vol, rate, div_yield)
    power = {"price": 1, "vega": 1, "theta": 1, "rho": 1, "gamma": -1,
             "delta": 0, "vanna": 0, "charm": 0}
    size = natural_scale({"spot": factor * spot, "strike": factor * strike, "t_years": t_years,
                          "vol": vol, "rate": rate, "div_yield": div_yield})
    size.update(vanna=1.0 / vol, charm=1.0 / t_years)  # rough upper bounds of both
    for name, p in power.items():
        # log(cS / cK) differs from log(S / K) by an EPS or so, hence the small atol
        np.testing.assert_allclose(scaled[name], base[name] * factor**p, rtol=1e-9,
                                   atol=1e-12 * size[name])


def test_zero_dte_gamma_is_finite_and_large():
    spot, vol = 5_000.0, 0.15
    one_minute = float(bs_gamma(spot, spot, MINUTE, vol))
    one_day = float(bs_gamma(spot, spot, 1 / 365, vol))
    assert np.isfinite(one_minute)
    # at the money gamma ~ phi(0) / (S sigma sqrt T): sqrt(1440) = 38 times the 1-day value
    at_the_money = 1 / math.sqrt(2 * math.pi) / (spot * vol * math.sqrt(MINUTE))
    assert one_minute == pytest.approx(at_the_money, rel=1e-4)
    assert one_minute / one_day == pytest.approx(math.sqrt(1440.0), rel=1e-3)
    assert float(greeks(spot, spot, MINUTE, vol)["gamma"]) == one_minute


# Zero-vol charm and NaN propagation.


@pytest.mark.parametrize("is_call", [True, False])
def test_zero_vol_charm_is_the_limit(is_call):
    spot, t_years, rate, div_yield = 100.0, 0.5, 0.05, 0.02
    strike = np.array([80.0, 120.0])  # in and out of the money for the call
    w = 1.0 if is_call else -1.0
    itm = w * (spot * math.exp((rate - div_yield) * t_years) - strike) > 0
    expected = np.where(itm, w * div_yield * math.exp(-div_yield * t_years), 0.0)
    tiny = greeks(spot, strike, t_years, 1e-6, rate, div_yield, is_call)["charm"]
    np.testing.assert_allclose(tiny, expected, rtol=1e-12)  # what a tiny vol gives
    zero = greeks(spot, strike, t_years, 0.0, rate, div_yield, is_call)["charm"]
    np.testing.assert_allclose(zero, expected, rtol=1e-12)


@pytest.mark.parametrize("args", [
    pytest.param((100.0, 90.0, 0.5, math.nan), id="nan-vol"),
    pytest.param((100.0, 90.0, math.nan, 0.2), id="nan-t"),
    pytest.param((math.nan, 90.0, 0.5, 0.0), id="nan-spot-zero-vol"),
])
def test_nan_inputs_give_nan(args):
    g = greeks(*args)
    assert all(np.isnan(v) for v in g.values())
    assert np.isnan(bs_gamma(*args))
