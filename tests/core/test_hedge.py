"""Kernels of xlgex.core.hedge: hedge units, neutral target, rounding, the band test."""

import ast
import pathlib

import numpy as np
import pytest

import xlgex.core.hedge as core
from xlgex.conventions import ES_POINT_VALUE, HEDGE_INSTRUMENTS
from xlgex.errors import HedgeError


class TestUnitsPerHedge:
    @pytest.mark.parametrize(
        ("name", "units"),
        [("shares", 1.0), ("SHARES", 1.0), ("ES", 50.0), ("es", 50.0), (" Es ", 50.0),
         ("MES", 5.0), ("mes", 5.0)],
    )
    def test_names_case_insensitive(self, name, units):
        assert core.units_per_hedge(name) == units

    def test_names_come_from_conventions(self):
        for name, units in HEDGE_INSTRUMENTS.items():
            assert core.units_per_hedge(name) == units
        assert core.units_per_hedge("ES") == ES_POINT_VALUE

    def test_spx_contract_delta_unit_is_two_es(self):
        # conventions: one SPX contract delta unit (100 index units) = 2 ES
        assert 100.0 / core.units_per_hedge("ES") == 2.0

    @pytest.mark.parametrize("number", [1, 25.0, np.float64(10.0), 0.5])
    def test_positive_number(self, number):
        assert core.units_per_hedge(number) == float(number)

    @pytest.mark.parametrize("bad", ["NQ", "", "futures", None, True, [50]])
    def test_unknown_instrument(self, bad):
        with pytest.raises(HedgeError, match="hedge"):
            core.units_per_hedge(bad)

    @pytest.mark.parametrize("bad", [0, -50.0, float("nan"), float("inf")])
    def test_bad_number(self, bad):
        with pytest.raises(HedgeError, match="hedge"):
            core.units_per_hedge(bad)

    def test_message_is_short(self):
        with pytest.raises(HedgeError) as info:
            core.units_per_hedge("NQ")
        assert len(str(info.value)) < 100


class TestRounding:
    @pytest.mark.parametrize(
        ("x", "expected"),
        [(2.5, 3.0), (-2.5, -3.0), (0.5, 1.0), (-0.5, -1.0), (2.4, 2.0), (-2.6, -3.0),
         (0.0, 0.0), (100.49999999999999, 101.0), (-104.00000000000001, -104.0)],
    )
    def test_half_away_from_zero(self, x, expected):
        assert core.round_half_away(x) == expected

    def test_never_negative_zero(self):
        out = core.round_half_away(np.array([-0.2, -0.0, 0.2]))
        assert not np.signbit(out).any()

    def test_vectorized(self):
        np.testing.assert_array_equal(
            core.round_half_away([1.5, -1.5, 2.49, -7.0]), [2.0, -2.0, 2.0, -7.0]
        )


class TestTargetAndTrade:
    def test_position_delta(self):
        # Inside the Machine: 100 contracts x 100 multiplier x 0.35 delta, dealer short
        assert core.position_delta(-100, 0.35, 100) == pytest.approx(-3500.0)

    def test_neutral_target_shares_and_es(self):
        assert core.neutral_target(-3500.0, 1.0) == 3500.0
        assert core.neutral_target(5000.0, 50.0) == -100.0
        assert core.neutral_target(5030.0, 50.0, whole_units=False) == pytest.approx(-100.6)
        assert core.neutral_target(5030.0, 50.0) == -101.0

    def test_rebalance_rounding_residual(self):
        out = core.rebalance(5030.0, 0.0, 50.0)
        assert out["target"] == -101.0
        assert out["trade"] == -101.0
        assert out["residual_delta"] == pytest.approx(5030.0 - 5050.0)

    def test_rebalance_band(self):
        held = core.rebalance(-400.0, 0.0, 1.0, band=500.0)
        assert not held["triggered"]
        assert held["trade"] == 0.0
        assert held["hedge_after"] == 0.0
        assert held["target"] == 400.0
        assert held["residual_delta"] == -400.0
        moved = core.rebalance(-600.0, 0.0, 1.0, band=500.0)
        assert moved["triggered"]
        assert moved["trade"] == 600.0
        assert moved["residual_delta"] == 0.0

    def test_band_is_strict(self):
        assert not core.band_triggered(500.0, 500.0)
        assert core.band_triggered(-500.5, 500.0)
        assert not core.band_triggered(0.0, 0.0)

    def test_triggered_but_rounding_keeps_hedge(self):
        # 20 deltas of drift is under half an ES contract (25): the target does not move
        out = core.rebalance(5020.0, -100.0, 50.0)
        assert out["triggered"]
        assert out["trade"] == 0.0
        assert out["residual_delta"] == pytest.approx(20.0)

    def test_rebalance_broadcasts(self):
        out = core.rebalance(np.array([5000.0, 5200.0, 4800.0]), -100.0, 50.0)
        np.testing.assert_array_equal(out["trade"], [0.0, -4.0, 4.0])
        np.testing.assert_array_equal(out["triggered"], [False, True, True])

    def test_linear_delta(self):
        assert core.linear_delta(-0.25, 0.01, -1.0) == pytest.approx(-0.26)
        np.testing.assert_allclose(core.linear_delta(0.4, 0.02, [-1.0, 1.0]), [0.38, 0.42])


def test_core_imports_only_numpy_scipy_stdlib_and_xlgex_core():
    source = pathlib.Path(core.__file__).read_text(encoding="utf-8")
    allowed = {"numpy", "scipy", "numbers", "math", "__future__"}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in allowed, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: only the core itself, conventions and errors
                assert node.module in {None, "greeks", "conventions", "errors"}, node.module
            else:
                assert node.module.split(".")[0] in allowed, node.module


class TestNotionalAndBand:
    def test_index_future_by_notional(self):
        # One ES = $50 x 4,450 = $222,500 = 500 SPY shares at $445; MES a tenth of that.
        assert core.units_per_hedge("ES", 445.0, 4450.0) == pytest.approx(222_500 / 445)
        assert core.units_per_hedge("mes", 445.0, 4450.0) == pytest.approx(22_250 / 445)
        # On SPX the spot is the index level: the old rule, 50 index units per ES.
        assert core.units_per_hedge("ES", 5700.0, 5700.0) == pytest.approx(50.0, rel=1e-15)

    def test_band_ignores_float_residue(self):
        # 0.35 + 0.05 x (443 - 445) is 0.24999999999999997 in floats; x -100 x 100 plus the
        # 3,500 shares held is a net delta of 1000.0000000000005 against a band of 1,000.
        net = -100 * (0.35 + 0.05 * (443.0 - 445.0)) * 100 + 3500.0
        assert net == 1000.0000000000005
        assert not core.band_triggered(net, 1000.0)
        assert not core.band_triggered(-net, 1000.0)
        assert core.band_triggered(1000.001, 1000.0)  # a real breach still trades
        assert core.band_triggered(1e-12, 0.0)  # no band: any drift trades
