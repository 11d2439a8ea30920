"""Any file, however broken, gives a chain or one line starting ``xlgex:``; never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlgex.errors import XlgexError
from xlgex.readers import read_chain

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = sorted((FIXTURES / "formats").iterdir()) + [FIXTURES / "cboe_spx_small.csv",
                                                      FIXTURES / "long_chain.csv"]  # fmt: skip
ASOF = dt.datetime(2023, 3, 15, 15, 0)


def outcome(path):
    try:
        read_chain(path, spot=3900.0, asof=ASOF)
    except XlgexError as err:
        text = str(err)
        assert text.startswith("xlgex: ") and "\n" not in text, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(SOURCES), data=st.data())
def test_damaged_files(tmp_path, source, data):
    raw = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if kind == "cut":
            del raw[at:]
        elif kind == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = data.draw(st.sampled_from([b",", b";", b"\t", b"\n", b'"', b"{", b"%", b"--",
                                                    b"1,5", b"TRUE", b"#N/A", b"\x00", b"\xff"]))  # fmt: skip
        else:
            del raw[at : at + data.draw(st.integers(1, 40))]
    path = tmp_path / ("chain" + source.suffix)
    path.write_bytes(bytes(raw))
    outcome(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
def test_arbitrary_bytes(tmp_path, raw):
    path = tmp_path / "chain.csv"
    path.write_bytes(raw)
    outcome(path)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_fixture_reads_or_says_why(source):
    outcome(source)
