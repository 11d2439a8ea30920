"""The readers' fast paths against the slow, obvious code they stand in for.

Reading text splits the unquoted body of a file with ``str.split`` instead of ``csv.reader``,
converts decimal-comma cells once per distinct value, finds each quoted row's other side with
numpy, and the vol views find each expiry's ATM strike with numpy; each must give exactly what
the obvious loop gives, on hand-made edge cases and on generated text.
"""

from __future__ import annotations

import csv
import gc
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlgex.readers import read_chain, text
from xlgex.readers.memory import gc_paused
from xlgex.readers.quotes import _other_side
from xlgex.views import _atm_ivs


def csv_rows(content: str, delim: str) -> tuple[list, list]:
    """csv.reader's rows and the physical line where each starts (the reference)."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delim)
    rows, numbers, line = [], [], 0
    for row in reader:
        rows.append(row)
        numbers.append(line + 1)
        line = reader.line_num
    return rows, numbers


CBOE_HEAD = ('S&P 500 INDEX,Last: 4697.2402,Change:  8.5602\n'
             '"Date: January 7, 2024 at 10:52 AM EST",Bid: 4645.23,Ask: 4753.8999\n')  # fmt: skip
CASES = [
    "Strike,IV\n4500,0.18\n4510,0.19\n",
    CBOE_HEAD + "Expiration Date,Calls,Strike\nFri Jan 05 2024,SPXW240105C01200000,1200.00\n",
    CBOE_HEAD + "a,b\n\n\nc,d",  # blank lines and no final line break
    '"a\nb",c\nd,e\n',  # a quoted line break, then an unquoted body
    '"a\n',  # a quote left open at the end
    'x,"y\nz\n1,2\n',  # a quote left open across the body
    "a,b\r\nc,d\re,f\n",  # CR LF, CR and LF line ends
    'ab"c,d\ne,f\n',  # a quote inside a field is a character
    "a\x0bb,c\nd,e\n",  # a vertical tab breaks a line for splitlines(), not for csv
    "é;ü\n1;2\n",  # not ASCII
    "Strike;IV\n4500;0,18\n",
    "",
    "\n\n",
    '"t"\n' + "x" * 140_000 + "\n",  # a field over csv's size limit: csv's own error
]


@pytest.mark.parametrize("content", CASES)
@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_split_is_csv_reader(content, delim):
    try:
        expected = csv_rows(content, delim)
    except csv.Error as exc:
        with pytest.raises(csv.Error, match=re.escape(str(exc))):
            text._split(content, delim)
        return
    assert text._split(content, delim) == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "1", ",", ";", '"', "\n", "\r", "\r\n", " ", "é", '""']),
                max_size=40), st.sampled_from([",", ";"]))  # fmt: skip
def test_split_is_csv_reader_on_generated_text(pieces, delim):
    content = "".join(pieces)
    assert text._split(content, delim) == csv_rows(content, delim)


def test_decimal_comma_cells_as_one_by_one(tmp_path):
    rows = [["Last: 4.500,53", " 0,18 ", "18.12.2026", "1.234", "x"], ["0,18", "--", "4.500,53"]]
    assert text._each_distinct(rows, text._european) == [[text._european(c) for c in r] for r in rows]
    path = tmp_path / "chain.csv"
    path.write_text("Expiration;Type;Strike;IV;Open Interest\n18.12.2026;C;4.500;0,18;1.234\n"
                    "18.12.2026;P;4.510;0,19;--\n", encoding="utf-8")  # fmt: skip
    chain = read_chain(path, spot=4500, asof="2026-12-01 10:00")
    assert chain.strike.tolist() == [4500.0, 4510.0]
    assert chain.iv.tolist() == [0.18, 0.19]
    assert chain.open_interest.tolist() == [1234.0, 0.0]


def other_side_loop(fill, settle, strike, multiplier, is_call) -> np.ndarray:
    """One dict entry per contract; -1 where a contract is listed twice (the obvious rule)."""
    index: dict = {}
    for i, key in enumerate(zip(settle.tolist(), strike.tolist(), multiplier.tolist(),
                                is_call.tolist(), strict=True)):  # fmt: skip
        index[key] = -1 if key in index else i
    twin = np.full(strike.size, -1)
    for i in np.flatnonzero(fill):
        twin[i] = index.get((int(settle[i]), float(strike[i]), float(multiplier[i]), not is_call[i]), -1)
    return twin


def test_other_side_by_hand():
    settle = np.array([5, 5, 5, 5, 5, 6], dtype=np.int64)
    strike = np.array([100.0, 100.0, 105.0, 105.0, 105.0, 100.0])
    is_call = np.array([True, False, True, False, False, False])
    fill = np.ones(6, dtype=bool)
    twin = _other_side(fill, settle, strike, np.full(6, 100.0), is_call)
    # 105 has two puts: no single twin for its call, and its puts' call is listed once
    assert twin.tolist() == [1, 0, -1, 2, 2, -1]


@pytest.mark.parametrize("seed", range(40))
def test_other_side_matches_a_loop(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    settle = rng.choice(np.array([28_000_000, 28_000_570, 29_000_000], dtype=np.int64), n)
    strike = rng.choice(np.array([100.0, 105.0, 110.5, 4700.0]), n)
    multiplier = rng.choice(np.array([100.0, 10.0]), n, p=[0.9, 0.1])
    is_call, fill = rng.random(n) < 0.5, rng.random(n) < 0.6
    expected = other_side_loop(fill, settle, strike, multiplier, is_call)
    np.testing.assert_array_equal(_other_side(fill, settle, strike, multiplier, is_call), expected)


class _Sel:
    def __init__(self, strike, iv, is_call, spot):
        self.strike, self.iv, self.is_call, self.spot = strike, iv, is_call, spot


@pytest.mark.parametrize("seed", range(40))
def test_atm_strike_matches_a_loop(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    sel = _Sel(rng.choice(np.arange(90.0, 111.0, 5.0), n), rng.uniform(0.1, 0.5, n),
               rng.random(n) < 0.5, float(rng.choice([97.5, 100.0, 101.0])))  # fmt: skip
    rows = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
    calls = {float(sel.strike[i]): float(sel.iv[i]) for i in rows if sel.is_call[i]}  # last wins
    puts = {float(sel.strike[i]): float(sel.iv[i]) for i in rows if not sel.is_call[i]}
    both = sorted(set(calls) & set(puts))
    if not both:
        assert _atm_ivs(sel, rows) is None
        return
    k = min(both, key=lambda s: (abs(s - sel.spot), s))  # nearest spot, ties the lower strike
    assert _atm_ivs(sel, rows) == (k, calls[k], puts[k])


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_puts_the_collector_back(enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), gc_paused():
            raise ValueError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
