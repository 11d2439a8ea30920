"""The ``xlgex`` command: demo, report and workbooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xlgex.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_demo_prints_the_summary_and_writes_a_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for text in ("gamma 0.0655", "trade -100 ES", "trade -4 ES", "SYNTHETIC sample chain",
                 "gamma flip", "call wall", "regime: Long gamma"):  # fmt: skip
        assert text in out
    assert (tmp_path / "xlgex_demo_report.xlsx").stat().st_size > 0
    # a second run does not replace the user's file without --force
    assert main(["demo"]) == 0
    assert "report not written" in capsys.readouterr().out


def test_demo_on_a_users_csv(capsys):
    assert main(["demo", str(FIXTURES / "cboe_spx_small.csv"), "--report", ""]) == 0
    out = capsys.readouterr().out
    assert "cboe_spx_small.csv" in out and "spot 3,891.93 (file)" in out


def test_report_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"mine")
    assert main(["report", str(FIXTURES / "cboe_spx_small.csv"), "-o", str(target)]) == 2
    assert "exists" in capsys.readouterr().err and target.read_bytes() == b"mine"
    assert main(["report", str(FIXTURES / "cboe_spx_small.csv"), "-o", str(target), "--force"]) == 0


def test_bad_input_is_a_message_not_a_traceback(capsys):
    assert main(["demo", str(FIXTURES / "cboe_spx_small.csv"), "--spot", "-1", "--report", ""]) == 2
    assert capsys.readouterr().err.startswith("xlgex:")


def test_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "xlgex", "--version"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert done.stdout.startswith("xlgex ")


@pytest.mark.parametrize("flag", ["--help"])
def test_workbooks_command_exists(flag, capsys):
    with pytest.raises(SystemExit):
        main(["workbooks", flag])
    assert "--out" in capsys.readouterr().out
