"""One answer on every surface: walls, IV-from-quotes, the combined book's refusals, the
nothing-priced message and history labels, through the worksheet functions (tests/xlharness.py),
the command line and the history, against values worked out by hand or by a slow formula."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli, user_error
from xlgex.cli import _share, main
from xlgex.errors import NothingPricedError
from xlgex.history.sources import plan_tasks
from xlgex.history.task import analyse

from .chains import ASOF, CROSSED, ref_gamma
from .xlharness import MISSING, table
from .xlharness import as_grid as grid

FIXTURES = Path(__file__).parent / "fixtures"
EXPIRY = dt.datetime(2026, 12, 18)  # SPXW: settles 16:00 New York
T_YEARS = (28 * 1440 + 330) / (365 * 1440)  # 10:30 to 16:00, 28 days later, ACT/365 in minutes


def pairs_of(value) -> dict:
    return {row[0]: row[1:] if len(row) > 2 else row[1] for row in grid(value)}


def bsm_gex(strike, is_call, oi, iv, spot=100.0, t=T_YEARS) -> float:
    """Dealer GEX ($ per 1%), calls long / puts short, from the textbook BSM gamma (r = q = 0):
    gamma = phi(d1) / (S sigma sqrt(T)), d1 = (ln(S/K) + sigma^2 T / 2) / (sigma sqrt(T))."""
    gamma = float(ref_gamma(spot, strike, t, iv))
    return (1 if is_call else -1) * gamma * oi * 100 * spot**2 * 0.01


# -- walls: one definition everywhere ------------------------------------------------------------
# The biggest call (95, 9000 contracts) sits below spot 100 and the biggest put (105) above it:
# the walls read the way traders read them are the call at 110 and the put at 95; the
# unrestricted definition gives 95 and 105.

def crossed_frame(root="SPXW", spot=100.0) -> pd.DataFrame:
    return pd.DataFrame(
        [(root, EXPIRY, kind, k, oi, 0.2, spot, ASOF) for k, kind, oi in CROSSED],
        columns=["Root", "Expiration", "Type", "Strike", "Open Interest", "IV", "Underlying Price",
                 "Quote Time"],
    )  # fmt: skip


def test_walls_agree_across_surfaces(xl, tmp_path, capsys):
    rng = table(crossed_frame())
    walls = pairs_of(xl.call("GEX_WALLS", rng))
    assert (walls["call wall"], walls["put wall"]) == (110.0, 95.0)
    free = pairs_of(xl.call("GEX_WALLS", rng, *[MISSING] * 8, True))
    assert (free["call wall"], free["put wall"]) == (95.0, 105.0)
    assert free["abs-gamma strike"] == walls["abs-gamma strike"]
    levels = pairs_of(xl.call("GEX_LEVELS", rng))
    assert (levels["call wall (GEX)"][0], levels["put wall (GEX)"][0]) == (110.0, 95.0)
    regime = pairs_of(xl.call("GEX_REGIME", rng, *[MISSING] * 5, True))
    assert (regime["call wall"], regime["put wall"]) == (110.0, 95.0)
    book = pairs_of(xl.call("GEX_BOOK", rng))
    assert (book["call wall"], book["put wall"]) == (110.0, 95.0)

    path = tmp_path / "crossed.csv"
    crossed_frame().to_csv(path, index=False)
    assert main(["demo", str(path), "--report", ""]) == 0
    assert re.search(r"call wall \$?110\.00.*put wall \$?95\.00", capsys.readouterr().out)
    task = {"source": str(path), "part": "", "path": str(path), "underlying": "SPX"}
    row = analyse(task, {})["row"]
    assert (row["call_wall"], row["put_wall"]) == (110.0, 95.0)


def test_a_side_without_exposure_says_so_in_gex_walls(xl):
    frame = crossed_frame()
    rng = table(frame[frame["Type"] == "P"])  # no call at all
    walls = pairs_of(xl.call("GEX_WALLS", rng))
    assert walls["call wall"] == "none: no call exposure at or above spot among the 2 contracts priced"
    assert walls["put wall"] == 95.0


# -- IV from quotes: on by default, off with iv_from_quotes FALSE --------------------------------
def quoted_frame(call_90_iv=None) -> pd.DataFrame:
    """Spot 100; the in-the-money 90 call has no IV but a quote: it takes the 90 put's 0.25."""
    rows = [
        (90.0, "C", 700.0, call_90_iv, 10.2, 10.6),
        (90.0, "P", 500.0, 0.25, None, None),
        (100.0, "C", 900.0, 0.21, None, None),
        (100.0, "P", 800.0, 0.22, None, None),
        (110.0, "C", 600.0, 0.19, None, None),
        (110.0, "P", 300.0, 0.2, None, None),
    ]
    return pd.DataFrame([("SPXW", EXPIRY, kind, k, oi, iv, bid, ask)
                         for k, kind, oi, iv, bid, ask in rows],
                        columns=["Root", "Expiration", "Type", "Strike", "Open Interest", "IV",
                                 "Bid", "Ask"])  # fmt: skip


