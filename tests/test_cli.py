"""The ``xlgex`` command: demo, report and workbooks, in command-line terms."""

from __future__ import annotations

import argparse
import csv
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli as _run
from tests.conftest import subprocess_env
from tests.conftest import user_error as _user_error
from xlgex.cli import _parser, as_flags

FIXTURES = Path(__file__).parent / "fixtures"
SPX = FIXTURES / "cboe_spx_small.csv"
SPY_PCT = FIXTURES / "spy_percent_iv.csv"
"""Seven SPY contracts quoted 2023-09-14 10:00 New York, IV in percent: one expired
(2023-09-13), one put without IV (450P), five priced, expiring 2023-09-15 16:00."""


def _dollars(text: str) -> float:
    """``+$1.75m`` -> 1.75e6."""
    sign, digits, suffix = re.fullmatch(r"([+-])\$([\d,.]+)(bn|m|k)?", text).groups()
    scale = {"bn": 1e9, "m": 1e6, "k": 1e3, None: 1.0}[suffix]
    return (-1 if sign == "-" else 1) * float(digits.replace(",", "")) * scale


def _spy_reference() -> tuple[dict, float, dict]:
    """GEX of the SPY fixture the slow, obvious way: BSM gamma (r = q = 0) x OI x 100 x S^2 x 1%,
    calls + and puts - (calls_long_puts_short); 30 hours to the 16:00 settlement of 09-15."""
    with SPY_PCT.open(newline="") as f:
        rows = list(csv.DictReader(f))
    t_years = 30 * 60 / (365 * 24 * 60)
    oi_read = sum(float(r["Open Interest"]) for r in rows)
    by_side, net = {}, 0.0
    for r in rows:
        if r["Expiration"] != "2023-09-15" or not r["IV"]:
            continue
        s, k, vol = float(r["Underlying Price"]), float(r["Strike"]), float(r["IV"]) / 100
        d1 = (math.log(s / k) + vol * vol * t_years / 2) / (vol * math.sqrt(t_years))
        gamma = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi) / (s * vol * math.sqrt(t_years))
        gex = (1 if r["Type"] == "C" else -1) * float(r["Open Interest"]) * 100 * s * s * 0.01 * gamma
        by_side[(float(r["Strike"]), r["Type"])] = gex
        net += gex
    shares = {
        "expired": sum(float(r["Open Interest"]) for r in rows if r["Expiration"] < "2023-09-14") / oi_read,
        "no_iv": sum(float(r["Open Interest"]) for r in rows if not r["IV"]) / oi_read,
    }
    return by_side, net, shares


# -- demo ------------------------------------------------------------------------------------
def test_demo_without_a_file_shows_the_textbook_blocks_with_units(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "demo")
    assert code == 0
    # Hull, Options, Futures and Other Derivatives, the 20-week call S=49, K=50, r=5%, vol 20%:
    # delta 0.522, gamma 0.066, vega 12.1 per 1.00 of vol (0.121 per point), theta -4.31 per
    # year (-0.0118 per calendar day), rho 8.91 per 1.00 of rate (0.0891 per 1%).
    hull = {r"price \$([\d.]+)": (2.40, 0.005), r"delta ([\d.]+)": (0.522, 0.0005),
            r"gamma ([\d.]+) per \$1 move": (0.066, 0.00051),
            r"vega \$([\d.]+) per vol point": (0.121, 0.0005),
            r"theta (-)\$([\d.]+) per calendar day": (-0.0118, 0.00005),
            r"rho \$([\d.]+) per 1% of rate": (0.0891, 0.00005)}  # fmt: skip
    for pattern, (value, tol) in hull.items():
        found = re.search(pattern, out)
        assert found, pattern
        number = float(found[found.lastindex]) * (-1 if found[1] == "-" else 1)
        assert number == pytest.approx(value, abs=tol), pattern
    # the walkthrough of "How To Interpret Periscope Net Gamma Exposure": short 200 puts of
    # delta -0.25 is +5,000 SPX units = +100 ES to sell; a 1-point move trades 4 ES with it.
    assert "trade -100 ES" in out and "trade -4 ES" in out and "trade +4 ES" in out
    assert out.index("Example option") < out.index("GEX summary: SYNTHETIC sample chain")
    assert "regime: Long gamma" in out
    assert (tmp_path / "xlgex_demo_report.xlsx").read_bytes()[:2] == b"PK"  # an xlsx is a zip


