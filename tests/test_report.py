"""``xlgex report``: a values-only workbook whose numbers are the Python API's."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import numpy as np
import openpyxl
import pytest

from xlgex import (
    classify_regime,
    gamma_flip,
    gex_by_expiry,
    gex_by_strike,
    gex_profile,
    gex_walls,
    read_chain,
    total_gex,
)  # fmt: skip
from xlgex.cli import main
from xlgex.errors import XlgexError
from xlgex.report import write_report
from xlgex.sample import SAMPLE_PATH


@pytest.fixture(scope="module")
def chain():
    return read_chain(SAMPLE_PATH)


@pytest.fixture(scope="module")
def report(chain, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.xlsx"
    assert write_report(chain, path, title="sample", price_unit="index points") == path
    return openpyxl.load_workbook(path)


def _rows(ws, first_row: int, width: int) -> list:
    out = []
    for row in ws.iter_rows(min_row=first_row, max_col=width, values_only=True):
        if row[0] is None:
            break
        out.append(row)
    return out


def _close(a, b) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-6)


def test_report_has_the_sheets_and_charts_and_no_formulas(report, tmp_path, chain):
    assert report.sheetnames == ["Summary", "By strike", "By expiry", "Profile", "Info"]
    for ws in report.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row), ws.title
    path = tmp_path / "r.xlsx"
    write_report(chain, path)
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3  # by strike, by expiry, profile


def test_refuses_to_overwrite_without_force(chain, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"keep me")
    with pytest.raises(XlgexError, match="already exists.*--force"):
        write_report(chain, path)
    assert path.read_bytes() == b"keep me"
    write_report(chain, path, force=True)
    assert zipfile.is_zipfile(path)


def test_cli_report_refuses_then_forces(tmp_path, capsys):
    path = tmp_path / "cli.xlsx"
    assert main(["report", str(SAMPLE_PATH), "-o", str(path)]) == 0
    first = path.read_bytes()
    assert main(["report", str(SAMPLE_PATH), "-o", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_bytes() == first
    assert main(["report", str(SAMPLE_PATH), "-o", str(path), "--force"]) == 0


def test_by_strike_equals_the_api_within_the_charted_window(report, chain):
    """The table lists the strikes the chart shows (within ±CHART_RANGE_PCT of spot)."""
    from xlgex.report import CHART_RANGE_PCT

    expected = gex_by_strike(chain)
    expected = expected[abs(expected["strike"] / chain.spot - 1.0) * 100 <= CHART_RANGE_PCT]
    ws = report["By strike"]
    rows = _rows(ws, 6, 4)
    assert 10 < len(rows) == len(expected) < len(gex_by_strike(chain))
    for row, exp in zip(rows, expected.itertuples(index=False), strict=True):
        assert row == pytest.approx((exp.strike, exp.call_gex, exp.put_gex, exp.net_gex),
                                    rel=1e-12)  # fmt: skip
    helpers = _rows(ws, 6, 9)
    for _, _, _, net, _, pos, neg, *_ in helpers:
        assert (pos, neg) == (max(net, 0.0), min(net, 0.0))
    helper_cols = ws.column_dimensions["F"]  # F:I, chart helpers, not for reading
    assert helper_cols.hidden and (helper_cols.min, helper_cols.max) == (6, 9)
    # One spot marker, at the strike nearest spot.
    spot_rows = [r for r in helpers if r[7] is not None]
    assert len(spot_rows) == 1
    assert abs(spot_rows[0][0] - chain.spot) == min(abs(r[0] - chain.spot) for r in helpers)


def test_title_is_the_file_name_and_no_tiny_negative_shows_a_sign(chain, tmp_path):
    path = write_report(chain, tmp_path / "t.xlsx", title="/data/downloads/spx_quotedata.csv")
    book = openpyxl.load_workbook(path)
    assert book["Summary"]["A1"].value == "spx_quotedata.csv"
    fmt = book["By strike"]["D6"].number_format
    # Sections picked by condition: a value that rounds to $0.0m has no minus sign.
    assert fmt.startswith("[>=50000]") and fmt.endswith(';$0.0,,"m"')


def test_by_expiry_equals_the_api(report, chain):
    expected = gex_by_expiry(chain)
    rows = _rows(report["By expiry"], 6, 6)
    assert len(rows) == len(expected)
    for row, exp in zip(rows, expected.itertuples(index=False), strict=True):
        expiry, is_0dte, call, put, net, share = row
        assert expiry == np.datetime64(exp.expiry, "D").astype("datetime64[us]").item()
        assert is_0dte is bool(exp.is_0dte)
        assert (call, put, net, share) == pytest.approx(
            (exp.call_gex, exp.put_gex, exp.net_gex, exp.share_abs), rel=1e-12)


def test_profile_equals_the_api(report, chain):
    expected = gex_profile(chain)
    rows = _rows(report["Profile"], 6, 4)
    assert len(rows) == len(expected)
    assert np.allclose(np.array(rows, dtype=float),
                       expected[["spot", "call_gex", "put_gex", "net_gex"]].to_numpy(),
                       rtol=1e-12)  # fmt: skip


def test_summary_equals_the_api(report, chain):
    facts = {row[0]: row[1] for row in report["Summary"].iter_rows(min_row=6, values_only=True)
             if row[0]}  # fmt: skip
    walls = gex_walls(chain)
    assert _close(facts["Net GEX at spot ($ per 1% move)"], total_gex(chain))
    assert _close(facts["Gamma flip (index points)"], gamma_flip(chain))
    assert facts["Regime"] == classify_regime(chain).label
    assert facts["Call wall"] == walls["call_wall"]
    assert facts["Put wall"] == walls["put_wall"]
    assert facts["Absolute-gamma strike"] == walls["abs_gamma_strike"]
    assert facts["Spot"] == chain.spot
    assert facts["As of (New York)"] == dt.datetime(2026, 11, 13, 10, 30)
    assert _close(facts["0DTE share of gross GEX"], total_gex(chain).share_0dte)
    assert facts["Contracts used"] == len(chain)


def test_info_lists_the_assumptions(report, chain):
    info = {}
    for label, value in report["Info"].iter_rows(min_row=6, max_col=2, values_only=True):
        info.setdefault(label, []).append(value)
    assert info["convention"] == ["calls_long_puts_short"]
    assert info["rows read"] == [chain.diagnostics.rows_read]
    assert info["note"] == list(chain.diagnostics.assumptions)
    assert "ACT/365" in info["time rule"][0]


def test_no_flip_is_reported_as_text(chain, tmp_path):
    """Dealers short every option: net GEX negative everywhere, so no flip, and it says so."""
    path = write_report(chain, tmp_path / "short.xlsx", convention="all_short")
    summary = openpyxl.load_workbook(path)["Summary"]
    facts = {r[0]: r[1] for r in summary.iter_rows(min_row=6, values_only=True) if r[0]}
    assert facts["Gamma flip (spot units)"].startswith("no flip: net GEX stays negative")
    assert facts["All crossings"] == "none"
    assert _close(facts["Net GEX at spot ($ per 1% move)"],
                  total_gex(chain, convention="all_short"))  # fmt: skip
    assert facts["Regime"].startswith("Short gamma")


def test_unknown_convention_is_a_user_error(chain, tmp_path):
    with pytest.raises(XlgexError):
        write_report(chain, tmp_path / "x.xlsx", convention="dealers_flip_a_coin")
    assert not (tmp_path / "x.xlsx").exists()


def test_summary_shows_the_regime_in_full_and_the_flip_in_the_underlyings_unit(tmp_path, capsys):
    """A stock's flip is in $, not index points; the regime's label with its modifiers fits
    its column, and texts line up with the numbers (right-aligned)."""
    from pathlib import Path

    path = tmp_path / "spy.xlsx"
    source = Path(__file__).parent / "fixtures" / "cboe_spy_oldformat.dat"
    assert main(["report", str(source), "-o", str(path)]) == 0
    capsys.readouterr()
    ws = openpyxl.load_workbook(path)["Summary"]
    facts = {r[0].value: r[1] for r in ws.iter_rows(min_row=6, max_col=2) if r[0].value}
    assert "Gamma flip ($)" in facts and "Gamma flip (index points)" not in facts
    label = facts["Regime"].value
    assert label == classify_regime(read_chain(source)).label
    assert ws.column_dimensions["B"].width >= len(label)
    assert {facts[k].alignment.horizontal for k in ("Regime", "All crossings", "Spot")} == {"right"}


@pytest.mark.parametrize(("strikes", "expected"), [
    ([5900.0, 5925.0, 6000.0], "#,##0"), ([429.0, 432.5, 433.0], "#,##0.0"),
    ([1.0, 1.25, 1.5], "#,##0.00"),
])  # fmt: skip
def test_strikes_show_the_decimals_they_have(strikes, expected):
    from xlgex.report import _strike_format

    assert _strike_format(np.array(strikes)) == expected


def test_info_numbers_have_number_formats(report):
    """Counts with thousands separators, levels with two decimals: no 15-digit float, no
    'General' number on the Info sheet."""
    rows = {label.value: value for label, value in report["Info"].iter_rows(min_row=6, max_col=2)}
    assert rows["rows read"].number_format == "#,##0"
    assert rows["spot"].number_format == "#,##0.00"
    for label, cell in rows.items():
        if isinstance(cell.value, (int, float)):
            assert cell.number_format != "General", label
