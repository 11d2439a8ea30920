"""xlgex.hedging: the seed walkthroughs, bands, rounding, bad input and rehedge ladders."""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

import xlgex
from xlgex.core.greeks import greeks
from xlgex.errors import HedgeError
from xlgex.hedging import LADDER_COLUMNS, hedge_ladder, hedge_trade

# --------------------------------------------------------------------------- walkthroughs


class TestInsideTheMachine:
    """"Inside the Machine: How Market Makers Actually Hedge Gamma", Part 1."""

    def test_initial_hedge_buys_3500_shares(self):
        # dealer short 100 SPY 450C at delta ~0.35: -3,500 delta, buys 3,500 shares
        out = hedge_trade(-100, 0.35)
        assert out["position_delta"] == pytest.approx(-3500.0)
        assert out["net_delta_before"] == pytest.approx(-3500.0)
        assert out["target"] == 3500.0
        assert out["trade"] == 3500.0
        assert out["residual_delta"] == pytest.approx(0.0)
        assert out["hedge"] == "shares"
        assert out["units_per_hedge"] == 1.0
        assert out["triggered"] is True

    def test_rally_to_delta_050_buys_1500_more(self):
        # two days later delta 0.50: options -5,000, shares +3,500, net -1,500 -> buy 1,500
        out = hedge_trade(-100, 0.35, new_delta=0.50, current_hedge=3500)
        assert out["option_delta"] == 0.50
        assert out["delta_source"] == "new_delta"
        assert out["position_delta"] == pytest.approx(-5000.0)
        assert out["net_delta_before"] == pytest.approx(-1500.0)
        assert out["trade"] == 1500.0
        assert out["target"] == 5000.0
        assert out["hedge_after"] == 5000.0


class TestMarketMakersAndDeltaHedging:
    """"Market makers and delta-hedging": one short SPY call at delta 0.40."""

    def test_short_one_call_buys_40_shares(self):
        out = hedge_trade(-1, 0.40)
        assert out["position_delta"] == pytest.approx(-40.0)
        assert out["trade"] == 40.0


class TestUnusualWhalesNegativeGamma:
    """Unusual Whales, "How To Interpret Periscope Net Gamma Exposure": dealer sold 200
    SPX 5700P at delta -0.25, gamma 0.01, and hedges in E-mini futures."""

    kw = {"hedge": "ES", "gamma": 0.01}

    def test_initial_hedge_sells_100_es(self):
        out = hedge_trade(-200, -0.25, **self.kw)
        assert out["position_delta"] == pytest.approx(5000.0)  # -1 x -0.25 x 100 x 200
        assert out["position_gamma"] == pytest.approx(-200.0)  # -1 x 0.01 x 100 x 200
        assert out["units_per_hedge"] == 50.0
        assert out["trade"] == -100.0

    def test_spx_down_one_sells_4_more(self):
        out = hedge_trade(-200, -0.25, spot_move=-1, current_hedge=-100, **self.kw)
        assert out["option_delta"] == pytest.approx(-0.26)
        assert out["delta_source"] == "linear"
        assert out["position_delta"] == pytest.approx(5200.0)
        assert out["trade"] == -4.0
        assert out["hedge_after"] == -104.0

    def test_spx_up_one_buys_back_4(self):
        out = hedge_trade(-200, -0.25, spot_move=+1, current_hedge=-100, **self.kw)
        assert out["option_delta"] == pytest.approx(-0.24)
        assert out["position_delta"] == pytest.approx(4800.0)
        assert out["trade"] == 4.0
        assert out["hedge_after"] == -96.0

    def test_same_with_the_documents_new_deltas(self):
        for new_delta, trade in ((-0.26, -4.0), (-0.24, 4.0)):
            out = hedge_trade(-200, -0.25, new_delta=new_delta, current_hedge=-100, hedge="ES")
            assert out["trade"] == trade


class TestUnusualWhalesPositiveGamma:
    """Unusual Whales, "How To Interpret Periscope Net Gamma Exposure": dealer bought
    50 SPX 6050C at delta 0.40, gamma 0.02.

    The document says "long 200" in one line, but the customer sold 50 contracts and its
    own arithmetic (0.40 x 100 x 50 = +2000) uses 50; 50 is right.
    """

    kw = {"hedge": "es", "gamma": 0.02}

    def test_initial_hedge_sells_40_es(self):
        out = hedge_trade(50, 0.40, **self.kw)
        assert out["hedge"] == "ES"
        assert out["position_delta"] == pytest.approx(2000.0)
        assert out["position_gamma"] == pytest.approx(100.0)  # 0.02 x 100 x 50
        assert out["trade"] == -40.0

    def test_spx_down_one_buys_back_2(self):
        out = hedge_trade(50, 0.40, spot_move=-1, current_hedge=-40, **self.kw)
        assert out["option_delta"] == pytest.approx(0.38)
        assert out["position_delta"] == pytest.approx(1900.0)
        assert out["trade"] == 2.0
        assert out["hedge_after"] == -38.0

    def test_spx_up_one_sells_2_more(self):
        out = hedge_trade(50, 0.40, spot_move=+1, current_hedge=-40, **self.kw)
        assert out["option_delta"] == pytest.approx(0.42)
        assert out["position_delta"] == pytest.approx(2100.0)
        assert out["trade"] == -2.0
        assert out["hedge_after"] == -42.0


