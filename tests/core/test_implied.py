"""Implied vol and parity forward (xlgex.core.implied) against QuantLib and by construction."""

from __future__ import annotations

import numpy as np
import pytest

from xlgex.core.implied import VOL_MAX, black_implied_vol, black_price, parity_forward

ql = pytest.importorskip("QuantLib")

MINUTE = 1.0 / 525600.0


def grid():
    """Forward, strike, years, vol, call, discount: minutes to years, deep ITM to deep OTM,
    q > r (forward below spot) and r > q, low and high vols."""
    rows = []
    for t in (30 * MINUTE, 1 / 365, 7 / 365, 0.25, 1.0, 3.0):
        for moneyness in (-0.4, -0.1, -0.01, 0.0, 0.02, 0.1, 0.4):
            for vol in (0.05, 0.2, 0.8, 3.0):
                for is_call in (True, False):
                    for rate, div in ((0.05, 0.0), (0.01, 0.06)):
                        spot = 4500.0
                        forward = spot * np.exp((rate - div) * t)
                        strike = forward * np.exp(moneyness * vol * np.sqrt(t) * 4)
                        rows.append((forward, strike, t, vol, is_call, np.exp(-rate * t)))
    return np.array(rows, dtype=float).T


def ql_black_vol(price, forward, strike, t, is_call, discount):
    kind = ql.Option.Call if is_call else ql.Option.Put
    stdev = ql.blackFormulaImpliedStdDev(kind, strike, forward, price, discount, 0.0, 0.2 * np.sqrt(t),
                                         1e-14, 10000)  # fmt: skip
    return stdev / np.sqrt(t)


def well_conditioned(forward, strike, t, vol, is_call, discount):
    """Contracts whose out-of-the-money price is not lost in rounding (vega well above 0)."""
    otm = black_price(forward, strike, t, vol, forward <= strike, discount)
    return otm / forward > 1e-7


def test_against_quantlib_black_to_1e10():
    forward, strike, t, vol, is_call, discount = grid()
    price = black_price(forward, strike, t, vol, is_call, discount)
    ours = black_implied_vol(price, forward, strike, t, is_call, discount)
    keep = well_conditioned(forward, strike, t, vol, is_call, discount)
    assert keep.sum() > 400
    for i in np.flatnonzero(keep):
        theirs = ql_black_vol(price[i], forward[i], strike[i], t[i], bool(is_call[i]), discount[i])
        assert ours[i] == pytest.approx(theirs, abs=1e-10), i
        assert ours[i] == pytest.approx(vol[i], abs=1e-10), i


def test_against_quantlib_bsm_option():
    """Black on the forward is BSM with F = S e^{(r-q)T}, D = e^{-rT}: QuantLib's
    EuropeanOption.impliedVolatility on a Black-Scholes-Merton process agrees."""
    today = ql.Date(15, 3, 2023)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    spot, rate, div = 100.0, 0.045, 0.07  # q > r
    for days, strike, vol, is_call in ((30, 90.0, 0.25, True), (30, 110.0, 0.3, False),
                                       (365, 100.0, 0.18, True), (5, 97.0, 0.4, False)):  # fmt: skip
        expiry = today + days
        t = day_count.yearFraction(today, expiry)
        process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(ql.SimpleQuote(spot)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, div, day_count)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, rate, day_count)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)),
        )  # fmt: skip
        payoff = ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, strike)
        option = ql.EuropeanOption(payoff, ql.EuropeanExercise(expiry))
        option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        price = option.NPV()
        theirs = option.impliedVolatility(price, process, 1e-14, 10000, 1e-4, 5.0)
        forward, discount = spot * np.exp((rate - div) * t), np.exp(-rate * t)
        ours = float(black_implied_vol(price, forward, strike, t, is_call, discount))
        assert ours == pytest.approx(theirs, abs=1e-10)
        assert ours == pytest.approx(vol, abs=1e-10)


@pytest.mark.parametrize(
    ("price", "forward", "strike", "t", "is_call"),
    [
        (5.0, 100.0, 90.0, 0.1, True),  # below intrinsic 10
        (10.0, 100.0, 90.0, 0.1, True),  # exactly intrinsic: zero time value
        (100.0, 100.0, 90.0, 0.1, True),  # at the upper bound (the forward)
        (95.0, 100.0, 90.0, 0.1, False),  # a put above its strike
        (0.0, 100.0, 100.0, 0.1, True),
        (-1.0, 100.0, 100.0, 0.1, True),
        (1.0, 100.0, 100.0, 0.0, True),  # settled
        (1.0, 100.0, 100.0, -0.1, True),
        (np.nan, 100.0, 100.0, 0.1, True),
        (99.0, 100.0, 100.0, 0.1, True),  # needs a vol above VOL_MAX
    ],
)
def test_no_vol_fits_gives_nan(price, forward, strike, t, is_call):
    assert np.isnan(black_implied_vol(price, forward, strike, t, is_call))


def test_high_vol_up_to_the_cap_is_found():
    price = black_price(100.0, 100.0, 0.5, VOL_MAX * 0.9, True)
    assert float(black_implied_vol(price, 100.0, 100.0, 0.5, True)) == pytest.approx(VOL_MAX * 0.9, rel=1e-12)


def test_parity_forward_recovers_forward_and_discount():
    forward, discount, t = 4512.3, np.exp(-0.05 * 0.5), 0.5
    strike = np.arange(4300.0, 4700.0, 25.0)
    call = black_price(forward, strike, t, 0.2, True, discount)
    put = black_price(forward, strike, t, 0.2, False, discount)
    f, d = parity_forward(strike, call, put, t)
    assert f == pytest.approx(forward, rel=1e-12) and d == pytest.approx(discount, rel=1e-12)


def test_parity_forward_falls_back_to_no_discounting():
    # one strike: F = K + C - P, D = 1
    assert parity_forward([100.0], [7.0], [5.0], 0.1) == (102.0, 1.0)
    # quotes implying a 100% rate over a day: noise, so D = 1 and the median of K + C - P
    f, d = parity_forward([99.0, 100.0, 101.0], [2.0, 1.0, 0.4], [0.4, 1.0, 2.0], 1 / 365)
    assert (f, d) == (100.0, 1.0)
    assert all(np.isnan(parity_forward([], [], [], 0.1)))
