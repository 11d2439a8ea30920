"""Property fuzz: every worksheet function, called the way Excel calls it, with anything a
worksheet can hand it, answers with a finite number, a one-line ``xlgex:`` message, its own
answer text (a regime label, "no flip: ...") or a table of those. Never a traceback, a NaN
or an inf.

Inputs are Excel-shaped (tests/xlharness.py): ranges of any shape, error codes, blanks,
booleans, text numbers, dates as serials and text, empty and one-row chains, expired and
filtered chains, extreme magnitudes.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlgex import cells

from .xlharness import ERROR_CODES, MISSING, UDFHarness

ASOF = dt.datetime(2026, 11, 20, 10, 30)
SERIAL_ASOF = (ASOF - dt.datetime(1899, 12, 30)).total_seconds() / 86400
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])  # fmt: skip


# -- Excel-shaped values ---------------------------------------------------------------------

MAGNITUDES = st.sampled_from([0.0, -0.0, 1e-300, 1e-9, 0.35, 1.0, 2.0, 20.0, 443.0, 5000.0,
                              1e6, 1e154, 1e200, 1e308, -1.0, -200.0, -1e308])  # fmt: skip
TEXT = st.sampled_from(["", " ", "abc", "4500.53", "4,500.53", "4.500,53", "1,5", "1e400",
                        "TRUE", "#N/A", "0dte", "ex0dte", "all", "2026-11-20", "20/11/2026",
                        "C", "P", "ES", "MES", "shares", "classic", "signed", "all_short",
                        "cumulative", "vanna", "charm", "percent", "auto", "nan", "inf"])  # fmt: skip
DATES = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))
SCALAR = st.one_of(
    st.none(), st.just(MISSING), MAGNITUDES, TEXT, st.booleans(), DATES,
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(list(ERROR_CODES.values())),
    st.just(SERIAL_ASOF), st.floats(min_value=-1e6, max_value=1e6),
)  # fmt: skip
CELL = st.one_of(st.none(), MAGNITUDES, TEXT, st.booleans(), DATES,
                 st.sampled_from(list(ERROR_CODES.values())))  # fmt: skip


@st.composite
def ranges(draw, cells=CELL):
    """A rectangular range of any small shape (1x1 to 4x4)."""
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return tuple(tuple(draw(cells) for _ in range(cols)) for _ in range(rows))


ARGUMENT = st.one_of(SCALAR, SCALAR, SCALAR, ranges())

HEADER = ("Expiration", "Strike", "Type", "Open Interest", "IV")
EXPIRIES = [dt.datetime(2026, 11, 20), dt.datetime(2026, 11, 19), dt.datetime(2026, 12, 18),
            dt.datetime(2027, 1, 15)]  # today (0DTE), yesterday (expired), later  # fmt: skip


def usually(value):
    """Mostly ``value``, sometimes anything else a cell can hold."""
    return st.one_of(st.just(value), st.just(value), st.just(value), ARGUMENT)


@st.composite
def chains(draw):
    """Chains as a trader pastes them: valid or broken, empty to a few rows, any magnitude."""
    n = draw(st.integers(0, 6))
    valid = draw(st.integers(0, 3)) > 0  # mostly readable chains, so figures get computed
    cell = CELL if not valid else None
    rows = []
    for _ in range(n):
        if valid:
            rows.append((draw(st.sampled_from(EXPIRIES)),
                         draw(st.one_of(st.integers(800, 1100).map(lambda k: 5.0 * k),
                                        st.sampled_from([1e-300, 1e154, 1e308]))),
                         draw(st.sampled_from(["C", "P"])),
                         draw(st.sampled_from([0.0, 1.0, 1000.0, 1e308])),
                         draw(st.sampled_from([None, 0.0, 0.15, 0.3, 0.3, 2.0]))))  # fmt: skip
        else:
            rows.append(tuple(draw(cell) for _ in HEADER))
    if draw(st.integers(0, 9)):
        return (HEADER, *rows)
    order = draw(st.permutations(range(len(HEADER))))[:3]  # columns shuffled, some missing
    return tuple(tuple(row[j] for j in order) for row in [HEADER, *rows])


def _cell_ok(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, bool, int, dt.datetime)) or value is None


def check(name: str, call) -> None:
    """The promise: a finite number, an answer text, an xlgex: message, or a table of cells."""
    assert call.error is None, f"{name}: {call.error!r}"
    value = call.value
    if isinstance(value, str):
        assert len(value) <= cells.MAX_MESSAGE and "\n" not in value, value
        assert "Traceback" not in value and "Error:" not in value, value
        if name == "GEX_REGIME":
            assert value.startswith(("xlgex:", "Long gamma", "Short gamma", "Flat gamma")), value
        elif name == "GEX_FLIP":
            assert value.startswith(("xlgex:", "no flip")), value
        else:
            assert value.startswith("xlgex:"), value
        return
    if isinstance(value, float):
        assert math.isfinite(value), f"{name} gave {value!r}"
        return
    assert isinstance(value, (list, tuple)) and value, f"{name} gave {value!r}"
    for row in call.grid:
        for cell in row:
            assert _cell_ok(cell), f"{name}: cell {cell!r}"


_FUNCTIONS = UDFHarness("xlgex.udfs").functions  # every registered UDF, found at collection
CHAIN_UDFS = sorted(n for n, f in _FUNCTIONS.items() if f["args"][0]["name"] == "chain")
OTHER_UDFS = sorted(set(_FUNCTIONS) - set(CHAIN_UDFS))


def _width(name: str) -> int:
    return len(_FUNCTIONS[name]["args"])


@pytest.mark.parametrize("name", CHAIN_UDFS)
def test_chain_udfs_survive_garbage(xl, name):
    @FUZZ
    @given(chain=st.one_of(chains(), chains(), chains(), ranges()), spot=usually(5000.0),
           asof=usually(ASOF), rest=st.lists(usually(MISSING), max_size=11))
    def run(chain, spot, asof, rest):
        check(name, xl.invoke(name, *[chain, spot, asof, *rest][: _width(name)]))

    run()


@pytest.mark.parametrize("name", OTHER_UDFS)
def test_other_udfs_survive_garbage(xl, name):
    required = sum("optional" not in a for a in _FUNCTIONS[name]["args"])

    @FUZZ
    @given(args=st.lists(st.one_of(MAGNITUDES, ARGUMENT), min_size=_width(name), max_size=_width(name)),
           given_args=st.integers(required, _width(name)))
    def run(args, given_args):
        check(name, xl.invoke(name, *args[:given_args]))

    run()


def test_every_udf_is_fuzzed():
    assert {"GEX_TOTAL", "GEX_FLIP", "BS_GREEKS", "HEDGE_LADDER"} <= set(_FUNCTIONS)
    assert set(CHAIN_UDFS) | set(OTHER_UDFS) == set(_FUNCTIONS)