def test_unusual_whales_negative_gamma_as_a_ladder():
    # Unusual Whales: the two scenarios (SPX -1, then back and +1) on one ES ladder
    ladder = hedge_ladder(-200, path=[5875, 5874, 5875, 5876], delta=-0.25, gamma=0.01,
                          hedge="ES")
    assert ladder["trade"].tolist() == [-100.0, -4.0, 4.0, 4.0]
    assert ladder["hedge_held"].tolist() == [-100.0, -104.0, -100.0, -96.0]


def test_public_api_reexports():
    assert xlgex.hedge_trade is hedge_trade
    assert xlgex.hedge_ladder is hedge_ladder


# --------------------------------------------------------------------------- band, rounding


class TestBand:
    # Inside the Machine, Part 4: rehedge only when net delta drifts beyond the band.
    # Dealer short 100 calls, gamma 0.01: each 1.00 in spot adds -100 deltas.

    def test_small_drift_is_suppressed(self):
        out = hedge_trade(-100, 0.5, gamma=0.01, spot_move=3, current_hedge=5000, band=550)
        assert out["net_delta_before"] == pytest.approx(-300.0)
        assert out["triggered"] is False
        assert out["trade"] == 0.0
        assert out["hedge_after"] == 5000.0
        assert out["target"] == 5300.0  # reported, not traded
        assert out["residual_delta"] == pytest.approx(-300.0)

    def test_large_drift_triggers(self):
        out = hedge_trade(-100, 0.5, gamma=0.01, spot_move=6, current_hedge=5000, band=550)
        assert out["net_delta_before"] == pytest.approx(-600.0)
        assert out["triggered"] is True
        assert out["trade"] == 600.0
        assert out["residual_delta"] == pytest.approx(0.0)

    def test_ladder_band_waits_then_rehedges_fully(self):
        ladder = hedge_ladder(-100, path=[100, 101, 102, 103, 104, 105, 106, 105],
                              delta=0.5, gamma=0.01, band=550)
        assert ladder["band_triggered"].tolist() == [True] + [False] * 5 + [True, False]
        assert ladder["trade"].tolist() == [5000.0, 0, 0, 0, 0, 0, 600.0, 0]
        assert ladder["hedge_held"].iloc[-1] == 5600.0
        assert ladder["net_delta_before"].iloc[5] == pytest.approx(-500.0)

    def test_band_in_es_is_in_underlying_units(self):
        # band 150 index units = 3 ES: a 200-delta drift (4 ES) triggers, 100 does not
        base = {"hedge": "ES", "gamma": 0.01, "current_hedge": -100, "band": 150}
        assert hedge_trade(-200, -0.25, spot_move=-1, **base)["trade"] == -4.0
        assert hedge_trade(-200, -0.25, spot_move=-0.5, **base)["trade"] == 0.0


class TestRounding:
    def test_es_residual(self):
        # 5030 deltas / 50 = 100.6 ES -> sell 101, leaving -20 deltas
        out = hedge_trade(-200, -0.2515, hedge="ES")
        assert out["position_delta"] == pytest.approx(5030.0)
        assert out["target"] == -101.0
        assert out["residual_delta"] == pytest.approx(-20.0)

    def test_half_rounds_away_from_zero(self):
        # 5025 deltas = 100.5 ES -> sell 101; the mirror position buys 101
        assert hedge_trade(-200, -0.25125, hedge="ES")["target"] == -101.0
        assert hedge_trade(200, -0.25125, hedge="ES")["target"] == 101.0

    def test_shares_residual(self):
        out = hedge_trade(-1, 0.333)
        assert out["trade"] == 33.0
        assert out["residual_delta"] == pytest.approx(-0.3)

    def test_fractional_when_asked(self):
        out = hedge_trade(-200, -0.2515, hedge="ES", whole_units=False)
        assert out["target"] == pytest.approx(-100.6)
        assert out["residual_delta"] == pytest.approx(0.0, abs=1e-9)

    def test_numeric_hedge_and_multiplier(self):
        out = hedge_trade(-3, 0.5, multiplier=10, hedge=5)
        assert out["position_delta"] == pytest.approx(-15.0)
        assert out["target"] == 3.0  # 15 units / 5 per hedge unit
        assert hedge_trade(-1, 0.5, hedge="MES")["target"] == 10.0


