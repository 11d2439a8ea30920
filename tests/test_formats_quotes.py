"""IVs for blank IV cells, by the reader: the out-of-the-money side of each strike, solved
from bid/ask on the chain's clock and the parity forward; the sanity rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from xlgex.chain import epoch_minutes
from xlgex.conventions import MINUTES_PER_YEAR, NEW_YORK
from xlgex.core.implied import black_implied_vol
from xlgex.readers import read_chain

ql = pytest.importorskip("QuantLib")

ASOF = dt.datetime(2023, 3, 15, 11, 45, tzinfo=NEW_YORK)
SPOT, RATE, DIV = 4000.0, 0.045, 0.015
EXPIRY = dt.date(2023, 4, 21)  # SPXW: 16:00 New York
HEADER = ["Root", "Expiration", "Type", "Strike", "Open Interest", "IV", "Bid", "Ask"]


def years(expiry=EXPIRY, asof=ASOF) -> float:
    settle = dt.datetime.combine(expiry, dt.time(16, 0), tzinfo=NEW_YORK)
    return (epoch_minutes(settle) - epoch_minutes(asof)) / MINUTES_PER_YEAR


def european(forward, strike, t, vol, is_call, discount=1.0) -> float:
    """QuantLib's Black (1976) price: an independent pricer for the fixtures."""
    kind = ql.Option.Call if is_call else ql.Option.Put
    return ql.blackFormula(kind, strike, forward, vol * np.sqrt(t), discount)


def quoted(vols: dict, spread: float = 0.4, iv_cell=None):
    """A range whose prices are European prices at ``vols[(strike, type)]`` on the forward
    S e^{(r-q)T}, bid/ask ``spread`` around them, IV cells ``iv_cell``."""
    t = years()
    forward, discount = SPOT * np.exp((RATE - DIV) * t), np.exp(-RATE * t)
    rows = [HEADER]
    for (strike, kind), vol in vols.items():
        mid = european(forward, strike, t, vol, kind == "C", discount)
        rows.append(["SPXW", EXPIRY, kind, strike, 100.0, iv_cell, mid - spread / 2, mid + spread / 2])
    return rows


SMILE = {(k, c): 0.16 + 0.25 * (k / SPOT - 1) ** 2 - 0.2 * (k / SPOT - 1)
         for k in (3800.0, 3900.0, 4000.0, 4100.0, 4200.0) for c in ("C", "P")}  # fmt: skip
"""A skewed smile; a call and a put of one strike share their vol (put-call parity).
The forward (about 4012) is between 4000 and 4100: five strikes out of the money per side."""


@pytest.mark.parametrize("iv_cell", [None, 0.0, 1e-05, ""])
def test_blank_zero_and_placeholder_ivs_are_solved_on_the_chains_clock(iv_cell):
    vols = SMILE
    chain = read_chain(quoted(vols, iv_cell=iv_cell), spot=SPOT, asof=ASOF)
    # the out-of-the-money side of each strike is solved, the in-the-money side takes its IV
    assert (chain.diagnostics.iv_solved, chain.diagnostics.iv_other_side) == (5, 5)
    assert any(n.startswith("5 IVs solved from bid/ask mids") and "; 5 IVs taken from the other side" in n
               for n in chain.diagnostics.assumptions)  # fmt: skip
    for strike, is_call, iv in zip(chain.strike, chain.is_call, chain.iv, strict=True):
        # forward and discount come from parity: exact here, so the vols are recovered
        assert iv == pytest.approx(vols[(strike, "C" if is_call else "P")], abs=1e-10)


def test_turned_off_leaves_them_without_iv():
    chain = read_chain(quoted(SMILE), spot=SPOT, asof=ASOF, iv_from_quotes=False)
    assert np.isnan(chain.iv).all() and chain.diagnostics.iv_solved == 0


def test_given_ivs_are_kept_and_lent_to_the_other_side():
    rows = quoted(SMILE)
    rows[1][5] = 0.31  # the 3800 call (in the money): its put takes the file's IV
    rows[9][5] = 0.12  # the 4200 call (out of the money)
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert list(chain.iv[[0, 1, 8, 9]]) == [0.31, 0.31, 0.12, 0.12]
    assert (chain.diagnostics.iv_solved, chain.diagnostics.iv_other_side) == (3, 5)


def test_unusable_quotes_leave_both_sides_of_their_strike_without_iv():
    rows = quoted(SMILE)
    rows[2][6] = 0.0  # 3800 put (out of the money): no bid
    rows[4][6] = None  # 3900 put: blank bid
    rows[7][6], rows[7][7] = 9.0, 8.0  # 4100 call: crossed, ask below bid
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    left = (chain.strike != 4000.0) & (chain.strike != 4200.0)
    assert np.isnan(chain.iv[left]).all() and np.isfinite(chain.iv[~left]).all()
    # the in-the-money sides are quoted, but their own European IV is not used
    assert (chain.diagnostics.iv_solved, chain.diagnostics.iv_other_side) == (2, 2)
    assert any("; 3 in-the-money rows left without IV: no out-of-the-money IV" in n
               for n in chain.diagnostics.assumptions)  # fmt: skip


