"""IVs solved from bid/ask quotes by the reader: the chain's clock, the parity forward, the rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from xlgex.chain import epoch_minutes
from xlgex.conventions import MINUTES_PER_YEAR, NEW_YORK
from xlgex.core.implied import black_price
from xlgex.readers import read_chain

ASOF = dt.datetime(2023, 3, 15, 11, 45, tzinfo=NEW_YORK)
SPOT, RATE, DIV = 4000.0, 0.045, 0.015
EXPIRY = dt.date(2023, 4, 21)  # SPXW: 16:00 New York
HEADER = ["Root", "Expiration", "Type", "Strike", "Open Interest", "IV", "Bid", "Ask"]


def years() -> float:
    settle = dt.datetime.combine(EXPIRY, dt.time(16, 0), tzinfo=NEW_YORK)
    return (epoch_minutes(settle) - epoch_minutes(ASOF)) / MINUTES_PER_YEAR


def quoted(vols: dict, spread: float = 0.4, iv_cell=None):
    """A range whose prices are Black prices at ``vols[(strike, type)]`` on the forward
    S e^{(r-q)T}, bid/ask ``spread`` around them, IV cells ``iv_cell``."""
    t = years()
    forward, discount = SPOT * np.exp((RATE - DIV) * t), np.exp(-RATE * t)
    rows = [HEADER]
    for (strike, kind), vol in vols.items():
        mid = float(black_price(forward, strike, t, vol, kind == "C", discount))
        rows.append(["SPXW", EXPIRY, kind, strike, 100.0, iv_cell, mid - spread / 2, mid + spread / 2])
    return rows


SMILE = {(k, c): 0.16 + 0.25 * (k / SPOT - 1) ** 2 - 0.2 * (k / SPOT - 1)
         for k in (3800.0, 3900.0, 4000.0, 4100.0, 4200.0) for c in ("C", "P")}  # fmt: skip
"""A skewed smile; a call and a put of one strike share their vol (put-call parity)."""


@pytest.mark.parametrize("iv_cell", [None, 0.0, 1e-05, ""])
def test_blank_zero_and_placeholder_ivs_are_solved_on_the_chains_clock(iv_cell):
    vols = SMILE
    chain = read_chain(quoted(vols, iv_cell=iv_cell), spot=SPOT, asof=ASOF)
    assert chain.diagnostics.iv_solved == len(vols)
    assert any(n.startswith("10 IVs solved from bid/ask mids") for n in chain.diagnostics.assumptions)
    for strike, is_call, iv in zip(chain.strike, chain.is_call, chain.iv, strict=True):
        # forward and discount come from parity: exact here, so the vols are recovered
        assert iv == pytest.approx(vols[(strike, "C" if is_call else "P")], abs=1e-10)


def test_turned_off_leaves_them_without_iv():
    chain = read_chain(quoted(SMILE), spot=SPOT, asof=ASOF, iv_from_quotes=False)
    assert np.isnan(chain.iv).all() and chain.diagnostics.iv_solved == 0


def test_given_ivs_are_kept():
    rows = quoted(SMILE)
    rows[1][5] = 0.31
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert chain.iv[0] == 0.31 and chain.diagnostics.iv_solved == len(SMILE) - 1


def test_quotes_without_a_bid_or_with_the_bid_below_intrinsic_stay_without_iv():
    rows = quoted(SMILE)
    rows[1][6] = 0.0  # 3800 call: no bid
    rows[2][6] = None  # 3800 put: blank bid
    itm = next(r for r in rows[1:] if r[3] == 3800.0 and r[2] == "C")
    itm[6], itm[7] = 150.0, 400.0  # a wide quote whose bid is below intrinsic (~ 240)
    rows[3][6], rows[3][7] = 9.0, 8.0  # crossed: ask below bid
    chain = read_chain(rows, spot=SPOT, asof=ASOF)
    assert np.isnan(chain.iv[:3]).all() and np.isfinite(chain.iv[3:]).all()
    assert chain.diagnostics.iv_solved == len(SMILE) - 3


def test_expiry_without_a_quoted_pair_uses_the_spot_and_says_so():
    vols = {(4000.0, "C"): 0.2}
    rows = [HEADER, ["SPXW", EXPIRY, "C", 4000.0, 10.0, None]]
    t = years()
    mid = float(black_price(SPOT, 4000.0, t, 0.2, True))  # undiscounted, on the spot
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
    rows[1][5] = 0.31  # one IV given, nine solved
    with UDFHarness("xlgex.udfs") as xl:
        info = xl.call("GEX_INFO", table(rows), SPOT, ASOF.replace(tzinfo=None))
    labels = {row[0]: row[1] for row in info}
    assert labels["IVs solved from bid/ask"] == 9
    assert any(str(v).startswith("9 IVs solved from bid/ask mids") for k, v in info if k == "note")