def test_demo_does_not_replace_a_report_without_force(tmp_path, capsys):
    mine = tmp_path / "mine.xlsx"
    mine.write_bytes(b"edited")
    code, out, _ = _run(capsys, "demo", SPX, "--report", mine)
    assert code == 0 and "report not written" in out and "use --force" in out
    assert mine.read_bytes() == b"edited"
    code, out, _ = _run(capsys, "demo", SPX, "--report", mine, "--force")
    assert code == 0 and f"report written: {mine}" in out and mine.read_bytes()[:2] == b"PK"


def test_demo_on_a_file_shows_that_file_first_and_no_textbook(capsys):
    code, out, _ = _run(capsys, "demo", SPX, "--report", "")
    assert code == 0
    assert out.splitlines()[0] == f"GEX summary: {SPX}"
    assert "spot 3,891.93 index points (from the file)" in out and "strikes in index points" in out
    assert "2023-03-15 15:00 New York (from the file)" in out
    assert "Example option" not in out and "walkthrough" not in out


def test_demo_prints_exclusions_with_their_open_interest_share(capsys):
    code, out, _ = _run(capsys, "demo", SPY_PCT, "--report", "")  # IV in percent, no --iv-unit
    assert code == 0
    _, _, shares = _spy_reference()
    assert "contracts read 7; contracts used 5 (priced, behind every figure below" in out
    assert (f"excluded: 1 expired at the as-of ({shares['expired']:.1%} of open interest); "
            f"1 without IV ({shares['no_iv']:.1%} of open interest)") in out  # fmt: skip
    assert "IV unit: percent (inferred from the median IV)" in out
    assert "dropped" not in out and "{" not in out  # no Python dict