# --------------------------------------------------------------------------- repricing

# On SPX the underlying is the index: ES with a spot needs the index level, the same number.
TERMS = {"spot": 5875.0, "strike": 5700.0, "t_years": 3 / 365, "vol": 0.18, "is_call": "P",
         "index_level": 5875.0}


class TestRepricing:
    def test_delta_from_terms(self):
        expected = greeks(5875.0, 5700.0, 3 / 365, 0.18, 0.0, 0.0, False)
        out = hedge_trade(-200, None, hedge="ES", **TERMS)
        assert out["delta_source"] == "repriced"
        assert out["option_delta"] == pytest.approx(float(expected["delta"]))
        assert out["position_gamma"] == pytest.approx(-200 * 100 * float(expected["gamma"]))

    def test_given_delta_is_used_before_a_move(self):
        assert hedge_trade(-200, -0.25, hedge="ES", **TERMS)["option_delta"] == -0.25

    def test_full_repricing_after_a_move(self):
        out = hedge_trade(-200, None, spot_move=-10, hedge="ES", rate=0.04, div_yield=0.01,
                          **TERMS)
        expected = greeks(5865.0, 5700.0, 3 / 365, 0.18, 0.04, 0.01, False)["delta"]
        assert out["delta_source"] == "repriced"
        assert out["option_delta"] == pytest.approx(float(expected))

    @pytest.mark.parametrize("is_call", [True, False])
    def test_agrees_with_linear_to_first_order(self, is_call):
        terms = {"spot": 100.0, "strike": 102.0, "t_years": 0.1, "vol": 0.25,
                 "is_call": is_call}
        g = greeks(100.0, 102.0, 0.1, 0.25, 0.0, 0.0, is_call)
        delta, gamma = float(g["delta"]), float(g["gamma"])
        errors = []
        for move in (0.4, 0.2, 0.1, 0.05):
            full = hedge_trade(-1, None, spot_move=move, **terms)["option_delta"]
            linear = hedge_trade(-1, delta, gamma=gamma, spot_move=move)["option_delta"]
            errors.append(abs(full - linear))
            assert abs(full - linear) < 0.1 * gamma * move  # far below the first-order term
        # the gap is second order: halving the move cuts it about four times
        for bigger, smaller in zip(errors, errors[1:], strict=False):
            assert 3.0 < bigger / smaller < 5.0

    def test_gamma_beats_terms(self):
        # precedence: new_delta, then delta + gamma x move, then full repricing
        out = hedge_trade(-200, -0.25, gamma=0.01, spot_move=-1, hedge="ES", **TERMS)
        assert out["delta_source"] == "linear"
        assert out["option_delta"] == pytest.approx(-0.26)
        out = hedge_trade(-200, -0.25, new_delta=-0.3, spot_move=-1, gamma=0.01, **TERMS)
        assert out["option_delta"] == -0.3


# --------------------------------------------------------------------------- bad input


def _message(**kwargs):
    args = {"contracts": -100, "delta": 0.35} | kwargs
    with pytest.raises(HedgeError) as info:
        hedge_trade(args.pop("contracts"), args.pop("delta"), **args)
    text = str(info.value)
    assert len(text) < 100, text
    return text


class TestBadInput:
    def test_is_a_value_error(self):
        with pytest.raises(ValueError):
            hedge_trade(0, 0.35)

    def test_zero_contracts(self):
        assert "contracts" in _message(contracts=0)

    @pytest.mark.parametrize("hedge", ["NQ", "spy", "", None])
    def test_unknown_hedge(self, hedge):
        assert "hedge" in _message(hedge=hedge)

    @pytest.mark.parametrize("delta", [1.2, -1.01, 35])
    def test_delta_out_of_range(self, delta):
        assert "between -1 and 1" in _message(delta=delta)

    @pytest.mark.parametrize("new_delta", [1.5, -2.0])
    def test_new_delta_out_of_range(self, new_delta):
        assert "new_delta" in _message(new_delta=new_delta)

    def test_linear_delta_out_of_range(self):
        assert "between -1 and 1" in _message(delta=0.9, gamma=0.05, spot_move=5)

    def test_negative_band(self):
        assert "band" in _message(band=-1)

    @pytest.mark.parametrize("multiplier", [0, -100])
    def test_non_positive_multiplier(self, multiplier):
        assert "multiplier" in _message(multiplier=multiplier)

    @pytest.mark.parametrize(
        "kwargs",
        [{"contracts": math.nan}, {"delta": math.inf}, {"multiplier": math.nan},
         {"current_hedge": math.inf}, {"gamma": math.nan}, {"spot_move": -math.inf},
         {"new_delta": math.nan}, {"band": math.inf}, {"rate": math.nan},
         {"contracts": "lots"}, {"delta": "0.35"}, {"hedge": math.nan}],
    )
    def test_non_finite(self, kwargs):
        assert "finite" in _message(**kwargs)

    def test_negative_gamma(self):
        assert "gamma" in _message(gamma=-0.01)

    def test_move_without_a_way_to_reprice(self):
        assert "spot_move" in _message(spot_move=1)

    def test_no_delta(self):
        assert "delta" in _message(delta=None)

    def test_partial_terms(self):
        text = _message(spot=100, strike=100)
        assert "t_years" in text and "vol" in text and "is_call" in text

    def test_bad_call_put(self):
        assert "is_call" in _message(delta=None, **(TERMS | {"is_call": "X"}))

    def test_move_below_zero_spot(self):
        assert "spot" in _message(delta=None, spot_move=-6000, **TERMS)