def test_iv_from_quotes_argument(xl):
    rng = table(quoted_frame())
    rows = [
        (90.0, True, 700.0, 0.25),
        (90.0, False, 500.0, 0.25),
        (100.0, True, 900.0, 0.21),
        (100.0, False, 800.0, 0.22),
        (110.0, True, 600.0, 0.19),
        (110.0, False, 300.0, 0.2),
    ]
    filled = sum(bsm_gex(*r) for r in rows)
    blank = sum(bsm_gex(*r) for r in rows[1:])
    args = (100.0, ASOF, *[MISSING] * 7)  # up to div_yield; iv_from_quotes is the last argument
    assert xl.call("GEX_TOTAL", rng, *args) == pytest.approx(filled, rel=1e-9)
    assert xl.call("GEX_TOTAL", rng, *args, True) == pytest.approx(filled, rel=1e-9)
    assert xl.call("GEX_TOTAL", rng, *args, False) == pytest.approx(blank, rel=1e-9)
    info_on = pairs_of(xl.call("GEX_INFO", rng, 100.0, ASOF, *[MISSING] * 6))
    info_off = pairs_of(xl.call("GEX_INFO", rng, 100.0, ASOF, *[MISSING] * 6, False))
    assert (info_on["IVs from the other side"], info_off["IVs from the other side"]) == (1, 0)
    assert info_off["contracts used"] == 5
    flip_args = [MISSING] * 12  # every chain function takes it, as its last argument
    assert xl.call("GEX_FLIP", rng, 100.0, ASOF, *flip_args[:11], "x").startswith(
        "xlgex: argument iv_from_quotes 'x' is not TRUE or FALSE"
    )


def test_cli_summary_counts_the_filled_ivs(tmp_path, capsys):
    path = tmp_path / "quoted.csv"
    quoted_frame().to_csv(path, index=False)
    args = ["demo", str(path), "--report", "", "--spot", "100", "--asof", "2026-11-20 10:30"]
    assert main(args) == 0
    assert "IVs filled: 0 from the contract's bid/ask mid, 1 from the other side" in capsys.readouterr().out
    assert main([*args, "--no-iv-from-quotes"]) == 0
    assert "IVs filled: 0 from the contract's bid/ask mid, 0 from the other side" in capsys.readouterr().out


# -- GEX_BOOK ------------------------------------------------------------------------------------
def test_book_refuses_other_indexes_and_repeats(xl):
    spx = table(crossed_frame())
    ndx = table(crossed_frame(root="NDXP"))
    out = xl.call("GEX_BOOK", spx, ndx)
    assert out.startswith("xlgex: chain 2 is options on NDX") and "S&P 500" in out
    assert xl.call("GEX_BOOK", spx, spx) == "xlgex: chain 2 repeats chain 1: give each chain once"
    spy = table(crossed_frame(root="SPY", spot=10.0).assign(Strike=lambda f: f["Strike"] / 10))
    assert isinstance(pairs_of(xl.call("GEX_BOOK", spx, spy))["combined net GEX ($ per 1%)"], float)
    es = table(crossed_frame(root="EW3", spot=101.0).assign(Multiplier=50.0))  # options on ES futures
    assert pairs_of(xl.call("GEX_BOOK", spx, es))["ES price"] == 101.0