def test_demo_numbers_match_a_slow_reference_and_carry_units(capsys):
    code, out, _ = _run(capsys, "demo", SPY_PCT, "--report", "")
    assert code == 0
    by_side, net, _ = _spy_reference()
    printed = re.search(r"net GEX at spot (\S+) per 1% move", out)[1]
    assert _dollars(printed) == pytest.approx(net, abs=0.006e6)
    row = re.search(r"^\s+450\.00\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.M)
    assert _dollars(row[1]) == pytest.approx(by_side[(450.0, "C")], abs=0.006e6)
    assert row[2] == "none"  # the 450 put has no IV: not priced, never "+$0"
    assert "+$0 " not in out and "put +0" not in out
    # SPY is priced in dollars: spot, flip and walls say $, never index points
    assert "spot $445.00" in out and "strikes in $" in out and "index points" not in out
    assert re.search(r"gamma flip (\$\d+\.\d\d|none)", out) and "call wall $450.00" in out


def test_a_declared_unit_that_contradicts_the_file_names_the_flag(capsys):
    err = _user_error(*_run(capsys, "demo", SPY_PCT, "--report", "", "--iv-unit", "decimal"))
    assert "--iv-unit percent" in err and "iv_unit" not in err


def test_messages_name_flags_not_arguments(capsys, tmp_path):
    no_spot = tmp_path / "no_spot.csv"
    no_spot.write_text("Expiration,Type,Strike,Open Interest,IV\n2030-01-18,C,100,10,0.2\n")
    err = _user_error(*_run(capsys, "demo", no_spot, "--report", ""))
    assert "--spot" in err and "spot=" not in err
    err = _user_error(*_run(capsys, "demo", SPX, "--spot", "-1", "--report", ""))
    assert err.startswith("xlgex: --spot -1 must be > 0")
    err = _user_error(*_run(capsys, "demo", SPX, "--spot", "4.500,53", "--report", ""))
    assert "--spot" in err and "'4.500,53' is not a number" in err
    # after the close the 0DTE contracts have settled: nothing left to price
    code, out, err = _run(capsys, "demo", SPX, "--expiries", "0dte", "--asof", "2023-03-15 16:30",
                          "--report", "")  # fmt: skip
    assert _user_error(code, out, err) and out == ""  # one line, no half summary
    assert "--expiries 0dte" in err and "no contract priced" in err and "expiries=" not in err
    err = _user_error(*_run(capsys, "demo", SPX, "--preset", "classic", "--convention", "all_short"))
    assert "--preset classic uses --convention calls_long_puts_short" in err


def test_as_flags_translates_the_apis_argument_names():
    assert as_flags("xlgex: no spot price: give spot= (the file does not carry one)") == (
        "xlgex: no spot price: give --spot (the file does not carry one)")
    assert as_flags("xlgex: x exists; use --force (force=True) to replace it") == (
        "xlgex: x exists; use --force to replace it")
    assert as_flags("xlgex: preset 'x' is not one of: classic") == (
        "xlgex: --preset x is not one of: classic")
    assert as_flags("xlgex: spot_source is kept") == "xlgex: spot_source is kept"


def test_presets_and_gamma_sources_are_reachable(capsys):
    code, out, _ = _run(capsys, "demo", FIXTURES / "long_chain.csv", "--report", "", "--preset", "classic")
    assert code == 0 and "(preset classic)" in out and "gamma: the file's Gamma column" in out
    code, out, _ = _run(capsys, "demo", SPX, "--report", "", "--gamma-source", "chain")
    assert code == 0 and "gamma: the file's Gamma column" in out


def test_every_option_has_help_text():
    parser = _parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) >= {"demo", "report", "workbooks"}
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            assert action.help, f"xlgex {name} {action.option_strings or action.dest} has no help"
    demo = subparsers.choices["demo"]
    assert demo.get_default("iv_unit") == "auto"


def test_argument_errors_are_one_line(capsys):
    err = _user_error(*_run(capsys, "demo", "--iv-unit", "percnt"))
    assert err.startswith("xlgex: argument --iv-unit: invalid choice: 'percnt'")
    code, out, _ = _run(capsys, "workbooks", "--help")
    assert code == 0 and "--force" in out and "--out" in out


def test_unknown_options_point_to_their_commands_help(capsys):
    for command in ("demo", "workbooks", "lite"):
        err = _user_error(*_run(capsys, command, "--bogus"))
        assert err == f"xlgex: unrecognized arguments: --bogus (see 'xlgex {command} --help')\n"
    err = _user_error(*_run(capsys, "report", SPX, "-o", "x.xlsx", "--bogus"))
    assert err == "xlgex: unrecognized arguments: --bogus (see 'xlgex report --help')\n"
    err = _user_error(*_run(capsys))
    assert err.startswith("xlgex: choose a command: demo, report, workbooks, lite, history")


# -- report ----------------------------------------------------------------------------------
def test_report_refuses_to_overwrite_without_force(tmp_path, capsys):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"mine")
    err = _user_error(*_run(capsys, "report", SPX, "-o", target))
    assert "already exists; use --force" in err and "force=True" not in err
    assert target.read_bytes() == b"mine"
    code, out, _ = _run(capsys, "report", SPX, "-o", target, "--force")
    assert code == 0 and target.read_bytes()[:2] == b"PK"  # an xlsx is a zip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_report_output_must_be_xlsx_and_not_the_input(tmp_path, capsys):
    err = _user_error(*_run(capsys, "report", SPX, "-o", tmp_path / "out.csv"))
    assert "--output" in err and ".xlsx" in err and not (tmp_path / "out.csv").exists()
    chain = tmp_path / "chain.xlsx"
    shutil.copy(SPX, chain)
    before = chain.read_bytes()
    err = _user_error(*_run(capsys, "report", chain, "-o", chain, "--force"))
    assert "is the input file" in err and chain.read_bytes() == before


