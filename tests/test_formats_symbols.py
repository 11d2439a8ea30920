"""OCC/OSI option symbols decoded where a table has no expiry, type or strike column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from xlgex.errors import ChainError
from xlgex.readers import occ, read_chain

ASOF = dt.datetime(2024, 1, 10, 12, 0)


@pytest.mark.parametrize(
    ("symbol", "root", "expiry", "is_call", "strike"),
    [
        ("SPXW240112C04700000", "SPXW", "2024-01-12", True, 4700.0),  # OSI, padded
        ("SPXW  240112P04725500", "SPXW", "2024-01-12", False, 4725.5),  # root padded to 6
        ("SPXW 240112C4700", "SPXW", "2024-01-12", True, 4700.0),  # unpadded strike
        (".SPXW240112C4700", "SPXW", "2024-01-12", True, 4700.0),  # leading dot
        ("-NVDA251212C52.5", "NVDA", "2025-12-12", True, 52.5),  # leading dash, decimal strike
        ("spy240119p00470000", "SPY", "2024-01-19", False, 470.0),  # lower case
        ("SPY1240119C00470000", "SPY1", "2024-01-19", True, 470.0),  # adjusted root
        ("SPX240119C04700000", "SPX", "2024-01-19", True, 4700.0),  # monthly (AM)
        ("SPY_052322C382", "SPY", "2022-05-23", True, 382.0),  # TD Ameritrade
        ("NDXP240112P16500000", "NDXP", "2024-01-12", False, 16500.0),
    ],
)
def test_decode(symbol, root, expiry, is_call, strike):
    frame = occ.decode([symbol])
    assert frame["root"].tolist() == [root]
    assert frame["expiry"].astype(str).tolist() == [expiry]
    assert frame["is_call"].tolist() == [is_call] and frame["strike"].tolist() == [strike]


@pytest.mark.parametrize("text", ["SPX", "SPXW240112X04700000", "SPXW241312C04700000", "", None,
                                  4700.0, "SPXW240112C0", "240112C04700000"])  # fmt: skip
def test_not_a_symbol(text):
    frame = occ.decode([text])
    assert frame["root"].isna().all() and np.isnan(frame["strike"]).all()


def symbol_table(*symbols):
    return [["Symbol", "Open Interest", "IV"], *[[s, 100.0, 0.2] for s in symbols]]


def test_symbol_only_table_gives_expiry_type_strike_and_settlement():
    chain = read_chain(symbol_table("SPXW240112C04700000", "SPX240119P04600000", "SPY240112C00470000"),
                       spot=4700.0, asof=ASOF)  # fmt: skip
    assert chain.strike.tolist() == [4700.0, 4600.0, 470.0]
    assert chain.is_call.tolist() == [True, False, True]
    assert chain.expiry.astype(str).tolist() == ["2024-01-12", "2024-01-19", "2024-01-12"]
    assert chain.am_settled.tolist() == [False, True, False]  # SPX monthly settles AM
    assert any("decoded from the option symbols in 'Symbol'" in n for n in chain.diagnostics.assumptions)


def test_a_bad_symbol_is_named_with_its_row():
    with pytest.raises(ChainError) as info:
        read_chain(symbol_table("SPXW240112C04700000", "SPXW 2401 C 4700"), spot=4700.0, asof=ASOF)
    assert str(info.value) == (
        "xlgex: row 3, column 'Symbol': 'SPXW 2401 C 4700' is not an option symbol (like SPXW240112C04700000)"
    )


def test_a_ticker_column_is_no_symbol_column():
    rows = [["Symbol", "Strike", "Open Interest", "IV"], ["SPX", 4700.0, 1.0, 0.2]]
    with pytest.raises(ChainError, match=r"missing column 'Expiration'.*columns found: Symbol, Strike"):
        read_chain(rows, spot=4700.0, asof=ASOF)


def test_explicit_columns_win_over_the_symbol():
    rows = [["contractSymbol", "Expiration", "Type", "Strike", "openInterest", "impliedVolatility"],
            ["SPXW240112C04700000", "2024-01-19", "P", 4650.0, 5.0, 0.2]]  # fmt: skip
    chain = read_chain(rows, spot=4700.0, asof=ASOF)
    assert (chain.strike.tolist(), chain.is_call.tolist()) == ([4650.0], [False])
    assert chain.expiry.astype(str).tolist() == ["2024-01-19"]