class TestLadderBadInput:
    @pytest.mark.parametrize(
        "kwargs",
        [{}, {"path": [1, 2], "moves": [1]}, {"moves": [1, -1]}, {"path": []},
         {"path": [100, 101], "spot0": 99}, {"path": [[100, 101], [102, 103]]}],
    )
    def test_path_or_moves(self, kwargs):
        with pytest.raises(HedgeError, match="path"):
            hedge_ladder(-1, delta=0.5, gamma=0.01, **kwargs)

    @pytest.mark.parametrize(
        ("path", "where"),
        [([100, "x" * 200, 101], r"path\[1\]"), ([100, None], r"path\[1\]"),
         ([[100], [101, 102]], "one row or column")],
    )
    def test_path_entries_named_and_short(self, path, where):
        with pytest.raises(HedgeError, match=where) as info:
            hedge_ladder(-1, path=path, delta=0.5, gamma=0.01)
        assert len(str(info.value)) < 100

    def test_long_text_keeps_messages_short(self):
        for kwargs in ({"contracts": "y" * 300}, {"hedge": "z" * 300}, {"band": [1.0] * 50}):
            _message(**kwargs)

    def test_non_finite_path(self):
        with pytest.raises(HedgeError, match=r"path\[1\]"):
            hedge_ladder(-1, path=[100, math.nan], delta=0.5, gamma=0.01)

    def test_spot_goes_non_positive(self):
        with pytest.raises(HedgeError, match="step 2"):
            hedge_ladder(-1, spot0=2, moves=[-1, -1], delta=0.5, gamma=0.01)

    def test_delta_and_terms(self):
        with pytest.raises(HedgeError, match="not both"):
            hedge_ladder(-1, path=[100], delta=0.5, strike=100, t_years=0.1, vol=0.2,
                         is_call=True)

    def test_linear_needs_gamma(self):
        with pytest.raises(HedgeError, match="gamma"):
            hedge_ladder(-1, path=[100], delta=0.5)

    @pytest.mark.parametrize(
        "kwargs", [{"contracts": 0}, {"band": -5}, {"hedge": "NQ"}, {"multiplier": 0},
                   {"hours_per_step": -1}, {"delta": 1.5}, {"gamma": -0.1}],
    )
    def test_shared_checks(self, kwargs):
        args = {"contracts": -1, "path": [100, 101], "delta": 0.5, "gamma": 0.01} | kwargs
        with pytest.raises(HedgeError):
            hedge_ladder(args.pop("contracts"), **args)


# --------------------------------------------------------------------------- ladder