def test_report_into_a_missing_folder_is_one_line(tmp_path, capsys):
    err = _user_error(*_run(capsys, "report", SPX, "-o", tmp_path / "nope" / "r.xlsx"))
    assert "does not exist" in err


def test_a_read_only_folder_is_one_line_not_a_traceback(read_only_folder):
    """``demo`` where the report cannot be written: one line, before anything is printed."""
    done = subprocess.run([sys.executable, "-m", "xlgex", "demo"], cwd=read_only_folder,
                          env=subprocess_env(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("xlgex: cannot write 'xlgex_demo_report.xlsx'")
    assert "is not writable" in done.stderr and done.stderr.count("\n") == 1


# -- workbooks -------------------------------------------------------------------------------
def test_workbooks_refuses_to_replace_edited_templates_without_force(tmp_path, capsys):
    out = tmp_path / "books"
    code, printed, _ = _run(capsys, "workbooks", "--out", out)
    names = sorted(p.name for p in out.iterdir())
    assert code == 0 and names == ["xlgex_dashboard.xlsx", "xlgex_hedging.xlsx", "xlgex_whatif.xlsx"]
    assert printed.count("wrote ") == 3
    edited = out / "xlgex_dashboard.xlsx"
    edited.write_bytes(b"my edits")
    err = _user_error(*_run(capsys, "workbooks", "--out", out))
    assert "--force" in err and edited.read_bytes() == b"my edits"
    code, _, _ = _run(capsys, "workbooks", "--out", out, "--force")
    assert code == 0 and edited.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary files left behind


def test_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "xlgex", "--version"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.startswith("xlgex ")


def test_ctrl_c_is_one_line_and_status_130(capsys, monkeypatch):
    import xlgex.cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(xlgex.cli, "_demo", interrupted)
    code, _, err = _run(capsys, "demo")
    assert code == 130 and err.strip() == "xlgex: interrupted"


@pytest.mark.parametrize(("name", "unit"), [
    ("cboe_spx_small.csv", "index points"), ("long_chain.csv", "index points"),
    ("formats/cboe_tab_utf16.txt", "index points"), ("formats/cboe_delayed.json", "index points"),
    ("cboe_spy_oldformat.dat", "$"), ("spy_percent_iv.csv", "$"),
    ("formats/long_chain.parquet", "spot units"), ("formats/cboe.xlsx", "spot units"),
])  # fmt: skip
def test_prices_are_labelled_in_the_underlyings_unit(name, unit):
    from xlgex.cli import _price_unit

    assert _price_unit(FIXTURES / name) == unit


@pytest.mark.parametrize(("low", "high", "unit", "reason", "expected"), [
    (5.0, 95.0, "$", "no flip: net GEX stays positive (dealers long gamma) from 5.00 to 95.00",
     "no flip: net GEX stays positive (dealers long gamma) from $5.00 to $95.00"),
    (3600.0, 4400.0, "index points", "no flip: net GEX stays negative (dealers short gamma) from "
     "3,600.00 to 4,400.00", "no flip: net GEX stays negative (dealers short gamma) from 3,600.00 "
     "to 4,400.00 index points"),
])  # fmt: skip
def test_the_flip_window_gets_its_unit_once(low, high, unit, reason, expected):
    """The window's bounds get the price unit as a pair: a bound that is part of the other
    ("5.00" in "95.00") is left alone."""
    from xlgex.cli import _flip_text
    from xlgex.results import Figure

    flip = Figure(float("nan"), reason=reason, grid_low=low, grid_high=high)
    assert _flip_text(flip, unit) == expected
