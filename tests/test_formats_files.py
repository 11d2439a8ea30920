"""Every file format read_chain sniffs gives the same chain as the CBOE CSV it was saved from.

The fixtures in ``fixtures/formats/`` are written by ``fixtures/make_formats.py`` from
``fixtures/cboe_spx_small.csv`` (spot 3891.9299, quoted 2023-03-15 15:00 New York).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlgex.conventions import NEW_YORK
from xlgex.errors import XlgexError
from xlgex.gex import total_gex
from xlgex.readers import read_chain

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = FIXTURES / "formats"
CBOE_CSV = FIXTURES / "cboe_spx_small.csv"
QUOTED = dt.datetime(2023, 3, 15, 15, 0, tzinfo=NEW_YORK)


def contracts(chain) -> list:
    """(expiry, AM, call, strike, open interest, IV or None) per contract, sorted."""
    iv = [None if np.isnan(v) else round(float(v), 12) for v in chain.iv]
    keys = zip(chain.expiry.astype(str), chain.am_settled.tolist(), chain.is_call.tolist(),
               chain.strike.tolist(), chain.open_interest.tolist(), iv, strict=True)  # fmt: skip
    return sorted(keys, key=lambda k: k[:4])


@pytest.fixture(scope="module")
def reference():
    return read_chain(CBOE_CSV)


@pytest.mark.parametrize(
    "name",
    ["cboe_bom.csv", "cboe_semicolon_decimal_comma.csv", "cboe_tab_utf16.txt", "cboe.xlsx",
     "cboe_delayed.json", "schwab_chain.json"],
)  # fmt: skip
def test_every_format_reads_the_same_chain(name, reference):
    chain = read_chain(FORMATS / name)
    assert (chain.spot, chain.asof) == (reference.spot, reference.asof)
    assert contracts(chain) == contracts(reference)
    assert chain.diagnostics.dropped == reference.diagnostics.dropped == {"expired": 4}
    assert float(total_gex(chain)) == pytest.approx(float(total_gex(reference)), rel=1e-12)
    assert float(total_gex(chain)) != 0.0


@pytest.mark.parametrize("name", ["cboe_bom.csv", "cboe_semicolon_decimal_comma.csv",
                                  "cboe_tab_utf16.txt", "cboe.xlsx"])  # fmt: skip
def test_row_numbers_are_the_file_lines(name, reference):
    chain = read_chain(FORMATS / name)
    assert sorted(chain.source_row.tolist()) == sorted(reference.source_row.tolist())


def test_sniffing_is_noted():
    notes = read_chain(FORMATS / "cboe_semicolon_decimal_comma.csv").diagnostics.assumptions
    assert "text file read as UTF-8, semicolon-separated" in notes
    assert any("decimal commas" in n for n in notes)
    notes = read_chain(FORMATS / "cboe_tab_utf16.txt").diagnostics.assumptions
    assert "text file read as UTF-16, tab-separated" in notes


def test_cboe_json_without_timestamp_needs_the_asof(reference):
    path = FORMATS / "cboe_delayed_data_only.json"
    chain = read_chain(path, asof=dt.datetime(2023, 3, 15, 15, 0))
    assert chain.spot == reference.spot and contracts(chain) == contracts(reference)
    late = read_chain(path, asof=dt.datetime(2023, 5, 1, 12, 0))  # everything settled
    assert len(late) == 0 and late.diagnostics.dropped == {"expired": 22}


def test_cboe_json_spot_and_time_come_from_the_file():
    chain = read_chain(FORMATS / "cboe_delayed.json")
    d = chain.diagnostics
    assert (d.spot_source, d.asof_source) == ("file", "file")
    assert any("current_price" in n for n in d.assumptions)


def test_schwab_percent_volatility_and_not_available():
    chain = read_chain(FORMATS / "schwab_chain.json", iv_from_quotes=False)
    assert chain.diagnostics.iv_unit == "percent"
    # the Mar 15 3950 put has IV 0 in the CBOE file, -999 ("not available") here
    put = (chain.strike == 3950) & ~chain.is_call & (chain.expiry == np.datetime64("2023-03-15"))
    assert np.isnan(chain.iv[put]).all() and np.isnan(chain.chain_gamma[put]).all()
    call = (chain.strike == 3900) & chain.is_call & (chain.expiry == np.datetime64("2023-03-15"))
    assert chain.iv[call].tolist() == [pytest.approx(0.1987, rel=1e-15)]


def test_xlsx_sheet_choice():
    path = FORMATS / "cboe.xlsx"
    chain = read_chain(path)  # the first sheet ("Notes") holds no chain: "Chain" is found
    assert "sheet 'Chain' read (of Notes, Chain)" in chain.diagnostics.assumptions
    assert len(read_chain(path, sheet="chain")) == len(read_chain(path, sheet=2)) == 18
    with pytest.raises(XlgexError, match="no sheet 'Prices' in the workbook; its sheets: Notes, Chain"):
        read_chain(path, sheet="Prices")
    with pytest.raises(XlgexError, match="missing column 'Strike'"):
        read_chain(path, sheet="Notes")


def test_parquet_reads_like_its_csv():
    from_csv = read_chain(FIXTURES / "long_chain.csv")
    from_parquet = read_chain(FORMATS / "long_chain.parquet")
    assert contracts(from_parquet) == contracts(from_csv)
    assert (from_parquet.spot, from_parquet.asof) == (from_csv.spot, from_csv.asof)


def test_parquet_without_an_engine_says_what_to_install(monkeypatch):
    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd, "read_parquet", no_engine)
    with pytest.raises(XlgexError, match=r"reading Parquet needs pyarrow: pip install"):
        read_chain(FORMATS / "long_chain.parquet")


def test_european_long_table():
    chain = read_chain(FORMATS / "long_european.csv")
    assert chain.spot == 3891.93 and chain.asof == QUOTED
    assert contracts(chain) == [
        ("2023-03-17", False, False, 3900.0, 6500.0, 0.2288),
        ("2023-03-17", False, True, 3900.0, 9516.0, 0.2178),  # "9.516": '.' thousands here
        ("2023-04-21", True, True, 3900.0, 7000.0, 0.2105),
    ]


def test_fidelity_export(reference):
    chain = read_chain(FORMATS / "fidelity_atp.csv")
    assert chain.spot == 3891.93  # "Last Trade $3,891.93"
    assert chain.asof == QUOTED  # "03/15/2023 03:00:00 PM ET"
    strip = [c[:5] for c in contracts(chain)]
    assert strip == [c[:5] for c in contracts(reference)]
    assert chain.diagnostics.dropped["blank"] == 8  # 4 expiry separator lines x 2 sides
    d = chain.diagnostics  # each strike's out-of-the-money side solved, the other side takes its IV
    assert d.iv_solved == d.iv_other_side == int(np.isfinite(chain.iv).sum()) // 2 > 0


def test_yfinance_frame_saved_as_csv(reference):
    chain = read_chain(FORMATS / "yfinance_calls.csv", spot=3891.9299, asof=QUOTED)
    calls = [c[:5] for c in contracts(reference) if c[2]]
    assert [c[:5] for c in contracts(chain)] == calls  # expiry, type, strike from the symbols
    assert set(chain.multiplier.tolist()) == {100.0}  # contractSize "REGULAR"
    notes = chain.diagnostics.assumptions
    assert any("decoded from the option symbols in 'contractSymbol'" in n for n in notes)
    assert any("IVs below 0.0001 taken as placeholders" in n for n in notes)


def test_thinkorswim_without_open_interest_says_what_to_add():
    with pytest.raises(XlgexError) as info:
        read_chain(FORMATS / "thinkorswim.csv")
    text = str(info.value)
    assert text.startswith("xlgex: row 8: missing column 'Open Interest'")
    assert "columns found: Theo Price, Mark, BID, BX, ASK, AX, Exp, Strike" in text
    assert "thinkorswim export: add 'Open Int'" in text and "\n" not in text


def test_zip_files_that_are_no_workbook(tmp_path):
    import zipfile

    path = tmp_path / "chain.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(XlgexError, match=r"looks like an OpenDocument spreadsheet \(.ods; save it as .xlsx"):
        read_chain(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("chain.csv", CBOE_CSV.read_text())
    with pytest.raises(XlgexError, match=r"looks like a zip archive \(unpack it first\)"):
        read_chain(path)


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"%PDF-1.7 ...", "a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "an old Excel .xls workbook"),
        (b"<!DOCTYPE html><html><body>Options</body></html>", "a web page"),
        (bytes(range(256)) * 8, "a binary file"),
        (b"   \n\n", "an empty file"),
        (b"\x1f\x8b\x08\x00", "a gzip archive"),
    ],
)
def test_a_file_in_no_accepted_format_says_what_it_looks_like(tmp_path, content, looks):
    path = tmp_path / "chain.csv"
    path.write_bytes(content)
    with pytest.raises(XlgexError) as info:
        read_chain(path)
    text = str(info.value)
    assert text.startswith("xlgex: 'chain.csv' looks like " + looks)
    assert ".xlsx/.xlsm, Parquet, CBOE delayed-quotes JSON" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"options": [1, 2', r"not valid JSON \(line 1"),
        ('{"quote": {"last": 1}}', "JSON holding quote is not an option chain xlgex knows"),
        ("[1, 2, 3]", "JSON holding a list of 3 items is not an option chain"),
    ],
)
def test_json_that_is_no_chain(tmp_path, content, expected):
    path = tmp_path / "chain.json"
    path.write_text(content)
    with pytest.raises(XlgexError, match=expected):
        read_chain(path)


def test_json_records_of_a_long_table(tmp_path):
    frame = pd.read_csv(FIXTURES / "long_chain.csv").dropna(how="all")
    path = tmp_path / "chain.json"
    path.write_text(frame.to_json(orient="records"))
    assert contracts(read_chain(path)) == contracts(read_chain(FIXTURES / "long_chain.csv"))
    path.write_text(json.dumps(frame.to_dict(orient="list")))
    assert contracts(read_chain(path)) == contracts(read_chain(FIXTURES / "long_chain.csv"))
    for orient in ("split", "table", "columns"):
        path.write_text(frame.to_json(orient=orient))
        assert contracts(read_chain(path)) == contracts(read_chain(FIXTURES / "long_chain.csv")), orient


# -- a download cut short ----------------------------------------------------------------------
def _cut(tmp_path, source: Path, size: int) -> Path:
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes()[:size])
    return path


@pytest.mark.parametrize("back", [1, 2, 7, 40, 100, 150])
def test_a_cboe_download_cut_mid_row_is_refused(tmp_path, back):
    raw = CBOE_CSV.read_bytes()
    path = _cut(tmp_path, CBOE_CSV, len(raw) - back)
    last_line = raw[: len(raw) - back].count(b"\n") + 1
    with pytest.raises(XlgexError, match=rf"^xlgex: row {last_line}: .*the file ends in the middle"):
        read_chain(path)


def test_a_long_table_cut_mid_row_is_refused(tmp_path):
    raw = (FIXTURES / "long_chain.csv").read_bytes()
    cut = raw.index(b"SPX,2023-03-17,C") + 20  # inside line 5
    path = _cut(tmp_path, FIXTURES / "long_chain.csv", cut)
    with pytest.raises(XlgexError, match=r"^xlgex: row 5: 4 of 9 fields: the file ends"):
        read_chain(path)


def test_a_complete_long_table_without_final_line_break_reads(tmp_path):
    path = tmp_path / "chain.csv"
    path.write_text("Expiration,Type,Strike,Open Interest,IV\n2023-03-17,C,3900,10,0.2")
    assert len(read_chain(path, spot=3900, asof=QUOTED)) == 1


def test_cboe_json_options_saved_as_a_frame(tmp_path, reference):
    """``pd.DataFrame(json["data"]["options"]).to_csv()``: an ``option`` symbol column."""
    options = json.loads((FORMATS / "cboe_delayed.json").read_text())["data"]["options"]
    path = tmp_path / "options.csv"
    pd.DataFrame(options).to_csv(path)
    chain = read_chain(path, spot=reference.spot, asof=QUOTED)
    assert contracts(chain) == contracts(reference)


def test_cboe_layout_with_renamed_columns(tmp_path, reference):
    """The CBOE download with the column names a widely copied GEX script gives it."""
    names = ("ExpirationDate,Calls,CallLastSale,CallNet,CallBid,CallAsk,CallVol,CallIV,CallDelta,"
             "CallGamma,CallOpenInt,StrikePrice,Puts,PutLastSale,PutNet,PutBid,PutAsk,PutVol,PutIV,"
             "PutDelta,PutGamma,PutOpenInt")  # fmt: skip
    lines = CBOE_CSV.read_text().splitlines()
    lines[3] = names
    path = tmp_path / "renamed.csv"
    path.write_text("\n".join(lines) + "\n")
    chain = read_chain(path)
    assert contracts(chain) == contracts(reference)
    assert float(total_gex(chain)) == pytest.approx(float(total_gex(reference)), rel=1e-12)


def test_call_put_prefixed_wide_table():
    rows = [["Expiration", "Strike", "CallOpenInt", "Call IV", "PutOpenInt", "Put IV"],
            ["2023-03-17", 3900.0, 4000.0, 0.2178, 6500.0, 0.2288],
            ["2023-03-17", 3950.0, 2500.0, 0.2095, None, None]]  # fmt: skip
    chain = read_chain(rows, spot=3891.93, asof=QUOTED)
    assert contracts(chain) == [
        ("2023-03-17", False, False, 3900.0, 6500.0, 0.2288),
        ("2023-03-17", False, False, 3950.0, 0.0, None),  # a blank side is a contract without OI
        ("2023-03-17", False, True, 3900.0, 4000.0, 0.2178),
        ("2023-03-17", False, True, 3950.0, 2500.0, 0.2095),
    ]


def test_two_downloads_appended_are_caught_with_their_lines(tmp_path):
    """The second download's title lines and header are skipped; its rows repeat the first's,
    and the duplicate check names both file lines (line 7 and line 15 + 7)."""
    path = tmp_path / "twice.csv"
    path.write_text(CBOE_CSV.read_text() * 2)
    chain = read_chain(path)
    assert len(chain) == 36 and chain.duplicate_rows == (7, 22)
    with pytest.raises(XlgexError, match="rows 7 and 22 are the same contract"):
        total_gex(chain)


def test_json_lines(tmp_path):
    frame = pd.read_csv(FIXTURES / "long_chain.csv").dropna(how="all")
    path = tmp_path / "chain.jsonl"
    path.write_text(frame.to_json(orient="records", lines=True))
    assert contracts(read_chain(path)) == contracts(read_chain(FIXTURES / "long_chain.csv"))


def test_iv_cells_with_a_percent_sign():
    rows = [["Expiration", "Type", "Strike", "Open Int", "Impl Vol"],
            ["2023-03-17", "C", 3900.0, "1,234", "25.43%"],
            ["2023-03-17", "P", 3900.0, "12", " 31.5 % "]]  # fmt: skip
    chain = read_chain(rows, spot=3900.0, asof=QUOTED, iv_unit="auto")
    assert chain.iv.tolist() == pytest.approx([0.2543, 0.315], rel=1e-15)
    assert chain.open_interest.tolist() == [1234.0, 12.0]
    assert chain.diagnostics.iv_unit == "decimal"


def test_thinkorswim_with_open_interest_added(reference):
    """One section per expiry (title line and header repeated), IV with a percent sign, the
    spot under LAST in the underlying block, the time in the first line. No symbols: PM."""
    chain = read_chain(FORMATS / "thinkorswim_with_oi.csv")
    assert chain.spot == 3891.93
    assert chain.asof == QUOTED.replace(second=11)
    assert not chain.am_settled.any()

    def without_settlement(c):
        return sorted(k[:1] + k[2:] for k in contracts(c))

    assert without_settlement(chain) == without_settlement(reference)


def test_an_xlgex_report_is_named_as_such(tmp_path):
    from xlgex.report import write_report

    path = tmp_path / "report.xlsx"
    write_report(CBOE_CSV, path)
    with pytest.raises(
        XlgexError, match=r"'report.xlsx' is an xlgex report, which holds results, not contracts"
    ):
        read_chain(path)


def test_tab_separated_with_comma_thousands(tmp_path):
    """More commas than tabs on a line, but only the tabs split every line alike."""
    lines = ["Expiration\tType\tStrike\tOpen Interest\tIV"]
    lines += [f"2023-03-17\tC\t{3900 + 5 * i:,}\t{1_234_567 + i:,}\t0.2" for i in range(5)]
    path = tmp_path / "chain.txt"
    path.write_text("\n".join(lines) + "\n")
    chain = read_chain(path, spot=3900.0, asof=QUOTED)
    assert chain.strike.tolist() == [3900.0, 3905.0, 3910.0, 3915.0, 3920.0]
    assert chain.open_interest.tolist() == [1_234_567.0 + i for i in range(5)]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["17/03/2023", "03/04/2023"], ["2023-03-17", "2023-04-03"]),  # 17 cannot be a month
        (["03/17/2023", "04/03/2023"], ["2023-03-17", "2023-04-03"]),  # US, month first
        (["04/03/2023", "05/03/2023"], ["2023-04-03", "2023-05-03"]),  # nothing says day first
        (["17.03.2023", "2023-04-03"], ["2023-03-17", "2023-04-03"]),
    ],
)
def test_slashed_dates_are_day_first_only_when_the_column_says_so(cells, expected):
    rows = [["Expiration", "Type", "Strike", "Open Interest", "IV"]]
    rows += [[c, "C", 3900.0 + i, 1.0, 0.2] for i, c in enumerate(cells)]
    chain = read_chain(rows, spot=3900.0, asof=dt.datetime(2023, 3, 1))
    assert chain.expiry.astype(str).tolist() == expected


@pytest.mark.parametrize(
    "options",
    [
        {"sep": ";", "decimal": ","},
        {"sep": "\t", "encoding": "utf-16"},
        {"sep": ",", "encoding": "utf-8-sig"},
    ],
)
def test_frames_saved_by_pandas_read_like_the_frame(tmp_path, options):
    frame = pd.read_csv(FIXTURES / "long_chain.csv").dropna(how="all")
    frame["Gamma"] = frame["Gamma"] * 1e-20  # written as 6,1e-23 with a decimal comma
    path = tmp_path / "chain.csv"
    frame.to_csv(path, index=False, **options)
    chain, direct = read_chain(path), read_chain(frame)
    assert contracts(chain) == contracts(direct)
    assert np.array_equal(chain.chain_gamma, direct.chain_gamma, equal_nan=True)


def test_command_line_sheet_and_iv_from_quotes(capsys):
    from xlgex.cli import main

    assert main(["demo", str(FORMATS / "cboe.xlsx"), "--sheet", "Chain", "--report", ""]) == 0
    # the 3950 put of 03-15 (in the money, IV blank) takes its call's IV
    assert "contracts read 22; contracts used 18" in capsys.readouterr().out
    fidelity = str(FORMATS / "fidelity_atp.csv")
    assert main(["demo", fidelity, "--report", ""]) == 0  # IVs solved from bid/ask: priced
    assert "contracts used 18" in capsys.readouterr().out  # each strike's IV from its out-of-the-money side
    assert main(["demo", fidelity, "--no-iv-from-quotes", "--report", ""]) != 0
    assert "xlgex: no contract priced at 2023-03-15 15:00 New York" in capsys.readouterr().err