class TestLadder:
    def test_shape_and_columns(self):
        ladder = hedge_ladder(-10, spot0=100, moves=[1, -2, 0.5], delta=0.5, gamma=0.02)
        assert isinstance(ladder, pd.DataFrame)
        assert tuple(ladder.columns) == LADDER_COLUMNS
        assert ladder["step"].tolist() == [0, 1, 2, 3]
        assert ladder["spot"].tolist() == [100.0, 101.0, 99.0, 99.5]
        assert ladder["band_triggered"].dtype == bool
        assert ladder.loc[0, "hedge_pnl_cum"] == 0.0 and ladder.loc[0, "gamma_pnl_cum"] == 0.0

    def test_path_as_an_excel_column(self):
        column = hedge_ladder(-10, path=[[100], [101], [99]], delta=0.5, gamma=0.02)
        row = hedge_ladder(-10, path=[100, 101, 99], delta=0.5, gamma=0.02)
        pd.testing.assert_frame_equal(column, row)

    def test_gamma_and_hedge_pnl_by_hand(self):
        # 2 steps, dealer short 10 contracts, delta 0.5, gamma 0.02, multiplier 100
        ladder = hedge_ladder(-10, path=[100, 102, 99], delta=0.5, gamma=0.02)
        # deltas: 0.5, 0.5 + 0.02 x 2 = 0.54, 0.5 + 0.02 x (-1) = 0.48
        np.testing.assert_allclose(ladder["option_delta"], [0.5, 0.54, 0.48])
        # hedges: buy 500, then 540 held, then 480 held
        assert ladder["hedge_held"].tolist() == [500.0, 540.0, 480.0]
        assert ladder["trade"].tolist() == [500.0, 40.0, -60.0]
        # gamma P&L: 1/2 x 0.02 x 2^2 x (-10) x 100 = -40; then 1/2 x 0.02 x (-3)^2 x -1000
        # = -90; cumulative -40, -130
        np.testing.assert_allclose(ladder["gamma_pnl_cum"], [0.0, -40.0, -130.0])
        # hedge P&L: 500 x 2 = 1000; then 540 x (-3) = -1620; cumulative 1000, -620
        np.testing.assert_allclose(ladder["hedge_pnl_cum"], [0.0, 1000.0, -620.0])

    def test_gamma_pnl_by_hand_full_repricing(self):
        path = [100.0, 103.0, 98.0]
        ladder = hedge_ladder(5, path=path, strike=100, t_years=0.05, vol=0.3, is_call=False,
                              hedge="MES", multiplier=50)
        gamma0 = float(greeks(100.0, 100.0, 0.05, 0.3)["gamma"])
        gamma1 = float(greeks(103.0, 100.0, 0.05, 0.3)["gamma"])
        step1 = 0.5 * gamma0 * 3.0**2 * 5 * 50
        step2 = 0.5 * gamma1 * 5.0**2 * 5 * 50
        np.testing.assert_allclose(ladder["gamma_pnl_cum"], [0.0, step1, step1 + step2])
        assert (ladder["gamma_pnl_cum"].diff().iloc[1:] > 0).all()  # long gamma earns

    def test_each_step_is_a_hedge_trade(self):
        # the ladder replays hedge_trade's decision with the hedge carried from the step before
        kw = {"hedge": "ES", "band": 120.0}
        ladder = hedge_ladder(-200, path=[5875, 5873, 5872.5, 5878, 5880], delta=-0.25,
                              gamma=0.01, **kw)
        held = 0.0
        for row in ladder.itertuples():
            out = hedge_trade(-200, row.option_delta, current_hedge=held, **kw)
            assert out["trade"] == row.trade
            assert out["triggered"] == row.band_triggered
            assert out["residual_delta"] == pytest.approx(row.residual_delta)
            held = out["hedge_after"]

    def test_linear_delta_is_clipped_and_gamma_switches_off(self):
        ladder = hedge_ladder(-1, path=[100, 110, 130], delta=0.8, gamma=0.05)
        np.testing.assert_allclose(ladder["option_delta"], [0.8, 1.0, 1.0])
        np.testing.assert_allclose(ladder["option_gamma"], [0.05, 0.0, 0.0])

    def test_time_rolls_with_hours_per_step(self):
        kw = {"path": [100.0, 100.0, 100.0], "strike": 100.0, "t_years": 2 / 365,
              "vol": 0.2, "is_call": True}
        ladder = hedge_ladder(-1, hours_per_step=24, **kw)
        expected = greeks(100.0, 100.0, np.array([2, 1, 0]) / 365, 0.2)["gamma"]
        np.testing.assert_allclose(ladder["option_gamma"], expected)
        assert ladder["option_gamma"].iloc[-1] == 0.0  # settled: expiry limit, no fake time
        still = hedge_ladder(-1, **kw)
        assert still["option_gamma"].nunique() == 1

    def test_rolling_to_settlement_leaves_no_float_residue(self):
        # 5 one-minute steps from 5 minutes out: 5/525600 - 5 x (1/60)/8760 is 1.7e-21 in
        # floats, which would give an at-the-money gamma near 5e8 instead of 0 at expiry
        ladder = hedge_ladder(-1, path=[100.0] * 6, strike=100.0, t_years=5 / 525600,
                              vol=0.2, is_call=True, hours_per_step=1 / 60)
        assert ladder["option_gamma"].iloc[-1] == 0.0
        assert ladder["option_gamma"].iloc[:-1].max() < 20.0

    def test_hedged_pnl_is_the_gamma_pnl_for_small_steps(self):
        # "Gamma — the second derivative": with no time passing, the delta-hedged book's
        # P&L is the gamma term, 1/2 Gamma dS^2 per step, up to third order
        rng = np.random.default_rng(7)
        path = 100.0 + np.concatenate(([0.0], np.cumsum(rng.normal(0.0, 0.05, 200))))
        kw = {"strike": 100.0, "t_years": 0.1, "vol": 0.25, "is_call": True}
        ladder = hedge_ladder(-3, path=path, whole_units=False, **kw)
        price = greeks(path, 100.0, 0.1, 0.25)["price"]
        option_pnl = -3 * 100 * (price - price[0])
        hedged = option_pnl + ladder["hedge_pnl_cum"].to_numpy()
        gamma_pnl = ladder["gamma_pnl_cum"].to_numpy()
        assert gamma_pnl[-1] < 0.0
        np.testing.assert_allclose(hedged, gamma_pnl, atol=0.02 * abs(gamma_pnl[-1]))