def test_book_without_a_spot_says_what_to_do_in_excel(xl):
    no_spot = table(crossed_frame().drop(columns=["Underlying Price"]))
    out = xl.call("GEX_BOOK", table(crossed_frame()), no_spot)
    assert out.startswith("xlgex: chain 2: no spot price: put it in the range")
    assert "spot=" not in out and "Underlying Price" in out
    es = pairs_of(xl.call("GEX_BOOK", table(crossed_frame())))["ES price"]
    assert "es_price" not in es and es.startswith("not available")


def test_book_reads_percent_iv(xl):
    decimal = crossed_frame()
    percent = decimal.assign(IV=decimal["IV"] * 100)
    expected = sum(bsm_gex(k, kind == "C", oi, 0.2) for k, kind, oi in CROSSED)
    for frame in (decimal, percent):
        out = pairs_of(xl.call("GEX_BOOK", table(frame)))
        assert out["combined net GEX ($ per 1%)"] == pytest.approx(expected, rel=1e-9)


# -- nothing priced with as-of = now -------------------------------------------------------------
def test_nothing_priced_at_now_says_the_file_has_no_quote_time(xl, tmp_path, capsys):
    expired = crossed_frame().drop(columns=["Quote Time"]).assign(Expiration=dt.datetime(2020, 1, 17))
    out = xl.call("GEX_TOTAL", table(expired))
    assert out.startswith("xlgex: no contract priced at ") and ": 4 expired; " in out
    assert "no quote time in the file: as-of = now was used; give an as-of (--asof, or asof in a cell)" in out
    with_asof = xl.call("GEX_TOTAL", table(expired), MISSING, ASOF)
    assert with_asof.startswith("xlgex: no contract priced at 2026-11-20") and "quote time" not in with_asof
    path = tmp_path / "expired.csv"
    expired.to_csv(path, index=False)
    err = user_error(*run_cli(capsys, "demo", path, "--report", "")).strip()
    assert err.startswith("xlgex: no contract priced at ")
    assert err.endswith(
        "no quote time in the file: as-of = now was used; give an as-of (--asof, or asof in a cell)"
    )
    err = NothingPricedError({"excluded": {"expired": 3}, "asof_text": "x", "asof_source": "file"})
    assert str(err) == "xlgex: no contract priced at x: 3 expired"


# -- history labels ------------------------------------------------------------------------------
@pytest.mark.parametrize(("encoding", "sep"), [("utf-8", ","), ("utf-8", ";"), ("utf-16", ";"),
                                               ("utf-16", ",")])  # fmt: skip
def test_history_names_the_underlying_of_any_cboe_dialect(tmp_path, encoding, sep):
    with open(FIXTURES / "cboe_spx_small.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    path = tmp_path / "download.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=sep).writerows(rows)
    (task,) = plan_tasks(path, tmp_path / "parts")
    assert task.underlying == "SPX"  # the fixture's symbols are SPXW...


# -- command-line text ---------------------------------------------------------------------------
def test_shares_never_show_a_nonzero_as_zero():
    assert [_share(x) for x in (0.0, 0.0004, 0.02, 0.9996, 1.0)] == \
        ["0.0%", "<0.1%", "2.0%", ">99.9%", "100.0%"]  # fmt: skip


def test_demo_flip_line_has_units_and_no_repeat(capsys):
    assert main(["demo", str(FIXTURES / "cboe_spy_oldformat.dat"), "--report", ""]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "gamma flip" in x)
    assert "none: no flip" not in line
    assert re.search(r"(between|from) \$[\d,.]+ (and|to) \$[\d,.]+", line), line
    assert main(["demo", str(FIXTURES / "cboe_spx_small.csv"), "--report", ""]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "gamma flip" in x)
    assert re.search(r"(between|from) [\d,.]+ (and|to) [\d,.]+ index points", line), line