def test_an_in_the_money_row_without_its_other_side_is_excluded_and_counted():
    rows = [r for r in quoted(SMILE) if r[2:4] != ["P", 3800.0]]
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    itm_call = (chain.strike == 3800.0) & chain.is_call
    assert np.isnan(chain.iv[itm_call]).all() and np.isfinite(chain.iv[~itm_call]).all()
    assert (chain.diagnostics.iv_solved, chain.diagnostics.iv_other_side) == (4, 4)
    assert any("; 1 in-the-money rows left without IV" in n for n in chain.diagnostics.assumptions)
    from xlgex.gex import coverage

    assert coverage(chain)["contracts_priced"] == len(chain) - 1


def american_before_dividend():
    """SPY the afternoon before it goes ex-dividend, settling tomorrow 16:00: the forward is
    (S - dividend) e^{rT}, below the spot. In-the-money calls are worth about S - K (exercise
    tonight and collect the dividend), above any European price on that forward; their IV
    cells are blank. Out-of-the-money puts and calls carry the IV the file gives; in-the-money
    puts are blank. The 420 call has no put row."""
    spot, dividend, rate = 450.0, 1.6, 0.05
    asof, expiry = dt.datetime(2023, 9, 14, 15, 45, tzinfo=NEW_YORK), dt.date(2023, 9, 15)
    t = years(expiry, asof)
    forward, discount = (spot - dividend) * np.exp(rate * t), np.exp(-rate * t)
    rows, vols = [HEADER], {}
    for strike in (420.0, 430.0, 435.0, 440.0, 445.0, 455.0, 460.0, 465.0, 470.0):
        vol = 0.11 + 3.0 * (strike / spot - 1) ** 2 - 0.6 * (strike / spot - 1)
        for kind in ("C", "P"):
            if (strike, kind) == (420.0, "P"):
                continue
            is_call, otm = kind == "C", (kind == "C") == (strike > forward)
            price = european(forward, strike, t, vol, is_call, discount)
            if is_call and not otm:
                price = max(price, spot - strike) + 0.02  # early exercise
            iv_cell = vol if otm else None
            rows.append(["SPY", expiry, kind, strike, 1000.0, iv_cell, price - 0.01, price + 0.01])
            vols[(strike, is_call)] = vol
    return rows, vols, dict(spot=spot, asof=asof, forward=forward, discount=discount, t=t)


def test_in_the_money_american_calls_take_the_out_of_the_money_put_iv():
    rows, vols, m = american_before_dividend()
    chain = read_chain(rows, spot=m["spot"], asof=m["asof"])
    itm_calls = [r for r in rows[1:] if r[2] == "C" and r[5] is None]
    # the fixture bites: a European IV of these early-exercise prices is far above the put's
    own = [float(black_implied_vol((r[6] + r[7]) / 2, m["forward"], r[3], m["t"], True, m["discount"]))
           for r in itm_calls]  # fmt: skip
    assert all(not iv < vols[(r[3], True)] + 0.1 for iv, r in zip(own, itm_calls, strict=True))
    for strike, is_call, iv in zip(chain.strike, chain.is_call, chain.iv, strict=True):
        if (strike, is_call) == (420.0, True):
            assert np.isnan(iv)  # no put at 420: unpriced
        else:
            assert iv == vols[(strike, is_call)]  # the out-of-the-money side's IV, as given
    assert (chain.diagnostics.iv_solved, chain.diagnostics.iv_other_side) == (0, 8)
    assert any("; 1 in-the-money rows left without IV" in n for n in chain.diagnostics.assumptions)


def test_expiry_without_a_quoted_pair_uses_the_spot_and_says_so():
    vols = {(4000.0, "C"): 0.2}
    rows = [HEADER, ["SPXW", EXPIRY, "C", 4000.0, 10.0, None]]
    t = years()
    mid = european(SPOT, 4000.0, t, 0.2, True)  # undiscounted, on the spot
    rows[1] += [mid - 0.1, mid + 0.1]
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert chain.iv[0] == pytest.approx(vols[(4000.0, "C")], abs=1e-10)
    assert any("1 expiries without a quoted call/put pair used spot as forward" in n
               for n in chain.diagnostics.assumptions)  # fmt: skip


def test_expired_contracts_are_not_solved():
    rows = quoted(SMILE)
    rows[1][1] = dt.date(2023, 3, 14)  # settled yesterday
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert len(chain.expired) == 1 and np.isnan(chain.expired.iv).all()


def test_gex_info_shows_the_solved_ivs_through_excel():
    from .xlharness import UDFHarness, table

    rows = quoted(SMILE)
    rows[1][5] = 0.31  # the 3800 call's IV given: four solved, five from the other side
    with UDFHarness("xlgex.udfs") as xl:
        info = xl.call("GEX_INFO", table(rows), SPOT, ASOF.replace(tzinfo=None))
    labels = {row[0]: row[1] for row in info}
    assert labels["IVs solved from bid/ask"] == 4 and labels["IVs from the other side"] == 5
    assert any(str(v).startswith("4 IVs solved from bid/ask mids") and "; 5 IVs taken from the other" in v
               for k, v in info if k == "note")  # fmt: skip