# --------------------------------------------------------------------------- signature

_PATHS = st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=1, max_size=25).map(
    lambda moves: 100.0 + np.concatenate(([0.0], np.cumsum(moves)))
)


def _assert_signature(ladder, contracts):
    """Short gamma trades with the move (trade x dS >= 0), long gamma against it."""
    flow = ladder["trade"].to_numpy()[1:] * np.diff(ladder["spot"].to_numpy())
    if contracts < 0:
        assert (flow >= 0.0).all()
    else:
        assert (flow <= 0.0).all()


@settings(deadline=None, max_examples=60)
@given(
    path=_PATHS,
    contracts=st.sampled_from([-250, -3, 1, 40]),
    delta=st.floats(-0.95, 0.95),
    gamma=st.floats(0.0, 0.05),
    whole_units=st.booleans(),
    hedge=st.sampled_from(["shares", "ES", "MES"]),
)
def test_ladder_signature_linear(path, contracts, delta, gamma, whole_units, hedge):
    ladder = hedge_ladder(contracts, path=path, delta=delta, gamma=gamma,
                          whole_units=whole_units, hedge=hedge)
    _assert_signature(ladder, contracts)
    # and the gamma P&L has the book's sign: short gamma never earns from a move
    steps = np.diff(ladder["gamma_pnl_cum"].to_numpy())
    assert (np.sign(contracts) * steps >= 0.0).all()


@settings(deadline=None, max_examples=60)
@given(
    path=_PATHS,
    contracts=st.sampled_from([-100, -1, 2, 50]),
    strike=st.floats(90.0, 110.0),
    vol=st.floats(0.05, 0.8),
    is_call=st.booleans(),
    band=st.sampled_from([0.0, 25.0, 300.0]),
)
def test_ladder_signature_full_repricing(path, contracts, strike, vol, is_call, band):
    # with the clock stopped, delta rises with spot for calls and puts alike
    ladder = hedge_ladder(contracts, path=path, strike=strike, t_years=0.05, vol=vol,
                          is_call=is_call, band=band, whole_units=False)
    _assert_signature(ladder, contracts)


def test_ladder_signature_worked():
    # Inside the Machine, Part 2: short gamma buys rallies and sells dips; long does the reverse
    path = [100, 101, 102, 101, 100, 99]
    short = hedge_ladder(-10, path=path, delta=0.5, gamma=0.02)["trade"].tolist()[1:]
    long = hedge_ladder(10, path=path, delta=0.5, gamma=0.02)["trade"].tolist()[1:]
    assert short == [20.0, 20.0, -20.0, -20.0, -20.0]
    assert long == [-20.0, -20.0, 20.0, 20.0, 20.0]


# --------------------------------------------------------------------------- notional hedges


class TestIndexFuturesByNotional:
    """ES = $50 x S&P 500, MES = $5 x S&P 500; on SPY one ES is about 500 shares."""

    def test_spy_dealer_hedges_seven_es(self):
        # 3,500 shares x $445 = $1,557,500 of SPY; one ES is 50 x 4,450 = $222,500: 7 ES.
        expected = Fraction(3500 * 445, 50 * 4450)
        assert expected == 7
        out = hedge_trade(-100, 0.35, hedge="ES", spot=445, index_level=4450)
        assert out["trade"] == float(expected) and out["units_per_hedge"] == pytest.approx(500.0)
        assert "notional" in out["hedge_rule"]
        assert hedge_trade(-100, 0.35, hedge="MES", spot=445, index_level=4450)["trade"] == 70.0

    def test_spx_keeps_the_index_rule(self):
        # SPX: spot is the index level, so both ways agree: 5,000 index units = 100 ES.
        plain = hedge_trade(-200, -0.25, hedge="ES")
        same = hedge_trade(-200, -0.25, hedge="ES", spot=5700, index_level=5700)
        assert plain["trade"] == same["trade"] == -100.0

    @pytest.mark.parametrize("given", [{"spot": 445.0}, {"index_level": 4450.0}])
    def test_half_the_notional_is_refused_naming_both(self, given):
        with pytest.raises(HedgeError, match=r"give spot .* and index_level"):
            hedge_trade(-100, 0.35, hedge="ES", **given)
        with pytest.raises(HedgeError, match=r"give spot .* and index_level"):
            hedge_ladder(-100, path=[445, 446], delta=0.35, gamma=0.05, hedge="MES", **given)

    def test_ladder_in_es_on_spy(self):
        path = [445.0, 447.0, 449.0, 452.0, 446.0]
        ladder = hedge_ladder(-1000, path=path, delta=0.35, gamma=0.05, hedge="ES", spot=445,
                              index_level=4450)  # fmt: skip
        # independent: the dealer's share delta, in ES of 500 shares, rounded half away
        held = 0
        for row, spot in zip(ladder.itertuples(), path, strict=True):
            shares = -1000 * min(1.0, 0.35 + 0.05 * (spot - 445)) * 100
            target = -Fraction(shares).limit_denominator(10**6) / 500
            whole = int(abs(target) + Fraction(1, 2)) * (1 if target >= 0 else -1)
            assert row.trade == whole - held
            held = whole
        # the hedge P&L is in dollars: ES x $50 x index move (the index moves 10x SPY)
        d_index = np.diff(path) * 10
        expected = np.cumsum(ladder["hedge_held"].to_numpy()[:-1] * 50 * d_index)
        np.testing.assert_allclose(ladder["hedge_pnl_cum"].to_numpy()[1:], expected, rtol=1e-12)


# --------------------------------------------------------------------------- band residue


def test_ladder_band_ignores_float_residue():
    # The SPY band ladder: short 100 calls, delta 0.35 + 0.05 x (spot - 445), band 1,000.
    # At 443 the delta is 0.25 exactly, the net delta exactly 1,000: inside the band. The
    # same steps in exact rational arithmetic are the independent reference.
    path = [445.0, 445.5, 446.0, 446.5, 447.0, 447.5, 448.0, 447.0, 446.0, 445.5, 445.0,
            444.0, 443.0, 442.0]
    ladder = hedge_ladder(-100, path=path, delta=0.35, gamma=0.05, band=1000.0)
    held, trades = Fraction(0), []
    for spot in path:
        delta = Fraction(35, 100) + Fraction(5, 100) * (Fraction(spot) - 445)
        position = -100 * delta * 100
        net = position + held
        trade = Fraction(0)
        if abs(net) > 1000:
            target = -position
            trade = Fraction(int(abs(target) + Fraction(1, 2)) * (1 if target >= 0 else -1)) - held
        held += trade
        trades.append(trade)
    assert ladder["trade"].tolist() == [float(t) for t in trades]
    at_443 = ladder.set_index("spot").loc[443.0]
    assert at_443["option_delta"] != 0.25 and not at_443["band_triggered"]
    assert ladder["hedge_held"].iloc[-1] == float(held) == 2000.0


# --------------------------------------------------------------------------- theta, option P&L


def _bs_call_put(spot, strike, t_years, vol, is_call):
    """Black-Scholes price and theta with r = q = 0 (Hull), written independently."""
    d1 = (math.log(spot / strike) + 0.5 * vol**2 * t_years) / (vol * math.sqrt(t_years))
    d2 = d1 - vol * math.sqrt(t_years)
    call = spot * norm.cdf(d1) - strike * norm.cdf(d2)
    price = call if is_call else call - spot + strike
    theta = -spot * norm.pdf(d1) * vol / (2 * math.sqrt(t_years))  # per year, calls and puts
    return price, theta


class TestThetaAndOptionPnl:
    def test_full_repricing_by_hand(self):
        path, strike, t0, vol, hours = [100.0, 102.0, 99.0], 100.0, 30 / 365, 0.25, 24.0
        ladder = hedge_ladder(-10, path=path, strike=strike, t_years=t0, vol=vol, is_call=True,
                              hours_per_step=hours)  # fmt: skip
        t = [t0 - i * hours / (365 * 24) for i in range(3)]
        ref = [_bs_call_put(s, strike, ti, vol, True) for s, ti in zip(path, t, strict=True)]
        np.testing.assert_allclose(ladder["option_theta"], [r[1] for r in ref], rtol=1e-9)
        option_pnl = [(r[0] - ref[0][0]) * -10 * 100 for r in ref]
        np.testing.assert_allclose(ladder["option_pnl_cum"], option_pnl, rtol=1e-9, atol=1e-9)
        dt = hours / (365 * 24)
        theta_pnl = np.cumsum([0.0] + [ref[i][1] * dt * -10 * 100 for i in range(2)])
        np.testing.assert_allclose(ladder["theta_pnl_cum"], theta_pnl, rtol=1e-9)
        breakeven = [0.0] + [vol * s * math.sqrt(dt) for s in path[:-1]]
        np.testing.assert_allclose(ladder["breakeven_move"], breakeven, rtol=1e-12)

    @pytest.mark.parametrize("contracts", [-5, 5])
    def test_breakeven_move_cancels_gamma_and_theta(self, contracts):
        # "Gamma — the second derivative": a hedged option breaks even when the squared
        # return equals implied variance over the step, (dS/S)^2 = sigma^2 dt, i.e. a move
        # of sigma S sqrt(dt); with r = q = 0, theta = -1/2 sigma^2 S^2 gamma exactly.
        spot, vol, hours = 5000.0, 0.16, 6.5
        move = vol * spot * math.sqrt(hours / (365 * 24))
        ladder = hedge_ladder(contracts, path=[spot, spot + move], strike=5000.0,
                              t_years=10 / 365, vol=vol, is_call=False, hours_per_step=hours)
        gamma_pnl, theta_pnl = ladder["gamma_pnl_cum"].iloc[1], ladder["theta_pnl_cum"].iloc[1]
        assert ladder["breakeven_move"].iloc[1] == pytest.approx(move, rel=1e-12)
        assert gamma_pnl + theta_pnl == pytest.approx(0.0, abs=1e-9 * abs(gamma_pnl))
        assert np.sign(gamma_pnl) == np.sign(contracts)  # long gamma earns from the move
        bigger = hedge_ladder(contracts, path=[spot, spot + 2 * move], strike=5000.0,
                              t_years=10 / 365, vol=vol, is_call=False, hours_per_step=hours)
        net = bigger["gamma_pnl_cum"].iloc[1] + bigger["theta_pnl_cum"].iloc[1]
        assert np.sign(net) == np.sign(contracts)  # realized beats implied: long gamma wins

    def test_hedged_book_earns_gamma_plus_theta_over_small_steps(self):
        rng = np.random.default_rng(4)
        path = 100.0 * np.exp(np.cumsum(np.r_[0.0, rng.normal(0, 0.002, 200)]))
        ladder = hedge_ladder(-50, path=path, strike=100.0, t_years=0.25, vol=0.2, is_call=True,
                              hours_per_step=1.0, whole_units=False)  # fmt: skip
        book = ladder["option_pnl_cum"] + ladder["hedge_pnl_cum"]
        seed = ladder["gamma_pnl_cum"] + ladder["theta_pnl_cum"]
        assert abs(book.iloc[-1] - seed.iloc[-1]) < 0.05 * abs(ladder["theta_pnl_cum"].iloc[-1])

    def test_linear_mode_option_value_is_the_integral_of_delta(self):
        path = [100.0, 110.0, 130.0, 95.0, 60.0]
        delta0, gamma = 0.4, 0.02
        ladder = hedge_ladder(3, path=path, delta=delta0, gamma=gamma)

        def clipped(s):
            return min(1.0, max(-1.0, delta0 + gamma * (s - 100.0)))

        expected = [3 * 100 * quad(clipped, 100.0, s, points=[70.0, 130.0])[0] for s in path]
        np.testing.assert_allclose(ladder["option_pnl_cum"], expected, rtol=1e-9, atol=1e-9)
        assert (ladder["theta_pnl_cum"] == 0).all() and (ladder["breakeven_move"] == 0).all()


def test_worksheet_functions_size_es_by_notional():
    # Through xlwings' own UDF call path, as Excel calls HEDGE_TRADE and HEDGE_LADDER.
    from .xlharness import MISSING, UDFHarness

    with UDFHarness("xlgex.udfs") as xl:
        args = (-100.0, 0.35, 100.0, "ES") + (MISSING,) * 6
        assert xl.call("HEDGE_TRADE", *args, 445.0, 4450.0) == 7.0
        refused = xl.call("HEDGE_TRADE", *args, MISSING, 4450.0)
        assert refused.startswith("xlgex: ES is sized by notional") and "index_level" in refused
        path = ((445.0,), (447.0,))
        ladder = xl.call("HEDGE_LADDER", -100.0, path, 0.35, 0.05, *(MISSING,) * 5, "ES",
                         *(MISSING,) * 3, 445.0, 4450.0)  # fmt: skip
        assert [row[4] for row in ladder[1:]] == [7.0, 2.0]  # 3,500 then 4,500 shares: 7, 9 ES


@pytest.mark.parametrize("kw", [
    {"contracts": 1e308, "delta": 0.5},
    {"contracts": -1e306, "delta": 0.5, "multiplier": 1e10},
    {"contracts": 1.0, "delta": 0.5, "current_hedge": 1e308, "hedge": 1e10},
])
def test_hedge_overflow_is_a_message(kw):
    with pytest.raises(HedgeError, match=r"^xlgex: overflow: hedge trade is too large"):
        hedge_trade(**kw)


def test_ladder_overflow_is_a_message():
    with pytest.raises(HedgeError, match=r"^xlgex: overflow: hedge ladder"):
        hedge_ladder(1e308, path=[1e200, 2e200], delta=0.5, gamma=0.1)
